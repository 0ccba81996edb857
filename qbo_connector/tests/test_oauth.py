from urllib.parse import parse_qs, urlsplit

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from ..exceptions import QboGrantError
from .common import CA_REALM, US_REALM, QboTestMixin


@tagged('post_install', '-at_install')
class TestOAuth(QboTestMixin, HttpCase):
    """The consent flow as a person goes through it: Connect in Odoo, approve at
    Intuit (the emulator), land on our callback, find the company connected."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._qbo_setup_emulator()
        cls.company = cls.env.ref('base.main_company')
        cls.company.write({'country_id': cls.env.ref('base.us').id})
        cls.client_id, cls.client_secret = 'odoo-test-app', 'odoo-test-secret'
        cls.emu.add_app(cls.client_id, cls.client_secret, [cls.base_url() + '/qbo/oauth/callback'])
        cls.admin = cls.env.ref('base.user_admin')

    def setUp(self):
        super().setUp()
        self.connection = self.env['qbo.connection'].create(
            {
                **self._qbo_connection_values(self.company),
                'client_id': self.client_id,
                'client_secret': self.client_secret,
            }
        )
        self.authenticate('admin', 'admin')

    def _authorize_url(self):
        action = self.connection.with_user(self.admin).action_connect()
        self.assertEqual(action['type'], 'ir.actions.act_url')
        return action['url']

    def _consent(self, realm_id=US_REALM):
        """Connect, then approve ``realm_id`` at Intuit: the callback URL Intuit returns to."""
        return self.emu.approve(self._authorize_url(), realm_id)

    def test_connect_dance(self):
        authorize_url = self._authorize_url()
        query = parse_qs(urlsplit(authorize_url).query)
        self.assertEqual(query['client_id'], [self.client_id])
        self.assertEqual(query['scope'], ['com.intuit.quickbooks.accounting'])
        self.assertEqual(query['redirect_uri'], [self.base_url() + '/qbo/oauth/callback'])
        self.assertTrue(authorize_url.startswith(self.emulator.base_url + '/connect/oauth2'))

        callback = self.emu.approve(authorize_url, US_REALM)
        response = self.url_open(callback, allow_redirects=False)
        self.assertIn(response.status_code, (302, 303), response.text)
        self.assertIn(
            f'/odoo/action-qbo_connector.action_qbo_connection/{self.connection.id}', response.headers['Location']
        )

        self.connection.invalidate_recordset()
        connection = self.connection.sudo()
        self.assertEqual(connection.state, 'connected')
        self.assertEqual(connection.realm_id, US_REALM)
        self.assertEqual(connection.qbo_company_name, 'Sandbox Company US')
        self.assertEqual(connection.qbo_currency_code, 'USD')
        self.assertEqual(connection.qbo_country_code, 'US')
        self.assertTrue(connection.access_token and connection.refresh_token)
        self.assertTrue(connection.access_token_expires_at and connection.refresh_token_expires_at)
        self.assertFalse(connection.oauth_nonce, 'the state is single-use')
        self.assertEqual(connection.connected_by_id, self.admin)
        endpoints = connection.log_ids.mapped('endpoint')
        self.assertTrue(any('/tokens/bearer' in e for e in endpoints), endpoints)
        self.assertTrue(any(f'/companyinfo/{US_REALM}' in e for e in endpoints), endpoints)
        self.assertTrue(any('/preferences' in e for e in endpoints), endpoints)
        # What QuickBooks issued is nowhere in the log.
        for log in connection.log_ids:
            for value in (log.endpoint, log.request_body, log.response_body, log.error):
                for secret in (connection.access_token, connection.refresh_token, self.client_secret):
                    self.assertNotIn(secret, value or '')

    def test_forged_state_refused(self):
        callback = self._consent()
        parts = urlsplit(callback)
        query = parse_qs(parts.query)
        conn_id, uid, nonce, issued, _signature = query['state'][0].split('.')
        forged = f'{conn_id}.{uid}.{nonce}.{issued}.{"0" * 64}'
        response = self.url_open(f'/qbo/oauth/callback?code={query["code"][0]}&realmId={US_REALM}&state={forged}')
        self.assertEqual(response.status_code, 403)
        response = self.url_open(f'/qbo/oauth/callback?code={query["code"][0]}&realmId={US_REALM}&state=garbage')
        self.assertEqual(response.status_code, 403)
        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.state, 'not_connected')
        self.assertFalse(self.connection.sudo().access_token)

    def test_non_ascii_state_refused(self):
        self._consent()
        response = self.url_open(f'/qbo/oauth/callback?code=x&realmId={US_REALM}&state=1.2.n.3.%C3%A9')
        self.assertEqual(response.status_code, 403)

    def test_reconnect_link_asks_before_starting(self):
        self._authorize_url()
        nonce = self.connection.sudo().oauth_nonce
        response = self.url_open(f'/qbo/oauth/connect/{self.connection.id}')
        self.assertEqual(response.status_code, 200)
        self.assertIn('csrf_token', response.text)
        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.sudo().oauth_nonce, nonce, 'a GET starts nothing')

    def test_replayed_state_refused(self):
        callback = self._consent()
        self.assertIn(self.url_open(callback, allow_redirects=False).status_code, (302, 303))
        self.connection.invalidate_recordset()
        tokens = (self.connection.sudo().access_token, self.connection.sudo().refresh_token)
        response = self.url_open(callback, allow_redirects=False)
        self.assertEqual(response.status_code, 403)
        self.connection.invalidate_recordset()
        self.assertEqual((self.connection.sudo().access_token, self.connection.sudo().refresh_token), tokens)

    def test_refused_code(self):
        """A code Intuit no longer honours (here one already used) ends on our page with
        Intuit's answer, and the connection keeps the tokens it has."""
        callback = self._consent()
        self.assertIn(self.url_open(callback, allow_redirects=False).status_code, (302, 303))
        self.connection.invalidate_recordset()
        tokens = (self.connection.sudo().access_token, self.connection.sudo().refresh_token)
        used_code = parse_qs(urlsplit(callback).query)['code'][0]
        state = parse_qs(urlsplit(self._authorize_url()).query)['state'][0]
        response = self.url_open(f'/qbo/oauth/callback?code={used_code}&realmId={US_REALM}&state={state}')
        self.assertEqual(response.status_code, 400)
        self.assertIn('QuickBooks refused the authorization (400). Start again from Connect.', response.text)
        self.connection.invalidate_recordset()
        self.assertEqual((self.connection.sudo().access_token, self.connection.sudo().refresh_token), tokens)

    def test_state_of_another_user_refused(self):
        callback = self._consent()
        self.env['res.users'].create(
            {
                'name': 'Other admin',
                'login': 'other_admin',
                'password': 'other_admin_pw',
                'group_ids': [
                    (6, 0, [self.env.ref('base.group_system').id, self.env.ref('qbo_connector.group_qbo_admin').id])
                ],
            }
        )
        self.authenticate('other_admin', 'other_admin_pw')
        self.assertEqual(self.url_open(callback).status_code, 403)

    def test_user_denies(self):
        authorize_url = self._authorize_url()
        state = parse_qs(urlsplit(authorize_url).query)['state'][0]
        response = self.url_open(f'/qbo/oauth/callback?error=access_denied&state={state}')
        self.assertEqual(response.status_code, 400)
        self.assertIn('did not authorize', response.text)
        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.state, 'not_connected')

    def test_currency_mismatch_refused(self):
        response = self.url_open(self._consent(CA_REALM))
        self.assertEqual(response.status_code, 400)
        self.assertIn('keeps its books in CAD', response.text)
        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.state, 'not_connected')
        self.assertFalse(self.connection.realm_id)

    def test_country_mismatch_refused(self):
        realm = self.emu.add_company(
            template='empty', CompanyName='British Dollar Ltd', Country='GB', HomeCurrency='USD'
        )['realm_id']
        response = self.url_open(self._consent(realm))
        self.assertEqual(response.status_code, 400)
        self.assertIn('is in GB', response.text)
        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.state, 'not_connected')

    def test_reconnect_to_another_realm_refused_after_sync(self):
        self.url_open(self._consent(US_REALM))
        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.state, 'connected')
        # Writing to QuickBooks binds the connection to this realm.
        self.connection._qbo_client().create('Customer', {'DisplayName': 'Bound Customer'})
        self.assertEqual(self.connection.synced_realm_id, US_REALM)
        self.connection.with_user(self.admin).action_disconnect()
        other = self.emu.add_company(template='empty', CompanyName='Other US Books')['realm_id']
        response = self.url_open(self._consent(other))
        self.assertEqual(response.status_code, 400)
        self.assertIn('already synchronised', response.text)
        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.realm_id, US_REALM)
        self.assertEqual(self.connection.state, 'disconnected')
        # The same realm is welcome back.
        self.url_open(self._consent(US_REALM))
        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.state, 'connected')

    def test_forget_the_books_then_connect_to_others(self):
        """After a refused reconnection to other books, the administrator forgets the old
        ones (the error says so): links, kept lists and waiting jobs go, and the other books
        connect."""
        self.url_open(self._consent(US_REALM))
        self.connection.invalidate_recordset()
        self.connection._qbo_client().create('Customer', {'DisplayName': 'Forgotten Books Customer'})
        self.env['qbo.tax.code'].sudo()._qbo_refresh(self.connection, self.connection._qbo_client())
        self.assertTrue(self.env['qbo.tax.code'].sudo()._qbo_of_connection(self.connection))
        invoice = self.env['account.move'].create(
            {'move_type': 'out_invoice', 'partner_id': self.env.user.partner_id.id, 'company_id': self.company.id}
        )
        job = self.env['qbo.sync.job']._qbo_enqueue(invoice, 'push')
        self.assertEqual(job.state, 'pending')
        self.connection.with_user(self.admin).action_disconnect()
        other = self.emu.add_company(template='empty', CompanyName='Other US Books')['realm_id']
        self.assertIn('Forget QuickBooks Company', self.url_open(self._consent(other)).text)

        self.connection.with_user(self.admin).action_forget_books()
        self.assertFalse(self.connection.synced_realm_id)
        self.assertFalse(self.env['qbo.tax.code'].sudo()._qbo_of_connection(self.connection))
        self.assertEqual(job.state, 'cancelled')
        self.url_open(self._consent(other))
        self.connection.invalidate_recordset()
        self.assertEqual((self.connection.state, self.connection.realm_id), ('connected', other))

    def test_disconnect_revokes(self):
        self.url_open(self._consent())
        self.connection.invalidate_recordset()
        refresh_token = self.connection.sudo().refresh_token
        self.connection.with_user(self.admin).action_disconnect()
        self.assertEqual(self.connection.state, 'disconnected')
        self.assertFalse(self.connection.sudo().refresh_token)
        self.assertTrue(any('/tokens/revoke' in e for e in self.connection.log_ids.mapped('endpoint')))
        # Intuit (the emulator) no longer honours the grant.
        with self.assertRaises(QboGrantError) as caught:
            self.connection._qbo_build_client().refresh(refresh_token)
        self.assertEqual((caught.exception.code, caught.exception.oauth_error), ('invalid_grant', 'invalid_grant'))

    def test_connect_needs_credentials(self):
        self.connection.sudo().client_secret = False
        with self.assertRaises(UserError):
            self.connection.with_user(self.admin).action_connect()
