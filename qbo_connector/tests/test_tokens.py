from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from ..exceptions import QboAuthError
from .common import US_REALM, QboCommittedCase, QboConnectedCase


@tagged('post_install', '-at_install')
class TestTokenLifecycle(QboConnectedCase):
    """Refresh before expiry, refresh-and-retry on a 401, and what invalid_grant does."""

    def _refreshes(self):
        return self.emu.stats()['realms'].get(US_REALM, {}).get('token_refreshes', 0)

    def _expire(self, seconds=0):
        """Our side believes the access token expires in ``seconds``."""
        self.connection.access_token_expires_at = fields.Datetime.now() + timedelta(seconds=seconds)
        self.env.flush_all()  # the token code reads the row from its own cursor

    def test_refresh_before_expiry(self):
        old_refresh = self.connection.refresh_token
        self._expire(60)
        info = self.connection._qbo_client().company_info()
        self.assertEqual(info['CompanyName'], 'Sandbox Company US')
        self.connection.invalidate_recordset()
        self.assertEqual(self._refreshes(), 1)
        self.assertNotEqual(self.connection.refresh_token, old_refresh, 'the rotated refresh token is kept')
        self.assertGreater(self.connection.access_token_expires_at, fields.Datetime.now() + timedelta(minutes=50))
        # The next call uses the stored token and refreshes nothing.
        self.connection._qbo_client().company_info()
        self.assertEqual(self._refreshes(), 1)

    def test_401_refreshes_once_and_retries(self):
        self.emu._call('POST', 'clock', json={'advance_seconds': 3700})
        client = self.connection._qbo_client()
        self.assertEqual(client.preferences()['CurrencyPrefs']['HomeCurrency']['value'], 'USD')
        self.assertEqual(self._refreshes(), 1)
        self.connection.invalidate_recordset()
        statuses = self.connection.log_ids.sorted('id').mapped('http_status')
        self.assertIn(401, statuses)
        self.assertEqual(statuses[-1], 200)

    def test_invalid_grant_needs_reconnect(self):
        # The grant dies behind our back (the user disconnected the app inside QuickBooks).
        self.connection._qbo_client().revoke(self.connection.refresh_token)
        self._expire()
        self.system_only = self.env['res.users'].create(
            {
                'name': 'System, not QuickBooks',
                'login': 'system_not_qbo',
                'email': 'sys@example.com',
                'group_ids': [(6, 0, [self.env.ref('base.group_system').id])],
            }
        )
        mails_before = self.env['mail.mail'].search([])
        # Not self.assertRaises: Odoo's rolls its block back, and what the token code
        # committed in its own cursor is exactly what this test is about.
        try:
            self.connection._qbo_client().company_info()
        except QboAuthError as error:
            self.assertIn('reconnect', error.message)
        else:
            self.fail('a dead grant must raise QboAuthError')
        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.state, 'needs_reconnect')
        self.assertIn('invalid_grant', self.connection.state_reason)

        mail = (self.env['mail.mail'].search([]) - mails_before).filtered(
            lambda m: m.model == 'qbo.connection' and 'reconnect' in (m.subject or '')
        )
        self.assertEqual(len(mail), 1)
        self.assertIn(self.env.ref('base.user_admin').partner_id, mail.recipient_ids)
        self.assertNotIn(self.system_only.partner_id, mail.recipient_ids, 'only those who can reconnect are told')
        self.assertIn('needs a reconnect', mail.subject)
        self.assertIn(f'/qbo/oauth/connect/{self.connection.id}', mail.body_html)

        activity = self.connection.activity_ids
        self.assertEqual(activity.activity_type_id, self.env.ref('qbo_connector.mail_activity_type_qbo_reconnect'))
        self.assertIn(f'/qbo/oauth/connect/{self.connection.id}', str(activity.note))
        # Paused: nothing more is sent until someone reconnects.
        calls = len(self.connection.log_ids)
        with self.assertRaises(QboAuthError):
            self.connection._qbo_client()
        self.assertEqual(len(self.connection.log_ids), calls)

    def test_cron_keeps_old_connections_alive(self):
        self.connection.refresh_token_expires_at = fields.Datetime.now() + timedelta(days=10)
        self.env.flush_all()
        old = self.connection.refresh_token
        self.env['qbo.connection']._cron_refresh_tokens()
        self.connection.invalidate_recordset()
        self.assertNotEqual(self.connection.refresh_token, old)
        self.assertGreater(self.connection.refresh_token_expires_at, fields.Datetime.now() + timedelta(days=90))


@tagged('post_install', '-at_install')
class TestTokenDurability(QboCommittedCase):
    """Real transactions on real connections: what no test cursor can show."""

    def _qbo_committed_setup(self, env):
        # Make the stored access token stale, so that the next call must refresh.
        env['qbo.connection'].browse(self.connection_id).access_token_expires_at = fields.Datetime.now()

    def _refreshes(self):
        return self.emu.stats()['realms'].get(US_REALM, {}).get('token_refreshes', 0)

    def test_rotated_token_survives_rollback(self):
        with self.registry.cursor() as cr:
            self._connection(cr)._qbo_client().company_info()
            cr.rollback()  # the surrounding work fails
        self.assertEqual(self._refreshes(), 1)
        with self.registry.cursor() as cr:
            connection = self._connection(cr)
            # The stored refresh token is the live one: QuickBooks accepts it.
            connection._qbo_refresh_tokens(seen_access_token=connection.access_token)
            self.assertEqual(connection.state, 'connected')
        self.assertEqual(self._refreshes(), 2)

    def test_concurrent_refresh_refreshes_once(self):
        def call(env, barrier):
            connection = env['qbo.connection'].browse(self.connection_id)
            connection.access_token_expires_at  # noqa: B018 - both read the stale expiry first; pylint: disable=pointless-statement
            barrier.wait(timeout=10)
            return connection._qbo_client().company_info()['CompanyName']

        results = self._qbo_race(call)
        self.assertEqual(results, ['Sandbox Company US'] * 2)
        self.assertEqual(self._refreshes(), 1, 'one process refreshed, the other used its token')
        with self.registry.cursor() as cr:
            connection = self._connection(cr)
            self.assertEqual(connection.state, 'connected')
            connection._qbo_refresh_tokens(seen_access_token=connection.access_token)
        self.assertEqual(self._refreshes(), 2)
