"""The setup assistant (issue 11): its pre-flight reads QuickBooks and writes nothing, the
recommended path sets every choice, Customize walks the groups, Continue later resumes, Cancel
leaves the connection as it was, Start applies the choices and queues the documents; and its
buttons are for QuickBooks administrators of the company only."""

import io
import json
import random
import string

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.pdf import PdfReader

from ..models.qbo_setup import CHOICES
from ..tools.near_names import NameIndex, near_identical
from .common import ACCESS_ERROR, QboRpcMixin
from .test_push_invoice import QboPushCommon


@tagged('post_install', '-at_install')
class TestSetupAssistant(QboRpcMixin, QboPushCommon, HttpCase):
    registry_test_mode = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin_user = new_test_user(
            cls.env,
            login='qbo_setup_admin',
            password='qbo_setup_admin',
            groups='base.group_user,account.group_account_manager,qbo_connector.group_qbo_admin',
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.qbo_user = new_test_user(
            cls.env,
            login='qbo_setup_user',
            password='qbo_setup_user',
            groups='base.group_user,account.group_account_invoice,qbo_connector.group_qbo_user',
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.other_company = cls.env['res.company'].create({'name': 'Elsewhere Setup Ltd'})
        cls.other_admin = new_test_user(
            cls.env,
            login='qbo_setup_other',
            password='qbo_setup_other',
            groups='base.group_user,qbo_connector.group_qbo_admin',
            company_id=cls.other_company.id,
            company_ids=[Command.set(cls.other_company.ids)],
        )

        cls.system_admin = new_test_user(
            cls.env,
            login='qbo_setup_system',
            password='qbo_setup_system',
            groups='base.group_user,base.group_system,account.group_account_manager,qbo_connector.group_qbo_admin',
            company_id=cls.other_company.id,
            company_ids=[Command.set((cls.company | cls.other_company).ids)],
        )

    # -- helpers ---------------------------------------------------------------

    def _setup(self, user=None):
        action = self.connection.with_user(user or self.admin_user).action_open_setup()
        return self.env['qbo.setup'].browse(action['res_id']).with_user(user or self.admin_user)

    def _partner(self, name, email=False):
        return self.env['res.partner'].create({'name': name, 'email': email, 'customer_rank': 1})

    def _qbo_customer(self, client, name, email=None):
        values = {'DisplayName': name}
        if email:
            values['PrimaryEmailAddr'] = {'Address': email}
        return client.create('Customer', values)

    def _qbo_invoice(self, client, number, customer, amount):
        item = client.query("SELECT * FROM Item WHERE Type = 'Service'")[0]
        return client.create(
            'Invoice',
            {
                'DocNumber': number,
                'CustomerRef': {'value': customer['Id']},
                'Line': [
                    {
                        'Amount': amount,
                        'DetailType': 'SalesItemLineDetail',
                        'SalesItemLineDetail': {'ItemRef': {'value': item['Id']}, 'Qty': 1, 'UnitPrice': amount},
                    }
                ],
            },
        )

    def _untaxed_invoice(self, partner, amount, invoice_date=None):
        line = Command.create(
            {'product_id': self.product_a.id, 'quantity': 1, 'price_unit': amount, 'tax_ids': [Command.clear()]}
        )
        dated = {'invoice_date': invoice_date, 'date': invoice_date} if invoice_date else {}
        return self._create_invoice(partner_id=partner.id, invoice_line_ids=[line], post=True, **dated)

    def _drain(self, rounds=6):
        """The queue run until nothing is left to do (the initial sync's driver, then its batches)."""
        for _ in range(rounds):
            if not self._run_queue():
                break

    def _findings(self, setup, kind):
        return setup.preflight_line_ids.filtered(lambda line: line.kind == kind)

    # -- pre-flight ------------------------------------------------------------

    def test_preflight_lists_matches_duplicates_links_and_clashes_writing_nothing(self):
        by_email = self._partner('Harbor Lights LLC', 'harbor@example.com')
        by_name = self._partner('Quarry Stone Works', 'stones@example.com')
        other_email = self._partner('Maple Leaf Bakery', 'maple@example.com')
        near = self._partner('Northwind Traders', 'orders@northwind.example.com')
        stranger = self._partner('Nobody Quite Like Us', 'nobody@example.com')
        client = self.connection._qbo_client()
        harbor = self._qbo_customer(client, 'Harbor Lights', 'HARBOR@example.com')  # email wins over the name
        self._qbo_customer(client, 'Quarry Stone Works')
        self._qbo_customer(client, 'Maple Leaf Bakery', 'bakery@elsewhere.example.com')
        self._qbo_customer(client, 'North-Wind Traders, Inc.')
        linked = self._untaxed_invoice(by_email, 100.0)
        clashing = self._untaxed_invoice(by_name, 250.0)
        fresh = self._untaxed_invoice(stranger, 75.0)
        self._qbo_invoice(client, linked.name, harbor, 100.0)
        self._qbo_invoice(client, clashing.name, harbor, 250.0)  # another customer's
        # The pre-flight starts with QuickBooks as it is now: only its reads follow.
        seen = len(self._api_requests())

        setup = self._setup()
        self.assertEqual(setup.step, 'preflight')  # connected already
        bus = self.env['bus.bus'].sudo()
        last = bus.search([], order='id desc', limit=1).id
        setup.action_run_preflight()
        # Its progress went to the user's browser as it read, one message after each read.
        live = [json.loads(m) for m in bus.search([('id', '>', last)], order='id').mapped('message')]
        live = [m['payload'] for m in live if m['type'] == 'qbo_connector/preflight_progress']
        self.assertEqual([m['reads'] for m in live], list(range(1, setup.preflight_reads + 1)))
        self.assertEqual({m['setup_id'] for m in live}, {setup.id})
        self.assertEqual([m['section'] for m in live][:1], ['Customers'])
        self.assertIn('Payment methods', [m['section'] for m in live])
        self.assertEqual([m['progress'] for m in live], sorted(m['progress'] for m in live))
        self.assertLess(live[-1]['progress'], 100.0)

        matches = self._findings(setup, 'customer_match')
        self.assertIn(by_email.id, matches.mapped('res_id'))
        self.assertEqual(matches.filtered(lambda f: f.res_id == by_email.id).qbo_id, str(harbor['Id']))
        self.assertIn(by_name.id, matches.mapped('res_id'))
        duplicates = self._findings(setup, 'customer_duplicate')
        self.assertEqual(
            {(d.res_id, d.qbo_name) for d in duplicates if d.res_id in (other_email.id, near.id)},
            {(other_email.id, 'Maple Leaf Bakery'), (near.id, 'North-Wind Traders, Inc.')},
        )
        self.assertNotIn(stranger.id, (matches | duplicates).mapped('res_id'))
        self.assertEqual(self._findings(setup, 'document_linked').mapped('res_id'), [linked.id])
        clash = self._findings(setup, 'document_clash')
        self.assertEqual(clash.mapped('res_id'), [clashing.id])
        self.assertIn('Harbor Lights', clash.note)
        self.assertNotIn(
            fresh.id, setup.preflight_line_ids.filtered(lambda f: f.res_model == 'account.move').mapped('res_id')
        )
        preferences = self._findings(setup, 'preference')
        self.assertEqual(len(preferences), 5)
        self.assertTrue(all(p.note for p in preferences))
        self.assertIn('USD / US', preferences.mapped('qbo_name'))
        # California 8 % has a QuickBooks code of its rate; the 15 % sale tax of the chart has not.
        unmapped = self._findings(setup, 'tax_unmapped')
        self.assertIn(self.tax_8.id, unmapped.mapped('res_id'))
        self.assertTrue(self._findings(setup, 'method_unmapped'))

        requests = self._api_requests()[seen:]
        self.assertTrue(requests)
        self.assertEqual({r['operation'] for r in requests} - {'query', 'read'}, set(), 'the pre-flight wrote')
        self.assertEqual(setup.preflight_reads, len(requests))
        paged = [r for r in requests if r['operation'] == 'query']
        self.assertEqual(setup.preflight_pages, len(paged))
        self.assertEqual(setup.preflight_progress, 100.0)
        # Nothing of it reached the connection or the queue beyond what posting queued.
        self.assertFalse(self.env['qbo.mapping'].sudo().search([('res_model', '=', 'res.partner')]))

    def test_a_possible_duplicate_the_user_calls_the_same_customer_is_linked_at_start(self):
        """Near-identical names: decided before anything is written. Called the same customer,
        the partner is linked to it at Start (found, not created) and the initial sync sends its
        invoice to it; nothing is created twice in QuickBooks."""
        near = self._partner('Northwind Traders', 'orders@northwind.example.com')
        client = self.connection._qbo_client()
        qbo_customer = self._qbo_customer(client, 'North-Wind Traders, Inc.')
        invoice = self._untaxed_invoice(near, 120.0)
        setup = self._setup()
        setup.action_run_preflight()
        line = self._findings(setup, 'customer_duplicate').filtered(lambda f: f.res_id == near.id)
        self.assertEqual(line.decision, 'separate', 'another customer unless the user says otherwise')
        line.action_decide_link()
        self.assertEqual(line.decision, 'link')
        customers_before = len(self._qbo('Customer'))
        setup.action_recommended()
        while setup.step != 'review':
            setup.action_next()
        setup.action_start()
        mapping = self.env['qbo.mapping'].sudo()._qbo_find(self.connection, near, 'Customer')
        self.assertEqual((mapping.qbo_id, mapping.origin), (str(qbo_customer['Id']), 'found'))
        self._run_queue()
        self.assertEqual(self._qbo_doc('Invoice', invoice.name)['CustomerRef']['value'], str(qbo_customer['Id']))
        self.assertEqual(len(self._qbo('Customer')), customers_before, 'no second customer')
        with self.assertRaises(UserError):
            line.action_decide_separate()

    def test_a_partner_bound_already_is_no_finding_and_its_invoices_are_compared_with_its_customer(self):
        """Run again once a partner is bound (an earlier sync, a decision), the pre-flight neither
        offers it another customer of a near-identical or the same name nor calls its invoice a
        clash when QuickBooks holds it under the customer it is bound to."""
        bound = self._partner('Harbor Lights LLC', 'harbor@example.com')
        client = self.connection._qbo_client()
        harbor = self._qbo_customer(client, 'Harbor Lights LLC (old)', 'accounts@harbor.example.com')
        self._qbo_customer(client, 'Harbor Lights LLC')
        self._qbo_customer(client, 'Harbor-Lights, LLC')
        self.env['qbo.mapping']._qbo_link(self.connection, bound, 'Customer', harbor)
        invoice = self._untaxed_invoice(bound, 100.0)
        self._qbo_invoice(client, invoice.name, harbor, 100.0)
        setup = self._setup()
        setup.action_run_preflight()
        customer_lines = setup.preflight_line_ids.filtered(lambda f: f.res_model == 'res.partner')
        self.assertNotIn(bound.id, customer_lines.mapped('res_id'), 'bound already: nothing to decide')
        self.assertEqual(self._findings(setup, 'document_linked').mapped('res_id'), [invoice.id])
        self.assertFalse(self._findings(setup, 'document_clash'))

    def test_a_sub_customer_is_not_offered_to_a_company(self):
        """The pre-flight says what the push would do: a company is linked to a top-level customer
        only, never to a sub-customer (a job) of the same name or email, nor offered one as a
        possible duplicate (deciding *Same customer* would send its invoices to the job)."""
        partner = self._partner('Quarry Stone Works', 'stones@example.com')
        client = self.connection._qbo_client()
        parent = self._qbo_customer(client, 'Granite Holdings')
        job = client.create(
            'Customer',
            {
                'DisplayName': 'Quarry Stone Works',
                'PrimaryEmailAddr': {'Address': 'stones@example.com'},
                'Job': True,
                'ParentRef': {'value': parent['Id']},
            },
        )
        near_job = client.create(
            'Customer', {'DisplayName': 'Quarry-Stone Works, Inc.', 'Job': True, 'ParentRef': {'value': parent['Id']}}
        )
        setup = self._setup()
        setup.action_run_preflight()
        offered = setup.preflight_line_ids.filtered(lambda f: f.res_id == partner.id and f.res_model == 'res.partner')
        self.assertFalse({str(job['Id']), str(near_job['Id'])} & set(offered.mapped('qbo_id')))
        self._untaxed_invoice(partner, 90.0)
        self._run_queue()
        mapping = self.env['qbo.mapping'].sudo()._qbo_find(self.connection, partner, 'Customer')
        self.assertTrue(mapping)
        self.assertNotIn(mapping.qbo_id, (str(job['Id']), str(near_job['Id'])), 'the push did not link it either')

    def test_with_quickbooks_numbering_its_documents_a_number_alike_is_no_clash(self):
        """With custom transaction numbers off, QuickBooks numbers documents itself and Odoo sends
        no number: a QuickBooks invoice numbered like an Odoo one but of another customer is in
        nobody's way, and the pre-flight does not say it will stop the invoice; the invoice goes."""
        partner = self._partner('Quarry Stone Works', 'stones@example.com')
        client = self.connection._qbo_client()
        other = self._qbo_customer(client, 'Harbor Lights', 'harbor@example.com')
        invoice = self._untaxed_invoice(partner, 250.0)
        self._qbo_invoice(client, invoice.name, other, 99.0)
        self._quickbooks_numbers_documents()
        setup = self._setup()
        setup.action_run_preflight()
        self.assertFalse(self._findings(setup, 'document_clash'))
        self.assertIn('Off', self._findings(setup, 'preference').mapped('qbo_name'))
        self._run_queue()
        self.assertEqual(invoice.qbo_sync_state, 'synced', invoice.qbo_sync_error)

    def test_near_identical_names(self):
        self.assertTrue(near_identical('Acme Inc', 'ACME, Inc.'))
        self.assertTrue(near_identical('Northwind Traders', 'North-Wind Traders Ltd'))
        self.assertFalse(near_identical('Acme Inc', 'acme inc'))  # the same name to QuickBooks
        self.assertFalse(near_identical('Acme Inc', 'Apex Holdings'))

    def test_the_name_index_misses_no_near_identical_name(self):
        """The pre-flight looks near-identical names up in an index instead of comparing every pair
        (benchmarks/preflight_names.py): it finds exactly what comparing every pair finds, typos in
        the first or last letters, noise words and punctuation included."""
        rng = random.Random(11)
        words = [''.join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(120)]
        qbo = [
            {'Id': str(i), 'DisplayName': ' '.join(rng.choices(words, k=rng.randint(1, 3))).title()} for i in range(300)
        ]
        qbo += [{'Id': 'acme', 'DisplayName': 'ACME, Inc.'}, {'Id': 'north', 'DisplayName': 'North-Wind Traders Ltd'}]
        names = ['Acme Inc', 'Northwind Traders', 'Xorthwind Traders', 'Northwind Tradersx', '', 'Inc']
        for _ in range(300):
            text = list(rng.choice(qbo)['DisplayName'])
            for _edit in range(rng.randint(0, 3)):
                at = rng.randrange(len(text) + 1)
                if rng.random() < 0.5 and at < len(text):
                    del text[at]
                else:
                    text.insert(at, rng.choice(string.ascii_letters + ' -,.'))
            names.append(''.join(text))
        index = NameIndex(qbo, lambda customer: customer['DisplayName'])
        found = 0
        for name in names:
            expected = [c['Id'] for c in qbo if near_identical(c['DisplayName'], name)]
            self.assertEqual([c['Id'] for c in index.near(name)], expected, name)
            found += len(expected)
        self.assertGreater(found, 100, 'the corpus has near-identical names to find')
        self.assertLess(index.compared, len(names) * len(qbo) / 10, 'and compares few of the pairs')

    # -- paths -----------------------------------------------------------------

    def _through_preflight(self, setup):
        setup.action_run_preflight()
        setup.action_next()
        self.assertEqual(setup.step, 'choose')

    def test_recommended_path_sets_every_choice_and_starts(self):
        self.connection.write({'sync_bills': False, 'invoice_prefix': 'X-', 'default_class_name': 'Old'})
        old = self._untaxed_invoice(self.partner_a, 10.0, invoice_date='2020-01-15')
        current = self._untaxed_invoice(self.partner_a, 20.0)
        self.env['qbo.sync.job'].sudo().search([]).unlink()
        setup = self._setup()
        self._through_preflight(setup)
        with self.assertRaises(UserError):
            setup.action_next()  # a choice must be made
        setup.action_recommended()
        self.assertEqual(setup.step, 'review')
        fiscal_start = self.company.compute_fiscalyear_dates(fields.Date.today())['date_from']
        expected = setup._qbo_recommended_values()
        self.assertEqual(expected['sync_start_date'], fiscal_start)
        self.assertEqual(set(expected) - {'all_unpaid'}, set(CHOICES))
        # Nothing reaches the connection before Start.
        self.assertEqual(self.connection.invoice_prefix, 'X-')
        rows = dict(setup._qbo_review_rows())
        self.assertEqual(rows['Start Date'], fields.Date.to_string(fiscal_start))
        setup.action_start()
        self.assertEqual(setup.step, 'done')
        connection = self.connection
        self.assertEqual(connection.sync_direction, 'two_way')
        self.assertEqual(connection.sync_start_date, fiscal_start)
        self.assertTrue(
            all(connection[k] for k in ('sync_invoices', 'sync_credit_notes', 'sync_payments', 'sync_bills'))
        )
        self.assertFalse(connection.default_class_name)
        self.assertFalse(connection.invoice_prefix)
        self.assertFalse(connection.untaxed_tax_code_id)
        self.assertFalse(connection.payment_method_line_ids)  # all of them
        self.assertEqual(connection.unmatched_item_name, expected['unmatched_item_name'])
        self.assertEqual(connection.tax_item_name, expected['tax_item_name'])
        self.assertTrue(connection.unmatched_item_name and connection.tax_item_name)
        # Start ran the initial sync: the documents from the start date reach QuickBooks.
        self.assertTrue(connection.initial_sync_id)
        self.assertFalse(connection.initial_sync_id.all_unpaid)
        self._drain()
        self.assertTrue(self._qbo_doc('Invoice', current.name))
        numbers = [doc.get('DocNumber') for doc in self._qbo('Invoice')]
        self.assertNotIn(old.name, numbers)  # before the start date
        # Every choice stays editable in Settings afterwards.
        connection.with_user(self.admin_user).invoice_prefix = 'OD-'
        self.assertEqual(connection.invoice_prefix, 'OD-')

    def test_customize_walks_the_groups_with_back(self):
        setup = self._setup()
        self._through_preflight(setup)
        setup.action_customize()
        self.assertEqual(setup.step, 'custom_sync')
        setup.write(
            {
                'sync_direction': 'push_only',
                'sync_start_date': '2026-03-01',
                'all_unpaid': True,
                'sync_deposits': True,
                'sync_matters': True,
                'split_matters': True,
            }
        )
        setup.action_next()
        self.assertEqual(setup.step, 'custom_invoices')
        setup.write({'invoice_prefix': 'OD-', 'line_mode': 'aggregated'})
        setup.action_back()
        self.assertEqual(setup.step, 'custom_sync')
        setup.action_next()
        setup.action_next()
        self.assertEqual(setup.step, 'custom_payments')
        method = self.company_data['default_journal_bank'].inbound_payment_method_line_ids[:1]
        setup.write({'payment_method_line_ids': [Command.set(method.ids)], 'receipts_paid_at_once': True})
        setup.action_next()
        self.assertEqual(setup.step, 'review')
        setup.action_back()
        self.assertEqual(setup.step, 'custom_payments')
        setup.action_next()
        unpaid_old = self._untaxed_invoice(self.partner_a, 30.0, invoice_date='2025-06-01')
        self.env['qbo.sync.job'].sudo().search([]).unlink()
        setup.action_start()
        connection = self.connection
        self.assertEqual(connection.sync_direction, 'push_only')
        self.assertEqual(connection.invoice_prefix, 'OD-')
        self.assertEqual(connection.line_mode, 'aggregated')
        self.assertEqual(connection.payment_method_line_ids, method)
        self.assertTrue(connection.receipts_paid_at_once)
        self.assertEqual(
            [connection[k] for k in ('sync_deposits', 'sync_trust', 'sync_matters', 'split_matters')],
            [True, False, True, True],
            'the bank side and matters chosen in the assistant',
        )
        # All unpaid invoices, whatever their date.
        self.assertTrue(connection.initial_sync_id.all_unpaid)
        self._drain()
        self.assertTrue(self._qbo_doc('Invoice', f'OD-{unpaid_old.name}'))

    def test_continue_later_resumes_and_cancel_leaves_nothing(self):
        before = {name: self.connection[name] for name in CHOICES}
        setup = self._setup()
        self._through_preflight(setup)
        setup.action_customize()
        setup.write({'invoice_prefix': 'LATER-', 'sync_direction': 'push_only'})
        action = setup.action_continue_later()
        self.assertEqual(action['res_model'], 'res.config.settings')
        self.env.invalidate_all()
        again = self._setup()
        self.assertEqual(again, setup)
        self.assertEqual(again.step, 'custom_sync')
        self.assertEqual(again.invoice_prefix, 'LATER-')
        self.assertTrue(again.preflight_line_ids)
        self.assertEqual(self.connection.invoice_prefix, before['invoice_prefix'])
        again.action_cancel()
        self.assertFalse(again.exists())
        self.assertFalse(self.env['qbo.setup.preflight.line'].sudo().search([]))
        self.assertEqual({name: self.connection[name] for name in CHOICES}, before)
        # Opened again: from the start of what is left to do, with the connection's settings.
        fresh = self._setup()
        self.assertEqual(fresh.step, 'preflight')
        self.assertFalse(fresh.invoice_prefix)

    def test_connect_step_keeps_the_keys_until_connect(self):
        connection = (
            self.env['qbo.connection'].with_user(self.system_admin).create({'company_id': self.other_company.id})
        )
        setup = self.env['qbo.setup'].browse(connection.action_open_setup()['res_id']).with_user(self.system_admin)
        self.assertEqual(setup.step, 'connect')
        with self.assertRaises(UserError):
            setup.action_next()
        setup.write({'environment': 'custom', 'custom_base_url': self.emulator.base_url, 'client_id': 'typed-id'})
        setup.action_cancel()
        self.assertFalse(connection.client_id)  # nothing half-configured

    def test_connect_step_brings_the_user_back_to_the_assistant(self):
        self.emu.add_app('setup-app', 'setup-secret', [self.base_url() + '/qbo/oauth/callback'])
        realm = self.emu.add_company(template='us')['realm_id']
        connection = (
            self.env['qbo.connection'].with_user(self.system_admin).create({'company_id': self.other_company.id})
        )
        setup = self.env['qbo.setup'].browse(connection.action_open_setup()['res_id']).with_user(self.system_admin)
        setup.write(
            {
                'environment': 'custom',
                'custom_base_url': self.emulator.base_url,
                'client_id': 'setup-app',
                'client_secret': 'setup-secret',
            }
        )
        url = setup.action_connect()['url']
        self.assertEqual(connection.sudo().client_id, 'setup-app')
        self.assertFalse(setup.sudo().client_secret)  # kept by the connection alone from now on
        self.env.cr.flush()
        callback = self.emu.approve(url, realm)
        self.authenticate('qbo_setup_system', 'qbo_setup_system')
        response = self.url_open(callback, allow_redirects=False)
        self.assertIn(f'/odoo/action-qbo_connector.action_qbo_setup/{setup.id}', response.headers['Location'])
        self.env.invalidate_all()
        self.assertEqual(connection.state, 'connected')
        self.assertEqual(setup.step, 'preflight')
        self.assertEqual(setup.qbo_company_name, 'Sandbox Company US')

    def test_report_renders_every_choice(self):
        setup = self._setup()
        self._through_preflight(setup)
        setup.action_recommended()
        # The report's HTML, which the PDF is printed from.
        html, kind = self.env['ir.actions.report']._render_qweb_html('qbo_connector.action_report_qbo_setup', setup.ids)
        self.assertEqual(kind, 'html')
        html = html.decode()
        for label, value in setup._qbo_review_rows():
            self.assertIn(label, html)
            self.assertIn(value, html)
        self.assertIn('Pre-flight', html)
        self.assertEqual(setup.action_print()['report_name'], 'qbo_connector.report_qbo_setup')
        # And the PDF the user keeps, printed by wkhtmltopdf (Debian's package, installed by CI).
        pdf, kind = (
            self.env['ir.actions.report']
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf('qbo_connector.action_report_qbo_setup', setup.ids)
        )
        self.assertEqual(kind, 'pdf')
        self.assertTrue(pdf.startswith(b'%PDF'))
        # Its content is the HTML checked above (wkhtmltopdf draws the text as shapes here, so it
        # cannot be read back): a printable document of at least one page.
        self.assertGreaterEqual(len(PdfReader(io.BytesIO(pdf)).pages), 1)

    # -- who may -----------------------------------------------------------------

    def test_rpc_security(self):
        setup = self._setup()
        self.env.cr.flush()
        public = (
            'action_back',
            'action_next',
            'action_continue_later',
            'action_cancel',
            'action_connect',
            'action_run_preflight',
            'action_recommended',
            'action_customize',
            'action_print',
            'action_start',
            'action_open_tax_mapping',
            'action_open_payment_method_mapping',
        )
        for method in public:
            for user in (self.qbo_user, self.other_admin):
                answer = self._rpc(user, 'qbo.setup', method, setup.ids)
                self.assertIn('error', answer, f'{user.login} could call {method}')
                self.assertEqual(answer['error']['data']['name'], ACCESS_ERROR, (user.login, method))
        answer = self._rpc(self.qbo_user, 'qbo.connection', 'action_open_setup', self.connection.ids)
        self.assertEqual(answer['error']['data']['name'], ACCESS_ERROR)
        # A QuickBooks administrator who is no system administrator may set up, not connect.
        answer = self._rpc(self.admin_user, 'qbo.setup', 'action_back', setup.ids)
        self.assertNotIn('error', answer, answer)
        self.assertEqual(setup.step, 'connect')
        answer = self._rpc(self.admin_user, 'qbo.setup', 'action_connect', setup.ids)
        self.assertEqual(answer['error']['data']['name'], ACCESS_ERROR)
        answer = self._rpc(self.admin_user, 'qbo.setup', 'read', setup.ids, ['client_secret'])
        self.assertIn('error', answer)
        self.assertTrue(setup.exists())
        line = (
            self.env['qbo.setup.preflight.line']
            .sudo()
            .create({'setup_id': setup.id, 'kind': 'customer_duplicate', 'decision': 'separate', 'qbo_id': '1'})
        )
        self.env.cr.flush()
        for method in ('action_decide_link', 'action_decide_separate'):
            for user in (self.qbo_user, self.other_admin):
                answer = self._rpc(user, 'qbo.setup.preflight.line', method, line.ids)
                self.assertIn('error', answer, f'{user.login} could call {method}')
        self.assertEqual(line.decision, 'separate')
