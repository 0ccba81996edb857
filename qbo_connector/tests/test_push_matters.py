"""Matters as sub-customers and hard costs billed to a client (issue 12, items 3, 4 and 9): an
invoice whose lines carry one matter (an analytic account naming a client) goes to the matter's
QuickBooks sub-customer, its payments with it; a bill line carrying a matter is a billable
expense of that sub-customer (of the client, matters off). US and Canadian companies."""

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import CA_REALM
from .test_push_bills import QboBillsCommon


class QboMattersCommon(QboBillsCommon):
    def _matter(self, name, client=None):
        company = self.connection.company_id
        plan = self.env['account.analytic.plan'].search([('name', '=', 'Matters')], limit=1) or self.env[
            'account.analytic.plan'
        ].create({'name': 'Matters'})
        return self.env['account.analytic.account'].create(
            {'name': name, 'plan_id': plan.id, 'partner_id': (client or self.partner_a).id, 'company_id': company.id}
        )

    def _matter_invoice(self, *matters, amount=100.0):
        lines = [
            {
                'name': f'Legal work {index}',
                'quantity': 1,
                'price_unit': amount,
                'tax_ids': [Command.set(self._untaxed.ids)],
                'analytic_distribution': {str(matter.id): 100} if matter else False,
            }
            for index, matter in enumerate(matters)
        ]
        return self._move(lines)

    def _customer(self, qbo_id):
        return self._qbo_by_id('Customer', qbo_id)

    def _run_all(self):
        for _round in range(3):
            self._run_queue()

    def _invoice_doc(self, invoice):
        return next(i for i in self._qbo('Invoice') if invoice._qbo_reference() in (i.get('PrivateNote') or ''))


