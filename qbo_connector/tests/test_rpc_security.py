"""What users with partial rights can do over RPC (issue 9, defects 3, 4, 5 and 9): jobs and
mappings are written by the code alone, connections are created and moved by system
administrators only, pushing takes the QuickBooks group, and nothing of QuickBooks leaks to
portal users, to users outside the QuickBooks groups or to another company."""

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import QboRpcMixin
from .test_push_invoice import QboPushCommon


@tagged('post_install', '-at_install')
class TestRpcSecurity(QboRpcMixin, QboPushCommon, HttpCase):
    # QboPushCommon puts the registry in test mode already (HttpCase would do it a second time).
    registry_test_mode = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env['res.company'].create({'name': 'Walled Garden Inc'})
        cls.third_company = cls.env['res.company'].create({'name': 'Elsewhere Ltd'})
        both = [cls.company.id, cls.third_company.id]
        cls.qbo_admin = cls._user(
            'qbo_rpc_admin',
            'account.group_account_manager,qbo_connector.group_qbo_admin',
            company_ids=both,
        )
        cls.qbo_user = cls._user('qbo_rpc_user', 'account.group_account_invoice,qbo_connector.group_qbo_user')
        cls.billing_user = cls._user('qbo_rpc_billing', 'account.group_account_invoice')
        cls.other_user = cls._user(
            'qbo_rpc_other',
            'qbo_connector.group_qbo_admin',
            company=cls.other_company,
            company_ids=cls.other_company.ids,
        )
        cls.system_user = cls._user(
            'qbo_rpc_system',
            'base.group_system,account.group_account_manager',
            company_ids=[*both, cls.other_company.id],
        )
        cls.portal_user = new_test_user(
            cls.env, login='qbo_rpc_portal', password='qbo_rpc_portal', groups='base.group_portal'
        )
        cls.portal_user.partner_id.write({'email': 'portal@example.com', 'country_id': cls.env.ref('base.us').id})

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

    def setUp(self):
        super().setUp()
        self.other_connection = (
            self.env['qbo.connection'].sudo().create({**self._qbo_connection_values(self.other_company)})
        )

    # -- helpers ---------------------------------------------------------------

    def _failed_job(self, connection, record):
        """A failed job of ``connection`` for ``record``, the one posting queued if any."""
        job = self._jobs(record) or self.env['qbo.sync.job'].sudo().create(
            {'connection_id': connection.id, 'res_model': record._name, 'res_id': record.id}
        )
        job.sudo()._qbo_set_state('failed', error_code='6000', error_message='Refused.')
        self.assertEqual(job.connection_id, connection)
        return job

    # -- 3. jobs and mappings are written by the code alone --------------------

    def test_jobs_and_mappings_are_not_writable_by_quickbooks_admins(self):
        invoice = self._invoice()
        job = self._jobs(invoice)
        self.assertTrue(job)
        elsewhere = self._invoice(post=False)
        for values in ({'res_id': elsewhere.id}, {'res_model': 'res.users'}, {'state': 'done'}, {'priority': -1}):
            with self.subTest(values=values):
                self._assert_refused(self._rpc(self.qbo_admin, 'qbo.sync.job', 'write', job.ids, values))
        self.assertEqual(
            (job.res_model, job.res_id, job.state, job.priority), ('account.move', invoice.id, 'pending', 20)
        )
        self._assert_refused(
            self._rpc(
                self.qbo_admin,
                'qbo.sync.job',
                'create',
                {'connection_id': self.connection.id, 'res_model': 'account.move', 'res_id': elsewhere.id},
            )
        )

        self._run_queue()
        mapping = (
            self.env['qbo.mapping'].sudo().search([('res_model', '=', 'account.move'), ('res_id', '=', invoice.id)])
        )
        self.assertEqual(len(mapping), 1)
        qbo_id = mapping.qbo_id
        self._assert_refused(self._rpc(self.qbo_admin, 'qbo.mapping', 'write', mapping.ids, {'qbo_id': '999'}))
        self._assert_refused(self._rpc(self.qbo_admin, 'qbo.mapping', 'write', mapping.ids, {'res_id': elsewhere.id}))
        self._assert_refused(self._rpc(self.qbo_admin, 'qbo.mapping', 'unlink', mapping.ids))
        self._assert_refused(
            self._rpc(
                self.qbo_admin,
                'qbo.mapping',
                'create',
                {
                    'connection_id': self.connection.id,
                    'res_model': 'account.move',
                    'res_id': elsewhere.id,
                    'qbo_entity': 'Invoice',
                    'qbo_id': '999',
                    'role': 'record',
                },
            )
        )
        self.assertEqual((mapping.exists(), mapping.qbo_id, mapping.res_id), (mapping, qbo_id, invoice.id))
        # They still read what the code wrote.
        answer = self._rpc(self.qbo_admin, 'qbo.mapping', 'read', mapping.ids, ['qbo_id'])
        self.assertEqual(answer['result'][0]['qbo_id'], qbo_id)

    def test_quickbooks_admins_retry_and_cancel_their_companys_jobs_only(self):
        job = self._failed_job(self.connection, self._invoice())
        answer = self._rpc(self.qbo_admin, 'qbo.sync.job', 'action_retry', job.ids)
        self.assertTrue(answer.get('result'), answer)
        self.assertEqual((job.state, job.attempts), ('pending', 0))
        job.sudo()._qbo_set_state('failed', error_code='6000', error_message='Refused again.')
        answer = self._rpc(self.qbo_admin, 'qbo.sync.job', 'action_cancel', job.ids)
        self.assertTrue(answer.get('result'), answer)
        self.assertEqual(job.state, 'cancelled')

        theirs = self._failed_job(self.other_connection, self._invoice(post=False))
        for method in ('action_retry', 'action_cancel'):
            with self.subTest(method=method):
                self._assert_refused(self._rpc(self.qbo_admin, 'qbo.sync.job', method, theirs.ids))
        self.assertEqual(theirs.state, 'failed')
        # A QuickBooks user sees the jobs, the buttons are the administrators'.
        job.sudo()._qbo_set_state('failed', error_code='6000', error_message='Refused once more.')
        for method in ('action_retry', 'action_cancel'):
            with self.subTest(method=method, user='qbo user'):
                self._assert_refused(self._rpc(self.qbo_user, 'qbo.sync.job', method, job.ids))
        self.assertEqual(job.state, 'failed')

    # -- 4. the connection guard -------------------------------------------------

    def test_only_system_admins_create_or_move_connections(self):
        self._assert_refused(
            self._rpc(
                self.qbo_admin,
                'qbo.connection',
                'create',
                {'company_id': self.third_company.id, 'state': 'connected', 'realm_id': '4620816365037572000'},
            )
        )
        self._assert_refused(
            self._rpc(self.qbo_admin, 'qbo.connection', 'create', {'company_id': self.third_company.id})
        )
        self.assertFalse(
            self.env['qbo.connection']
            .sudo()
            .with_context(active_test=False)
            .search([('company_id', '=', self.third_company.id)])
        )
        for values in ({'company_id': self.third_company.id}, {'active': False}):
            with self.subTest(values=values):
                self._assert_refused(self._rpc(self.qbo_admin, 'qbo.connection', 'write', self.connection.ids, values))
        self.assertEqual((self.connection.company_id, self.connection.active), (self.company, True))
        # What stays theirs: the sync settings.
        answer = self._rpc(self.qbo_admin, 'qbo.connection', 'write', self.connection.ids, {'invoice_prefix': 'OD-'})
        self.assertTrue(answer.get('result'), answer)

    def test_a_synced_connection_never_changes_company(self):
        self._invoice()
        self._run_queue()
        self.assertTrue(self.connection.synced_realm_id)
        connection = self.connection.with_user(self.system_user)
        with self.assertRaisesRegex(UserError, 'company'):
            connection.write({'company_id': self.third_company.id})
        self.assertEqual(self.connection.company_id, self.company)
        # System administrators still archive it, and move or create one that never synced.
        connection.write({'active': False})
        self.assertFalse(self.connection.active)
        self.other_connection.with_user(self.system_user).write({'company_id': self.third_company.id})
        self.env.flush_all()
        self.assertEqual(self.other_connection.company_id, self.third_company)
        created = self.env['qbo.connection'].with_user(self.system_user).create({'company_id': self.other_company.id})
        self.assertEqual(created.state, 'not_connected')

    # -- 5. queueing takes the QuickBooks group ----------------------------------

    def test_push_takes_the_quickbooks_group(self):
        self.connection.sync_mode = 'manual'
        invoice = self._invoice(partner_id=self.portal_user.partner_id.id)
        payment = self._register_payment(invoice)
        self.assertFalse(self._jobs(invoice) | self._jobs(payment))
        for user in (self.portal_user, self.billing_user):
            for record in (invoice, payment):
                with self.subTest(user=user.login, model=record._name):
                    self._assert_refused(self._rpc(user, record._name, 'action_qbo_push', record.ids))
        self.assertFalse(self._jobs(invoice) | self._jobs(payment), 'queued by a user outside the QuickBooks groups')
        for record in (invoice, payment):
            answer = self._rpc(self.qbo_user, record._name, 'action_qbo_push', record.ids)
            self.assertEqual(answer['result']['tag'], 'display_notification', answer)
            self.assertEqual(self._jobs(record).state, 'pending')

    def test_splitting_by_matter_takes_the_right_to_edit_the_draft(self):
        self.connection.sync_matters = True
        plan = self.env['account.analytic.plan'].create({'name': 'Matters'})
        matters = self.env['account.analytic.account'].create(
            [{'name': name, 'plan_id': plan.id, 'partner_id': self.partner_a.id} for name in ('Rpc A', 'Rpc B')]
        )
        invoice = self._invoice(
            post=False,
            partner_id=self.portal_user.partner_id.id,
            invoice_line_ids=[
                self._prepare_invoice_line(price_unit=10.0, analytic_distribution={str(matter.id): 100})
                for matter in matters
            ],
        )
        self._assert_refused(self._rpc(self.portal_user, 'account.move', 'action_qbo_split_by_matter', invoice.ids))
        self.assertEqual(len(invoice.invoice_line_ids), 2, 'not split by a portal user')
        answer = self._rpc(self.billing_user, 'account.move', 'action_qbo_split_by_matter', invoice.ids)
        self.assertEqual(len(answer['result']['domain'][0][2]), 2, answer)
        self.assertEqual(len(invoice.invoice_line_ids), 1)

    def test_portal_users_read_their_invoice_but_not_its_quickbooks_status(self):
        invoice = self._invoice(partner_id=self.portal_user.partner_id.id)
        invoice.sudo()._qbo_write_status({'qbo_sync_state': 'failed', 'qbo_sync_error': "INV/42 of Someone Else's"})
        answer = self._rpc(self.portal_user, 'account.move', 'read', invoice.ids, ['name', 'amount_total'])
        self.assertEqual(answer['result'][0]['name'], invoice.name, answer)
        for field in ('qbo_sync_state', 'qbo_sync_error', 'qbo_url', 'qbo_customer_partner_id'):
            with self.subTest(field=field):
                self._assert_refused(self._rpc(self.portal_user, 'account.move', 'read', invoice.ids, [field]))
        answer = self._rpc(self.portal_user, 'account.move', 'read', invoice.ids)
        self.assertNotIn("Someone Else's", str(answer))
        # The portal page of the invoice still opens.
        self.authenticate(self.portal_user.login, self.portal_user.login)
        response = self.url_open(f'/my/invoices/{invoice.id}', allow_redirects=False)
        self.assertEqual(response.status_code, 200)
        self.assertIn(invoice.name, response.text)
        self.assertNotIn("Someone Else's", response.text)
        # Internal users still read them.
        answer = self._rpc(self.billing_user, 'account.move', 'read', invoice.ids, ['qbo_sync_error'])
        self.assertEqual(answer['result'][0]['qbo_sync_error'], "INV/42 of Someone Else's")

    # -- 9. books check, reconnect page, qbo_url ---------------------------------

    def test_books_checks_are_walled_by_company(self):
        check = self.env['qbo.books.check'].with_user(self.qbo_user).create({'connection_id': self.connection.id})
        line = (
            self.env['qbo.books.check.line']
            .sudo()
            .create({'check_id': check.id, 'kind': 'invoice', 'compared': 'total', 'odoo_amount': 42.0})
        )
        self.assertEqual(self.env['qbo.books.check.line'].with_user(self.qbo_user).search([]), line)
        self.assertFalse(self.env['qbo.books.check'].with_user(self.other_user).search([]))
        self.assertFalse(self.env['qbo.books.check.line'].with_user(self.other_user).search([]))
        with self.assertRaises(AccessError):
            check.with_user(self.other_user).read(['connection_id'])
        with self.assertRaises(AccessError):
            line.with_user(self.other_user).read(['odoo_amount'])

    def test_reconnect_page_shows_a_connection_only_to_who_may_read_it(self):
        url = f'/qbo/oauth/connect/{self.connection.id}'
        realm = self.connection.realm_id
        for user in (self.portal_user, self.billing_user, self.other_user):
            with self.subTest(user=user.login):
                self.authenticate(user.login, user.login)
                response = self.url_open(url, allow_redirects=False)
                self.assertEqual(response.status_code, 404)
                self.assertNotIn(realm, response.text)
        self.authenticate(self.qbo_admin.login, self.qbo_admin.login)
        response = self.url_open(url, allow_redirects=False)
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.company.name, response.text)

    def test_quickbooks_link_only_for_quickbooks_users(self):
        invoice = self._invoice()
        self._run_queue()
        self.assertTrue(invoice.qbo_url)
        self.assertFalse(invoice.with_user(self.billing_user).qbo_url)
        self.assertIn(self.emulator.base_url, invoice.with_user(self.qbo_user).qbo_url)
        answer = self._rpc(self.billing_user, 'account.move', 'read', invoice.ids, ['qbo_url'])
        self.assertFalse(answer['result'][0]['qbo_url'], answer)
        self.assertNotIn(self.emulator.base_url, str(answer))
