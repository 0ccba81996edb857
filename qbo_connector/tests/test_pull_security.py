"""Who may do what with the pull (issue 10), over RPC as the web client does it: the changes that
come back are the code's (read-only to QuickBooks users, walled by company), the pull's entry points
are not callable remotely, the verifier token is a system administrator's secret, and a payment
that came from QuickBooks is never pushed back."""

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .common import QboRpcMixin
from .test_pull_payments import QboPullCommon


@tagged('post_install', '-at_install')
class TestPullSecurity(QboRpcMixin, QboPullCommon, HttpCase):
    # QboPushCommon puts the registry in test mode already (HttpCase would do it a second time).
    registry_test_mode = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env['res.company'].create({'name': 'Walled Pull Inc'})
        cls.qbo_admin = cls._user('qbo_pull_admin', 'account.group_account_manager,qbo_connector.group_qbo_admin')
        cls.qbo_user = cls._user('qbo_pull_user', 'account.group_account_invoice,qbo_connector.group_qbo_user')
        cls.billing_user = cls._user('qbo_pull_billing', 'account.group_account_invoice')
        cls.other_user = cls._user('qbo_pull_other', 'qbo_connector.group_qbo_admin', company=cls.other_company)
        cls.system_user = cls._user(
            'qbo_pull_system',
            'base.group_system,account.group_account_manager,qbo_connector.group_qbo_admin',
            company_ids=[cls.company.id, cls.other_company.id],
        )

    @classmethod
    def _user(cls, login, groups, company=None, company_ids=None):
        company = company or cls.company
        return new_test_user(
            cls.env,
            login=login,
            password=login,
            groups=f'base.group_user,{groups}',
            company_id=company.id,
            company_ids=[Command.set(company_ids or company.ids)],
        )

    def _pulled_payment(self):
        invoice, qbo_invoice = self._pushed_invoice()
        self._qbo_payment(qbo_invoice['CustomerRef'], [(qbo_invoice, 30.0)])
        self._pull()
        payment = self._pulled()
        self.assertEqual(len(payment), 1)
        return payment

    # -- tests -------------------------------------------------------------------

    def test_inbound_changes_are_read_only_and_walled_by_company(self):
        payment = self._pulled_payment()
        event = self.env['qbo.inbound.event'].sudo().search([('payment_id', '=', payment.id)])
        self.assertEqual(len(event), 1)
        answer = self._rpc(self.qbo_user, 'qbo.inbound.event', 'search_read', [], ['qbo_object_id', 'payment_id'])
        self.assertIn(event.id, [row['id'] for row in answer['result']])
        # Another company's QuickBooks administrator sees none of them.
        answer = self._rpc(self.other_user, 'qbo.inbound.event', 'search_read', [], ['qbo_object_id'])
        self.assertEqual(answer['result'], [])
        self._assert_refused(self._rpc(self.other_user, 'qbo.inbound.event', 'read', event.ids, ['payload']))
        # Nobody writes, creates or deletes them but the code, not even a QuickBooks administrator.
        self._assert_refused(self._rpc(self.qbo_admin, 'qbo.inbound.event', 'write', event.ids, {'qbo_object_id': '1'}))
        self._assert_refused(self._rpc(self.qbo_admin, 'qbo.inbound.event', 'unlink', event.ids))
        self._assert_refused(
            self._rpc(
                self.qbo_admin,
                'qbo.inbound.event',
                'create',
                {
                    'connection_id': self.connection.id,
                    'event_key': 'forged',
                    'source': 'webhook',
                    'qbo_entity': 'Payment',
                    'qbo_object_id': '1',
                },
            )
        )
        # Users outside the QuickBooks groups do not read them.
        self._assert_refused(self._rpc(self.billing_user, 'qbo.inbound.event', 'search_read', [], ['qbo_object_id']))
        # The pull jobs are in the jobs list, as walled as the pushes.
        answer = self._rpc(self.qbo_user, 'qbo.sync.job', 'search_read', [('direction', '=', 'pull')], ['res_id'])
        self.assertIn(event.id, [row['res_id'] for row in answer['result']])
        answer = self._rpc(self.other_user, 'qbo.sync.job', 'search_read', [('direction', '=', 'pull')], ['res_id'])
        self.assertEqual(answer['result'], [])

    def test_the_pull_is_not_callable_over_rpc(self):
        for model, method, args in (
            ('qbo.connection', '_cron_pull_changes', []),
            ('qbo.connection', '_qbo_pull_changes', [self.connection.ids]),
            ('qbo.inbound.event', '_qbo_receive_webhook', ['[]', 'x']),
            ('qbo.inbound.event', '_qbo_store', [self.connection.id, []]),
            ('account.payment', '_qbo_pull', [self.connection.id, {'Id': '1'}]),
            ('account.payment', '_qbo_pull_register', [self.connection.id, {'Id': '1'}]),
        ):
            with self.subTest(method=method):
                self._assert_refused(self._rpc(self.system_user, model, method, *args))
        self.assertFalse(self.env['qbo.inbound.event'].sudo().search([]))
        self.assertFalse(self.connection.cdc_high_water_at)

    def test_verifier_token_is_a_system_administrators_secret(self):
        self.connection.sudo().webhook_verifier_token = 'secret-verifier-token'
        for user in (self.qbo_admin, self.qbo_user):
            with self.subTest(user=user.login):
                self._assert_refused(
                    self._rpc(user, 'qbo.connection', 'read', self.connection.ids, ['webhook_verifier_token'])
                )
        self._assert_refused(
            self._rpc(self.qbo_admin, 'qbo.connection', 'write', self.connection.ids, {'webhook_verifier_token': 'x'})
        )
        answer = self._rpc(self.system_user, 'qbo.connection', 'read', self.connection.ids, ['webhook_verifier_token'])
        self.assertEqual(answer['result'][0]['webhook_verifier_token'], 'secret-verifier-token')
        # The webhook URL is for whoever reads the connection.
        answer = self._rpc(self.qbo_user, 'qbo.connection', 'read', self.connection.ids, ['webhook_url'])
        self.assertTrue(answer['result'][0]['webhook_url'].endswith('/qbo/webhook'))
        # The settings page takes the token and never shows it back.
        settings = (
            self.env['res.config.settings']
            .with_user(self.system_user)
            .create({'qbo_webhook_verifier_token': 'a-new-verifier-token'})
        )
        self.assertEqual(self.connection.sudo().webhook_verifier_token, 'a-new-verifier-token')
        self.assertFalse(settings.qbo_webhook_verifier_token)
        self.assertTrue(settings.qbo_webhook_url.endswith('/qbo/webhook'))

    def test_the_pull_marks_are_the_codes(self):
        for values in ({'cdc_high_water_at': '2020-01-01 00:00:00'}, {'last_pull_at': '2020-01-01 00:00:00'}):
            with self.subTest(values=values):
                self._assert_refused(self._rpc(self.qbo_admin, 'qbo.connection', 'write', self.connection.ids, values))
        # The direction and what comes back are settings a QuickBooks administrator chooses.
        answer = self._rpc(
            self.qbo_admin, 'qbo.connection', 'write', self.connection.ids, {'sync_direction': 'push_only'}
        )
        self.assertTrue(answer.get('result'), answer)
        self.assertEqual(self.connection.sync_direction, 'push_only')
        self._assert_refused(
            self._rpc(self.qbo_user, 'qbo.connection', 'write', self.connection.ids, {'sync_direction': 'two_way'})
        )

    def test_a_payment_from_quickbooks_is_never_pushed_back(self):
        payment = self._pulled_payment()
        jobs = self.env['qbo.sync.job'].sudo().search([])
        answer = self._rpc(self.qbo_admin, 'account.payment', 'action_qbo_push', payment.ids)
        self.assertIn('0 payment', answer['result']['params']['message'])
        self._assert_refused(self._rpc(self.qbo_admin, 'account.payment', 'write', payment.ids, {'qbo_pulled': False}))
        self.assertTrue(payment.qbo_pulled)
        # Cancelled in Odoo by a user: nothing voided in QuickBooks, where it was recorded.
        payment.with_user(self.qbo_admin).action_cancel()
        self.assertEqual(self.env['qbo.sync.job'].sudo().search([]), jobs)

    def test_the_webhook_takes_posts_only(self):
        response = self.url_open('/qbo/webhook')
        self.assertEqual(response.status_code, 405)
