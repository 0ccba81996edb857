"""What the addon's tests share: the QuickBooks emulator on loopback, and connections to it.

The emulator is the project's QuickBooks (qbo_emulator/, beside this addon). It runs in
this process, in a thread, on 127.0.0.1; the addon reaches it over real HTTP through
intuit-oauth and python-quickbooks, exactly as it reaches Intuit.
"""

import threading
from datetime import timedelta

import requests

from odoo import api, fields
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, TransactionCase
from odoo.tests.common import get_db_name

from .. import const

US_REALM = '9130357766900001'
CA_REALM = '9130357766900002'
EMPTY_REALM = '9130357766900003'
CLIENT_ID = 'emulator-client-id'
CLIENT_SECRET = 'emulator-client-secret'

_lock = threading.Lock()
_emulator = None


def emulator():
    """The one emulator of this test process (started on first use, on 127.0.0.1)."""
    global _emulator  # noqa: PLW0603 - one server per process, like a real QBO
    with _lock:
        if _emulator is None:
            from qbo_emulator import Emulator, EmulatorConfig  # noqa: PLC0415 - not an addon dependency

            _emulator = Emulator(EmulatorConfig(db_path=':memory:'))
            _emulator.start(host='127.0.0.1', port=0)
        return _emulator


class EmulatorApi:
    """The emulator's control API (its /_emulator/ endpoints), for arranging and observing."""

    def __init__(self, base_url):
        self.base_url = base_url

    def _call(self, method, path, **kwargs):
        response = requests.request(method, f'{self.base_url}/_emulator/{path}', timeout=30, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def reset(self):
        return self._call('POST', 'reset')

    def fault(self, kind, count=1, **filters):
        """The next ``count`` requests matching ``filters`` (entity, method, path) meet ``kind``."""
        return self._call('POST', 'faults', json={'kind': kind, 'count': count, **filters})

    def fail_write(self, entity, kind='503'):
        """The next write of ``entity`` meets ``kind`` (not performed) each time it is sent
        within its attempt (const.RETRY_DELAYS): the attempt ends on it."""
        return self.fault(kind, 1 + len(const.RETRY_DELAYS), entity=entity, method='POST')

    def lose_answer(self, entity, update=False):
        """QuickBooks performs the next write of ``entity`` and its answer is lost; so is
        everything that would tell the attempt so (the create's lookups fail, an update sent
        again is lost again): the attempt ends with its outcome unknown."""
        tries = 1 + len(const.RETRY_DELAYS)
        if update:
            return self.fault('drop_after_commit', tries, entity=entity, method='POST')
        self.fault('drop_after_commit', 1, entity=entity, method='POST')
        return self.fault('503', tries, path='/query', after_previous=True)

    def mint(self, realm_id, client_id=CLIENT_ID):
        return self._call('POST', 'mint', json={'client_id': client_id, 'realm_id': realm_id})

    def add_app(self, client_id, client_secret, redirect_uris):
        return self._call(
            'POST',
            'apps',
            json={'client_id': client_id, 'client_secret': client_secret, 'redirect_uris': redirect_uris},
        )

    def add_company(self, **values):
        return self._call('POST', 'companies', json=values)

    def stats(self):
        return self._call('GET', 'stats')

    def requests_log(self):
        return self._call('GET', 'requests')

    def approve(self, authorize_url, realm_id):
        """Play the user who approves the app on Intuit's consent page: returns the URL
        Intuit sends the browser back to (our callback, with code, state and realmId)."""
        query = authorize_url.split('?', 1)[1]
        response = requests.post(
            f'{self.base_url}/connect/oauth2/approve?{query}',
            data={'realm_id': realm_id},
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code in (302, 303), response.text
        return response.headers['Location']


ACCESS_ERROR = 'odoo.exceptions.AccessError'


class QboRpcMixin:
    """Calls as the web client makes them, over JSON-RPC (with HttpCase): who may call what."""

    def _rpc(self, user, model, method, *args, **kwargs):
        """``method`` of ``model`` called by ``user``: the JSON answer (``result`` or ``error``)."""
        self.authenticate(user.login, user.login)
        response = self.url_open(
            f'/web/dataset/call_kw/{model}/{method}',
            json={
                'jsonrpc': '2.0',
                'method': 'call',
                'id': 1,
                'params': {'model': model, 'method': method, 'args': list(args), 'kwargs': kwargs},
            },
        )
        self.env.invalidate_all()
        return response.json()

    def _assert_refused(self, answer, error=ACCESS_ERROR):
        self.assertIn('error', answer, f'expected a refusal, got {answer}')
        self.assertEqual(answer['error']['data']['name'], error)


class QboTestMixin:
    """Creates connections to the emulator the way a script would: tokens minted by the
    emulator's control API instead of the browser dance (which test_oauth covers)."""

    @classmethod
    def get_default_groups(cls):
        """The accountant the accounting tests run as uses the connector: pushing by hand and
        the QuickBooks link take its User group."""
        return super().get_default_groups() | cls.env.ref('qbo_connector.group_qbo_user')

    def _qbo_raises(self, exc_type, func, *args, **kwargs):
        """Like assertRaises, without the savepoint Odoo's assertRaises rolls back: what the
        addon commits in its own cursors (logs, tokens, state) is what the tests look at."""
        try:
            func(*args, **kwargs)
        except exc_type as error:
            return error
        self.fail(f'{exc_type.__name__} not raised')

    @classmethod
    def _qbo_setup_emulator(cls):
        cls.emulator = emulator()
        cls.emu = EmulatorApi(cls.emulator.base_url)
        cls.emu.reset()

    @classmethod
    def _qbo_connection_values(cls, company):
        return {
            'company_id': company.id,
            'environment': 'custom',
            'custom_base_url': cls.emulator.base_url,
            'client_id': CLIENT_ID,
            'client_secret': CLIENT_SECRET,
        }

    @classmethod
    def _qbo_connect(cls, env, company, realm_id=US_REALM):
        """A connected `qbo.connection` for ``company`` (in ``env``'s transaction)."""
        tokens = cls.emu.mint(realm_id)
        now = fields.Datetime.now()
        connection = (
            env['qbo.connection']
            .sudo()
            .create(
                {
                    **cls._qbo_connection_values(company),
                    'realm_id': realm_id,
                    'state': 'connected',
                    'access_token': tokens['access_token'],
                    'refresh_token': tokens['refresh_token'],
                    'access_token_expires_at': now + timedelta(seconds=tokens['expires_in']),
                    'refresh_token_expires_at': now + timedelta(seconds=tokens['x_refresh_token_expires_in']),
                }
            )
        )
        # What Connect reads: the company's country, currency and preferences.
        connection.action_test_connection()
        return connection


class QboConnectedCase(QboTestMixin, TransactionCase):
    """The main company connected to Sandbox Company US, afresh for each test.

    The registry is in test mode: the independent cursors the addon opens (tokens, logs)
    share this test's transaction, so each test is rolled back like any other."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._qbo_setup_emulator()
        cls.registry_enter_test_mode_cls()
        cls.company = cls.env.ref('base.main_company')

    def setUp(self):
        super().setUp()
        self.emu.reset()
        self.connection = self._qbo_connect(self.env, self.company)


class QboCommittedCase(QboTestMixin, BaseCase):
    """Real, committed transactions on real database connections: for what no test cursor
    can show (concurrent workers, a rollback after a commit). The main company's connection
    is created committed, and removed (with its jobs, mappings and logs) after the test."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        cls._qbo_setup_emulator()

    def setUp(self):
        super().setUp()
        self.emu.reset()
        with self.registry.cursor() as cr:
            env = self._env(cr)
            company = env.ref('base.main_company')
            env['qbo.connection'].search([('company_id', '=', company.id)]).unlink()
            if not company.country_id:
                company.country_id = env.ref('base.us')
            self.connection_id = self._qbo_connect(env, company, US_REALM).id
            self._qbo_committed_setup(env)
        self.addCleanup(self._qbo_cleanup)

    def _qbo_committed_setup(self, env):
        """More committed data for the test (override)."""

    def _qbo_cleanup(self):
        with self.registry.cursor() as cr:
            self._connection(cr).unlink()

    @staticmethod
    def _env(cr):
        return api.Environment(cr, api.SUPERUSER_ID, {})

    def _connection(self, cr):
        return self._env(cr)['qbo.connection'].browse(self.connection_id)

    def _qbo_race(self, work, workers=2):
        """Run ``work(env)`` in ``workers`` threads at once, each in its own transaction
        (committed), released together by a barrier; fails the test on any error.
        Returns the results."""
        barrier = threading.Barrier(workers)
        results, errors = [], []

        def run():
            try:
                with self.registry.cursor() as cr:
                    results.append(work(self._env(cr), barrier))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=run) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertFalse(errors, errors)
        return results
