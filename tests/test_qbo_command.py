"""`./qbo` on a machine without Odoo: it offers to fetch Odoo 19 instead of stopping.

The "official repository" here is a local git repository holding a stand-in Odoo 19 (its
`odoo/release.py` and an empty requirements file), and the Python is a virtual environment
that cannot import the Odoo installed on this machine: nothing leaves the machine."""

import os
import re
import socket
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def git(*args, cwd):
    subprocess.run(['git', *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope='module')
def machine(tmp_path_factory):
    """(python without Odoo, file:// URL of a repository with a 19.0 branch, a work dir)."""
    root = tmp_path_factory.mktemp('qbo_command')
    upstream = root / 'odoo-upstream'
    (upstream / 'odoo').mkdir(parents=True)
    (upstream / 'addons' / 'stand_in').mkdir(parents=True)
    (upstream / 'odoo' / '__init__.py').write_text('')
    (upstream / 'odoo' / 'release.py').write_text("version_info = (19, 0, 0, 'final', 0, '')\nversion = '19.0'\n")
    (upstream / 'requirements.txt').write_text('# nothing to install for the stand-in\n')
    git('init', '-q', '-b', '19.0', cwd=upstream)
    git('add', '.', cwd=upstream)
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'Odoo 19 stand-in', cwd=upstream)
    env_dir = root / 'venv'
    venv.create(env_dir, with_pip=True, system_site_packages=False)
    python = env_dir / 'bin' / 'python'
    found = subprocess.run([python, '-c', 'import odoo'], capture_output=True)
    assert found.returncode != 0, 'the virtual environment must not see the Odoo of this machine'
    return python, f'file://{upstream}', root


def run_qbo(machine, *args, fetch=None, src='odoo-src'):
    python, url, root = machine
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'ODOO_ADDONS_PATH', 'QBO_FETCH_ODOO')}
    env.update(PYTHON=str(python), ODOO_GIT_URL=url, ODOO_SRC=str(root / src))
    if fetch is not None:
        env['QBO_FETCH_ODOO'] = fetch
    return subprocess.run(
        [str(REPO / 'qbo'), *args], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300
    )


def test_without_a_terminal_it_says_how_to_fetch(machine):
    result = run_qbo(machine, 'odoo', src='not-fetched')
    assert result.returncode == 1
    assert 'QBO_FETCH_ODOO=1' in result.stderr and 'not importable' in result.stderr
    assert not (machine[2] / 'not-fetched').exists(), 'nothing fetched without a yes'


def test_fetches_odoo_then_uses_the_checkout(machine):
    fetched = run_qbo(machine, 'odoo', fetch='1')
    assert fetched.returncode == 0, fetched.stderr
    src = machine[2] / 'odoo-src'
    assert 'fetching Odoo (19.0)' in fetched.stdout
    assert f'Odoo 19.0 from {src}' in fetched.stdout
    assert (src / 'odoo' / 'release.py').exists()
    # Next time the checkout is used as it is: no second fetch, no question asked.
    again = run_qbo(machine, 'odoo')
    assert again.returncode == 0, again.stderr
    assert 'fetching' not in again.stdout and f'Odoo 19.0 from {src}' in again.stdout


def test_a_failed_fetch_says_why(machine):
    python, _url, root = machine
    result = run_qbo((python, f'file://{root}/no-such-repository', root), 'odoo', fetch='1', src='failed')
    assert result.returncode == 1
    assert 'could not fetch Odoo' in result.stderr


def test_the_installed_odoo_needs_no_fetch(tmp_path):
    """On this machine Odoo is importable: the command says so and fetches nothing."""
    env = {k: v for k, v in os.environ.items() if k != 'QBO_FETCH_ODOO'}
    env.update(PYTHON=sys.executable, ODOO_SRC=str(tmp_path / 'unused'))
    result = subprocess.run([str(REPO / 'qbo'), 'odoo'], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert 'Odoo 19' in result.stdout and not (tmp_path / 'unused').exists()


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _psql(db, query):
    return subprocess.run(['psql', '-tA', '-d', db, '-c', query], capture_output=True, text=True, check=True).stdout


def test_try_sets_the_demo_company_up_and_sends_its_invoices(tmp_path):
    """`./qbo try` on this machine (its Odoo), stopped before serving: the demo database created,
    the company connected to the emulator through the addon's OAuth code, set up through the
    assistant's recommended path, and every demo invoice from the start date in QuickBooks."""
    db = f'qbo_try_test_{os.getpid()}'
    env = dict(os.environ, QBO_TRY_DB=db, QBO_EMULATOR_PORT=str(_free_port()), QBO_EMULATOR_DB=str(tmp_path / 'e.db'))
    try:
        result = subprocess.run(
            [str(REPO / 'qbo'), 'try', '--no-serve'],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=1500,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert 'connected to Sandbox Company US' in result.stdout, result.stdout
        assert 'set up with the recommended settings' in result.stdout, result.stdout
        sync = re.search(r'initial sync: (.*) \(Invoicing', result.stdout)
        assert sync and 'failed' not in sync.group(1), result.stdout
        invoices = """FROM account_move m JOIN qbo_connection c ON c.company_id = m.company_id
                      WHERE m.move_type = 'out_invoice' AND m.state = 'posted'
                        AND m.invoice_date >= c.sync_start_date"""
        mapped = """EXISTS (SELECT 1 FROM qbo_mapping q WHERE q.res_model = 'account.move' AND q.res_id = m.id
                                AND q.qbo_entity IN ('Invoice', 'SalesReceipt'))"""
        assert int(_psql(db, f'SELECT count(*) {invoices} AND {mapped}')) > 0, 'demo invoices in QuickBooks'
        assert int(_psql(db, f'SELECT count(*) {invoices} AND NOT {mapped}')) == 0, 'every one of them'
        assert _psql(db, "SELECT count(*) FROM qbo_setup WHERE step = 'done'").strip() == '1'
    finally:
        subprocess.run(['dropdb', '--if-exists', db], capture_output=True)
