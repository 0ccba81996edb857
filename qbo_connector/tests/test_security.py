from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import QboTestMixin

SECRETS = ('client_secret', 'access_token', 'refresh_token', 'oauth_nonce')


@tagged('post_install', '-at_install')
class TestSecrets(QboTestMixin, HttpCase):
    """Secrets are for system administrators; companies are walls."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._qbo_setup_emulator()
        cls.company = cls.env.ref('base.main_company')
        cls.connection = cls._qbo_connect(cls.env, cls.company)
        cls.qbo_admin = new_test_user(
            cls.env,
            login='qbo_admin_not_system',
            password='qbo_admin_not_system',
            groups='base.group_user,base.group_allow_export,account.group_account_manager,qbo_connector.group_qbo_admin',
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )
        cls.other_company = cls.env['res.company'].create({'name': 'Walled Garden Inc'})
        cls.other_user = new_test_user(
            cls.env,
            login='qbo_user_other_company',
            password='qbo_user_other_company',
            groups='base.group_user,qbo_connector.group_qbo_user',
            company_id=cls.other_company.id,
            company_ids=[(6, 0, cls.other_company.ids)],
        )

    def test_secrets_unreadable_without_system_rights(self):
        connection = self.connection.with_user(self.qbo_admin)
        self.assertEqual(connection.read(['state'])[0]['state'], 'connected')
        for field in SECRETS:
            with self.subTest(field=field):
                with self.assertRaises(AccessError):
                    connection.read([field])
                with self.assertRaises(AccessError):
                    self.env['qbo.connection'].with_user(self.qbo_admin).search([(field, '!=', False)])
                with self.assertRaises(AccessError):
                    connection.export_data([field])
                connection.invalidate_recordset()
                with self.assertRaises(AccessError):
                    connection[field]  # noqa: B018 - field access is a read; pylint: disable=pointless-statement

    def test_secrets_unreadable_over_rpc(self):
        self.authenticate('qbo_admin_not_system', 'qbo_admin_not_system')
        for field in SECRETS:
            with self.subTest(field=field):
                response = self.url_open(
                    '/web/dataset/call_kw/qbo.connection/read',
                    json={
                        'jsonrpc': '2.0',
                        'method': 'call',
                        'id': 1,
                        'params': {
                            'model': 'qbo.connection',
                            'method': 'read',
                            'args': [[self.connection.id], [field]],
                            'kwargs': {},
                        },
                    },
                )
                body = response.json()
                self.assertIn('error', body)
                self.assertEqual(body['error']['data']['name'], 'odoo.exceptions.AccessError')
                self.assertNotIn(self.connection.sudo()[field] or '!nothing!', response.text)
        # What a user may read comes back, without any secret in it.
        response = self.url_open(
            '/web/dataset/call_kw/qbo.connection/web_read',
            json={
                'jsonrpc': '2.0',
                'method': 'call',
                'id': 2,
                'params': {
                    'model': 'qbo.connection',
                    'method': 'web_read',
                    'args': [[self.connection.id]],
                    'kwargs': {'specification': {'state': {}, 'realm_id': {}}},
                },
            },
        )
        self.assertEqual(response.json()['result'][0]['state'], 'connected')
        for field in SECRETS:
            value = self.connection.sudo()[field]
            if value:
                self.assertNotIn(value, response.text)

    def test_only_system_admins_redirect_the_connection(self):
        """Where the tokens go is not a QuickBooks administrator's to change: a base URL of
        theirs would receive the client secret and the refresh token."""
        connection = self.connection.with_user(self.qbo_admin)
        for values in (
            {'custom_base_url': 'https://evil.example.com'},
            {'environment': 'production'},
            {'synced_realm_id': False},
            {'state': 'disconnected'},
            {'realm_id': '42'},
        ):
            with self.subTest(values=values):
                with self.assertRaises(AccessError):
                    connection.write(values)
        connection.write({'invoice_prefix': 'OD-'})  # the sync settings are theirs
        self.assertEqual(self.connection.invoice_prefix, 'OD-')
        self.assertEqual(self.connection.sudo().custom_base_url, self.emulator.base_url)

    def test_company_wall(self):
        self.assertFalse(self.env['qbo.connection'].with_user(self.other_user).search([]))
        with self.assertRaises(AccessError):
            self.connection.with_user(self.other_user).read(['state'])
        self.connection._qbo_client().company_info()
        self.assertTrue(self.connection.log_ids)
        self.assertFalse(self.env['qbo.sync.log'].with_user(self.other_user).search([]))

    def test_only_system_admins_connect(self):
        with self.assertRaises(AccessError):
            self.connection.with_user(self.qbo_admin).action_disconnect()
        self.assertEqual(self.connection.state, 'connected')

    def test_neutralize_forgets_secrets(self):
        from odoo.modules.neutralize import get_neutralization_queries  # noqa: PLC0415

        for query in get_neutralization_queries(['qbo_connector']):
            self.env.cr.execute(query)
        self.connection.invalidate_recordset()
        connection = self.connection.sudo()
        self.assertEqual(connection.state, 'disconnected')
        self.assertFalse(connection.access_token or connection.refresh_token or connection.client_secret)