@tagged('post_install', '-at_install')
class TestPushMatters(QboMattersCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._untaxed = cls.env['account.tax']

    def setUp(self):
        super().setUp()
        self.connection.write({'sync_matters': True, 'sync_billable': True})

    def test_invoice_of_a_matter_goes_to_its_sub_customer_and_is_paid_there(self):
        matter = self._matter('Smith v Jones')
        invoice = self._matter_invoice(matter, matter)
        self._run_all()
        self.assertEqual(invoice.qbo_sync_state, 'synced', invoice.qbo_sync_error)
        doc = self._invoice_doc(invoice)
        job = self._customer(doc['CustomerRef']['value'])
        parent = self._customer(job['ParentRef']['value'])
        self.assertTrue(job['Job'])
        self.assertEqual(job['DisplayName'], 'Smith v Jones')
        self.assertEqual(job['FullyQualifiedName'], f"{parent['DisplayName']}:Smith v Jones")
        self.assertEqual(parent['DisplayName'], self.partner_a.name)
        self.assertEqual(invoice.qbo_matter_id, matter)
        self.assertFalse(self._differences())
        # A second invoice of the matter goes to the same sub-customer, without looking for it.
        before = len(self._api_requests())
        second = self._matter_invoice(matter, amount=40.0)
        self._run_all()
        self.assertEqual(self._invoice_doc(second)['CustomerRef']['value'], job['Id'])
        self.assertEqual(len(self._api_requests()) - before, 1, 'one request: the invoice')
        payment = self._register_payment(invoice | second)
        self._run_all()
        self.assertEqual(payment.qbo_sync_state, 'synced', payment.qbo_sync_error)
        self.assertEqual(self._qbo_by_id('Payment', payment.qbo_id)['CustomerRef']['value'], job['Id'])
        self.assertAlmostEqual(float(self._invoice_doc(invoice)['Balance']), 0.0, places=2)
        self.assertFalse(self._differences())

    def test_credit_note_of_the_matter_applies_under_its_sub_customer(self):
        matter = self._matter('Smith v Jones')
        invoice = self._matter_invoice(matter)
        credit_note = self._move(
            [
                {
                    'name': 'Courtesy discount',
                    'quantity': 1,
                    'price_unit': 30.0,
                    'tax_ids': [Command.set(self._untaxed.ids)],
                    'analytic_distribution': {str(matter.id): 100},
                }
            ],
            move_type='out_refund',
        )
        (invoice | credit_note).line_ids.filtered(lambda l: l.account_type == 'asset_receivable').reconcile()
        self._run_all()
        self.assertEqual(credit_note.qbo_sync_state, 'synced', credit_note.qbo_sync_error)
        job = self._invoice_doc(invoice)['CustomerRef']['value']
        [application] = self._qbo_payments_of(credit_note)
        self.assertEqual(application['CustomerRef']['value'], job)
        self.assertAlmostEqual(float(self._invoice_doc(invoice)['Balance']), 70.0, places=2)
        self.assertFalse(self._differences())

    def test_sub_customer_made_by_hand_is_found_under_its_client(self):
        plain = self._matter_invoice(None)
        self._run_all()
        parent = self._invoice_doc(plain)['CustomerRef']
        made = self.connection._qbo_client().create(
            'Customer', {'DisplayName': 'Doe Estate', 'Job': True, 'ParentRef': {'value': parent['value']}}
        )
        customers = len(self._qbo('Customer'))
        invoice = self._matter_invoice(self._matter('Doe Estate'))
        self._run_all()
        self.assertEqual(self._invoice_doc(invoice)['CustomerRef']['value'], made['Id'])
        self.assertEqual(len(self._qbo('Customer')), customers, 'no customer made')

    def test_matter_named_like_another_clients_fails_clearly(self):
        first = self._matter_invoice(self._matter('Estate of Brown', client=self.partner_b))
        self._run_all()
        # Display names are unique in QuickBooks: a second matter of that name fails, saying so.
        invoice = self._matter_invoice(self._matter('Estate of Brown'))
        other = self._matter_invoice(None)
        self._run_all()
        self.assertEqual(first.qbo_sync_state, 'synced', first.qbo_sync_error)
        self.assertEqual(invoice.qbo_sync_state, 'failed')
        self.assertIn('Estate of Brown', invoice.qbo_sync_error)
        self.assertEqual(other.qbo_sync_state, 'synced', other.qbo_sync_error)

    def test_invoice_spanning_two_matters_fails_clearly_and_the_queue_goes_on(self):
        invoice = self._matter_invoice(self._matter('Matter A'), self._matter('Matter B'))
        mixed = self._matter_invoice(self._matter('Matter C'), None)
        plain = self._matter_invoice(None)
        self._run_all()
        self.assertEqual(invoice.qbo_sync_state, 'failed')
        self.assertIn('several matters', invoice.qbo_sync_error)
        self.assertIn('Matter A', invoice.qbo_sync_error)
        self.assertEqual(mixed.qbo_sync_state, 'failed')
        self.assertEqual(plain.qbo_sync_state, 'synced', plain.qbo_sync_error)
        self.assertFalse(self._invoice_doc(plain)['CustomerRef'].get('name', '').endswith('Matter C'))
        # Corrected (each line of one matter) and posted again, it goes.
        invoice.button_draft()
        invoice.invoice_line_ids[1].analytic_distribution = invoice.invoice_line_ids[0].analytic_distribution
        invoice.action_post()
        self._run_all()
        self.assertEqual(invoice.qbo_sync_state, 'synced', invoice.qbo_sync_error)
        self.assertEqual(self._customer(self._invoice_doc(invoice)['CustomerRef']['value'])['DisplayName'], 'Matter A')

    def _split_of(self, invoice):
        """The documents split off ``invoice`` (copies of it, made after it)."""
        return self.env['account.move'].search(
            [
                ('id', '>', invoice.id),
                ('partner_id', '=', invoice.partner_id.id),
                ('move_type', '=', invoice.move_type),
            ],
            order='id',
        )

    def _assert_went_to(self, invoice, display_name, total):
        self.assertEqual(invoice.qbo_sync_state, 'synced', invoice.qbo_sync_error)
        doc = self._invoice_doc(invoice)
        self.assertEqual(self._customer(doc['CustomerRef']['value'])['DisplayName'], display_name)
        self.assertAlmostEqual(float(doc['TotalAmt']), total, places=2)

    def test_an_invoice_of_several_matters_is_split_on_posting_when_chosen(self):
        """Split on: posting an invoice of two matters and a line of none makes three invoices
        in Odoo, each to its own customer in QuickBooks, their totals the original's."""
        self.connection.split_matters = True
        first, second = self._matter('Estate of Doe'), self._matter('Doe v Roe')
        invoice = self._matter_invoice(first, second, None, first, amount=100.0)
        copies = self._split_of(invoice)
        self.assertEqual(len(copies), 2)
        self.assertEqual((invoice | copies).mapped('state'), ['posted'] * 3)
        self.assertEqual([len(m.invoice_line_ids) for m in invoice | copies], [2, 1, 1])
        self.assertEqual(copies.mapped('invoice_date'), [invoice.invoice_date] * 2)
        self.assertTrue(any('Split by matter' in str(message.body) for message in invoice.message_ids))
        self._run_all()
        self._assert_went_to(invoice, 'Estate of Doe', 200.0)
        self._assert_went_to(copies[0], 'Doe v Roe', 100.0)
        self._assert_went_to(copies[1], self.partner_a.name, 100.0)
        self.assertFalse(self._customer(self._invoice_doc(copies[1])['CustomerRef']['value']).get('Job'))
        self.assertFalse(self._differences())

    def test_a_draft_of_several_matters_is_split_by_its_button(self):
        """Split off: the invoice fails, saying how to split it; reset to draft, its button
        splits it, and posted, each part goes to its sub-customer."""
        first, second = self._matter('Matter North'), self._matter('Matter South')
        invoice = self._matter_invoice(first, second, amount=60.0)
        self.assertFalse(self._split_of(invoice), 'not split: the option is off')
        self._run_all()
        self.assertEqual(invoice.qbo_sync_state, 'failed')
        self.assertIn('split it by matter', invoice.qbo_sync_error)
        invoice.button_draft()
        self.assertTrue(invoice.qbo_spans_matters)
        action = invoice.action_qbo_split_by_matter()
        parts = self.env['account.move'].search(action['domain'], order='id')
        self.assertEqual(parts[0], invoice)
        self.assertEqual(len(parts), 2)
        self.assertEqual(parts.mapped('qbo_spans_matters'), [False, False])
        with self.assertRaises(UserError):
            invoice.action_qbo_split_by_matter()
        parts.action_post()
        self._run_all()
        self._assert_went_to(invoice, 'Matter North', 60.0)
        self._assert_went_to(parts[1], 'Matter South', 60.0)
        self.assertFalse(self._differences())

    def test_hard_cost_billed_to_the_matters_sub_customer(self):
        self.connection.sync_bills = True
        advertising = self.env['account.account'].create(
            {'name': 'Advertising', 'code': '610100', 'account_type': 'expense', 'company_ids': [self.company.id]}
        )
        matter = self._matter('Smith v Jones')
        bill = self._bill(
            [(advertising, 1, 250.0, self.env['account.tax']), (advertising, 1, 30.0, self.env['account.tax'])],
            post=False,
        )
        bill.invoice_line_ids[0].analytic_distribution = {str(matter.id): 100}
        bill.action_post()
        self._run_all()
        qbo_bill = self._qbo_of(bill)
        billable, plain = (line['AccountBasedExpenseLineDetail'] for line in qbo_bill['Line'])
        self.assertEqual(billable['BillableStatus'], 'Billable')
        job = self._customer(billable['CustomerRef']['value'])
        self.assertEqual((job['DisplayName'], job['Job']), ('Smith v Jones', True))
        self.assertNotIn('CustomerRef', plain)
        self.assertFalse(self._differences())
        # Matters off: billable to the client itself.
        self.connection.sync_matters = False
        again = self._bill([(advertising, 1, 75.0, self.env['account.tax'])], ref='PM-1002', post=False)
        again.invoice_line_ids.analytic_distribution = {str(matter.id): 100}
        again.action_post()
        self._run_all()
        detail = self._qbo_of(again)['Line'][0]['AccountBasedExpenseLineDetail']
        self.assertEqual(self._customer(detail['CustomerRef']['value'])['DisplayName'], self.partner_a.name)

    def test_switched_off_nothing_changes(self):
        self.connection.write({'sync_matters': False, 'sync_billable': False})
        invoice = self._matter_invoice(self._matter('Quiet matter'))
        self._run_all()
        self.assertFalse(self._customer(self._invoice_doc(invoice)['CustomerRef']['value']).get('Job'))
        self.assertFalse(invoice.qbo_matter_id)


@tagged('post_install', '-at_install')
class TestPushMattersCanada(QboMattersCommon):
    realm = CA_REALM

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._qbo_setup_canada()
        cls._untaxed = cls._ca_tax('GST 5%', 5.0)

    def setUp(self):
        super().setUp()
        self._qbo_connect_canada()
        self.connection.write({'sync_matters': True})

    def test_invoice_of_a_matter_goes_to_its_sub_customer(self):
        matter = self._matter('Tremblay c. Roy')
        invoice = self._matter_invoice(matter)
        self._run_all()
        self.assertEqual(invoice.qbo_sync_state, 'synced', invoice.qbo_sync_error)
        doc = self._invoice_doc(invoice)
        job = self._customer(doc['CustomerRef']['value'])
        self.assertEqual((job['DisplayName'], job['Job']), ('Tremblay c. Roy', True))
        self.assertAlmostEqual(float(doc['TotalAmt']), 105.0, places=2)
        payment = self._register_payment(invoice)
        self._run_all()
        self.assertEqual(self._qbo_by_id('Payment', payment.qbo_id)['CustomerRef']['value'], job['Id'])
        self.assertFalse(self._differences())
