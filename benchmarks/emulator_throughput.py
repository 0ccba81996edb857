"""Emulator throughput: create / read / query from several client threads; prints requests per second.

    python3 benchmarks/emulator_throughput.py [--seconds 10] [--threads 4] [--in-process]

By default the emulator runs in a subprocess (limits and fault injection off) so client and
server do not share one interpreter lock; --in-process measures the Emulator object directly.
Prints numbers only: nothing here asserts on time.
"""

import argparse
import itertools
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time

import requests

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

REALM = "9130357766900003"
SETTINGS = {"limits_enabled": False, "fault_injection": {}}


def start_subprocess():
    handle, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(handle, "w") as config:
        json.dump(SETTINGS, config)
    process = subprocess.Popen(
        [sys.executable, "-m", "qbo_emulator", "--port", "0", "--config", path],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    os.unlink(path)
    match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
    if not match:
        process.kill()
        raise SystemExit("emulator did not start: %r" % line)
    return match.group(1), process.terminate


def start_in_process():
    from qbo_emulator import Emulator, EmulatorConfig

    emulator = Emulator(EmulatorConfig(**SETTINGS))
    return emulator.start(), emulator.stop


def worker(base_url, token, deadline, counts, errors, seed):
    rng = random.Random(seed)
    session = requests.Session()
    session.headers.update({"Authorization": "Bearer " + token, "Accept": "application/json"})
    api = "%s/v3/company/%s" % (base_url, REALM)
    ids = []
    serial = itertools.count()
    while time.monotonic() < deadline:
        roll = rng.random()
        if roll < 0.3 or not ids:
            kind = "create"
            answer = session.post(
                api + "/customer",
                params={"minorversion": 75},
                timeout=30,
                json={"DisplayName": "Bench %d-%d" % (seed, next(serial))},
            )
            if answer.ok:
                ids.append(answer.json()["Customer"]["Id"])
        elif roll < 0.7:
            kind = "read"
            answer = session.get(api + "/customer/" + rng.choice(ids), params={"minorversion": 75}, timeout=30)
        else:
            kind = "query"
            answer = session.post(
                api + "/query",
                params={"minorversion": 75},
                timeout=30,
                data="SELECT * FROM Customer WHERE Id = '%s'" % rng.choice(ids),
                headers={"Content-Type": "application/text"},
            )
        counts[kind] = counts.get(kind, 0) + 1
        if not answer.ok:
            errors.append((kind, answer.status_code))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring time, at most 20")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args()
    seconds = min(args.seconds, 20.0)

    base_url, stop = start_in_process() if args.in_process else start_subprocess()
    try:
        token = requests.post(base_url + "/_emulator/mint", json={"realm_id": REALM}, timeout=30).json()["access_token"]
        per_thread = [{} for _ in range(args.threads)]
        errors = []
        deadline = time.monotonic() + seconds
        started = time.monotonic()
        threads = [
            threading.Thread(target=worker, args=(base_url, token, deadline, per_thread[n], errors, n))
            for n in range(args.threads)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        stop()
    totals = {}
    for counts in per_thread:
        for kind, number in counts.items():
            totals[kind] = totals.get(kind, 0) + number
    total = sum(totals.values())
    print(
        "mode: %s, threads: %d, seconds: %.1f"
        % ("in-process" if args.in_process else "subprocess", args.threads, elapsed)
    )
    print(
        "requests: %d (%s), errors: %d" % (total, ", ".join("%s %d" % kv for kv in sorted(totals.items())), len(errors))
    )
    print("requests per second: %.0f" % (total / elapsed))


if __name__ == "__main__":
    main()
