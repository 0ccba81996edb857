"""The command line: serve (loopback only), mint, --help."""

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import requests

REPO = str(Path(__file__).resolve().parents[2])


def run(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "qbo_emulator", *args], cwd=REPO, capture_output=True, text=True, timeout=60, **kwargs
    )


def test_help_explains_both_commands():
    answer = run("--help")
    assert answer.returncode == 0
    assert "serve" in answer.stdout and "mint" in answer.stdout
    assert "--port" in run("serve", "--help").stdout
    assert "--client-id" in run("mint", "--help").stdout


def test_refuses_a_non_loopback_host():
    answer = run("--host", "0.0.0.0", "--port", "0")
    assert answer.returncode != 0 and "loopback" in answer.stderr


def serve(tmp_path, config):
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "qbo_emulator",
            "--port",
            "0",
            "--config",
            str(config),
            "--db",
            str(tmp_path / "qbo.sqlite"),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    return server, re.search(r"http://127\.0\.0\.1:\d+", server.stdout.readline()).group(0)


def test_serve_with_a_config_file_then_mint_and_restart_on_the_same_db(tmp_path):
    config = tmp_path / "emulator.json"
    config.write_text(json.dumps({"access_token_ttl": 120}))
    server, base_url = serve(tmp_path, config)
    try:
        tokens = json.loads(run("mint", "--url", base_url, "--realm", "9130357766900003").stdout)
        assert tokens["expires_in"] == 120 and tokens["realm_id"] == "9130357766900003"
        created = requests.post(
            base_url + "/v3/company/9130357766900003/customer",
            json={"DisplayName": "Kept"},
            headers={"Authorization": "Bearer " + tokens["access_token"]},
            timeout=30,
        )
        assert created.status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    server, base_url = serve(tmp_path, config)
    try:
        again = requests.get(
            base_url + "/v3/company/9130357766900003/customer/" + created.json()["Customer"]["Id"],
            headers={"Authorization": "Bearer " + tokens["access_token"]},
            timeout=30,
        )
        assert again.json()["Customer"]["DisplayName"] == "Kept"
        assert len(requests.get(base_url + "/_emulator/realms", timeout=30).json()["realms"]) == 3
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_db_file_of_another_schema_version_is_refused_with_what_to_do(tmp_path):
    from qbo_emulator.store import SCHEMA_VERSION, Clock, Store, StoreVersionError

    fresh = tmp_path / "fresh.sqlite"
    Store(str(fresh), Clock()).close()
    Store(str(fresh), Clock()).close()  # stamped on creation, so it reopens
    assert sqlite3.connect(fresh).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    unstamped = tmp_path / "before.sqlite"  # written before the stamp: the old objects.seq column
    sqlite3.connect(unstamped).execute(
        "CREATE TABLE objects (realm TEXT, entity TEXT, id TEXT, seq INTEGER NOT NULL, data TEXT)"
    )
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE realms (realm_id TEXT PRIMARY KEY)")
        conn.execute("PRAGMA user_version = %d" % (SCHEMA_VERSION + 1))
    for path in (unstamped, other):
        with pytest.raises(StoreVersionError) as error:
            Store(str(path), Clock())
        assert str(path) in str(error.value) and "delete the file" in str(error.value)
    answer = run("--port", "0", "--db", str(unstamped))
    assert answer.returncode != 0 and "delete the file" in answer.stderr and "Traceback" not in answer.stderr
