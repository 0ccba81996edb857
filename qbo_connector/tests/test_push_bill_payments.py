"""Vendor payments → QuickBooks BillPayments (issue 12, item 5), and bill payments recorded in
QuickBooks back into Odoo: by check or credit card, full, partial, several bills and a vendor
credit at once, cancel → deleted, posted again, lost answers without duplicates; the books check
(bills' balances and vendors' balances) clean after each; a US and a Canadian company."""

from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged

from .common import CA_REALM
from .test_push_bills import QboBillsCommon


class QboBillPaymentsCommon(QboBillsCommon):
    def _pay(self, moves, **values):
        """What a user does with "Register Payment" on the selected bills (one payment)."""
        return self._register_payment(moves, group_payment=True, **values)

    def _bill_payment_of(self, payment):
        self.assertEqual(payment.qbo_sync_state, 'synced', payment.qbo_sync_error)
        found = [o for o in self._qbo('BillPayment') if payment._qbo_reference() in (o.get('PrivateNote') or '')]
        self.assertEqual(len(found), 1, f'{payment.name} is {len(found)} times in QuickBooks')
        self.assertEqual(found[0]['Id'], payment.qbo_id)
        return found[0]

    def _links(self, qbo_payment):
        return {
            (link['TxnType'], link['TxnId']): line['Amount']
            for line in qbo_payment['Line']
            for link in line['LinkedTxn']
        }

    def _assert_clean(self, *moves):
        for move in moves:
            entity = 'Bill' if move.move_type == 'in_invoice' else 'VendorCredit'
            qbo_doc = next(d for d in self._qbo(entity) if d['Id'] == move.qbo_id)
            self.assertAlmostEqual(float(qbo_doc['Balance']), move.amount_residual, places=2, msg=move.name)
        self.assertFalse(self._differences())


@tagged('post_install', '-at_install')
class TestPushBillPayments(QboBillPaymentsCommon):
    """A US company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.advertising = cls.env['account.account'].create(
            {'name': 'Advertising', 'code': '610100', 'account_type': 'expense', 'company_ids': [cls.company.id]}
        )

    def _bills(self):
        bill = self._bill([(self.product_a, 2, 100.0, self.env['account.tax'])])
        self._run_queue()
        return bill

    def test_partial_then_full_by_check(self):
        bill = self._bills()
        first = self._pay(bill, amount=80.0)
        self.assertEqual(self._jobs(first).state, 'pending', 'posting queues it')
        self._run_queue()
        qbo_payment = self._bill_payment_of(first)
        self.assertEqual(qbo_payment['PayType'], 'Check')
        self.assertEqual(qbo_payment['CheckPayment']['BankAccountRef']['value'], self._account_named('Checking')['Id'])
        self.assertEqual(qbo_payment['TotalAmt'], 80.0)
        self.assertEqual(self._links(qbo_payment), {('Bill', bill.qbo_id): 80.0})
        self.assertEqual(qbo_payment['VendorRef']['value'], self._qbo_of(bill)['VendorRef']['value'])
        self._assert_clean(bill)
        second = self._pay(bill)
        self._run_queue()
        self.assertEqual(self._bill_payment_of(second)['TotalAmt'], 120.0)
        self.assertEqual(bill.amount_residual, 0.0)
        self._assert_clean(bill)

    def test_several_bills_and_a_vendor_credit_in_one_payment(self):
        first = self._bill([(self.product_a, 1, 100.0, self.env['account.tax'])], ref='PM-1')
        second = self._bill([(self.advertising, 1, 50.0, self.env['account.tax'])], ref='PM-2')
        credit = self._bill([(self.advertising, 1, 30.0, self.env['account.tax'])], move_type='in_refund', ref='CR-1')
        self._run_queue()
        payment = self._pay(first | second | credit)
        self.assertEqual(payment.amount, 120.0)
        self._run_queue()
        qbo_payment = self._bill_payment_of(payment)
        self.assertEqual(qbo_payment['TotalAmt'], 120.0)
        links = self._links(qbo_payment)
        self.assertEqual(links[('VendorCredit', credit.qbo_id)], 30.0)
        self.assertEqual(links[('Bill', first.qbo_id)] + links[('Bill', second.qbo_id)], 150.0)
        self._assert_clean(first, second, credit)

    def test_vendor_credit_applied_to_a_bill_without_payment(self):
        """A vendor credit note reconciled with a bill in Odoo: QuickBooks applies it through a bill
        payment of 0 linking both; taken off, the application goes too."""
        bill = self._bills()
        credit = self._bill([(self.advertising, 1, 30.0, self.env['account.tax'])], move_type='in_refund', ref='CR-2')
        self._run_queue()
        payable = (bill | credit).line_ids.filtered(lambda l: l.account_id.account_type == 'liability_payable')
        payable.reconcile()
        self.assertEqual(bill.amount_residual, 170.0)
        self._run_queue()
        applications = [p for p in self._qbo('BillPayment') if credit._qbo_reference() in p.get('PrivateNote', '')]
        self.assertEqual(len(applications), 1)
        self.assertEqual(applications[0]['TotalAmt'], 0.0)
        self.assertEqual(
            self._links(applications[0]), {('Bill', bill.qbo_id): 30.0, ('VendorCredit', credit.qbo_id): 30.0}
        )
        self._assert_clean(bill, credit)
        # Paid in full afterwards: the payment carries the rest, the application stays.
        payment = self._pay(bill)
        self._run_queue()
        self.assertEqual(self._links(self._bill_payment_of(payment)), {('Bill', bill.qbo_id): 170.0})
        self._assert_clean(bill, credit)
        # The credit note cancelled: its application and its VendorCredit are deleted.
        credit.button_draft()
        credit.button_cancel()
        self._run_queue()
        self.assertFalse([p for p in self._qbo('BillPayment') if credit._qbo_reference() in p.get('PrivateNote', '')])
        self._assert_clean(bill)

    def test_credit_card_journal_pays_by_credit_card(self):
        bill = self._bills()
        card = self.env['account.journal'].create(
            {'name': 'Mastercard', 'type': 'credit', 'code': 'MCD', 'company_id': self.company.id}
        )
        payment = self._pay(bill, journal_id=card.id)
        self._run_queue()
        qbo_payment = self._bill_payment_of(payment)
        self.assertEqual(qbo_payment['PayType'], 'CreditCard')
        self.assertEqual(
            qbo_payment['CreditCardPayment']['CCAccountRef']['value'], self._account_named('Mastercard')['Id']
        )
        self._assert_clean(bill)

    def test_waits_for_its_bill_without_spending_an_attempt(self):
        bill = self._bill([(self.product_a, 2, 100.0, self.env['account.tax'])])
        bill_job = self._jobs(bill)
        bill_job.next_attempt_at = fields.Datetime.now() + timedelta(hours=1)
        payment = self._pay(bill)
        self._run_queue()
        job = self._jobs(payment)
        self.assertEqual((job.state, job.attempts), ('pending', 0))
        self.assertIn(bill.name, job.error_message)
        self.assertFalse([p for p in self._qbo('BillPayment') if payment.name in p.get('PrivateNote', '')])
        bill_job.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        job.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self._bill_payment_of(payment)
        self._assert_clean(bill)

    def test_cancel_deletes_and_posted_again_is_new(self):
        bill = self._bills()
        payment = self._pay(bill)
        self._run_queue()
        first_id = self._bill_payment_of(payment)['Id']
        self.assertEqual(self._qbo_of(bill)['Balance'], 0.0)
        payment.action_draft()
        payment.action_cancel()
        self._run_queue()
        self.assertNotIn(first_id, {p['Id'] for p in self._qbo('BillPayment')})
        self.assertFalse(payment.qbo_id)
        self.assertEqual(bill.amount_residual, 200.0)
        self._assert_clean(bill)
        again = self._pay(bill)
        self._run_queue()
        self.assertNotEqual(self._bill_payment_of(again)['Id'], first_id)
        self._assert_clean(bill)

    def test_performed_then_dropped_is_not_duplicated(self):
        bill = self._bills()
        payment = self._pay(bill, amount=50.0)
        self._drop_next_answer('BillPayment')
        self._run_queue()
        job = self._jobs(payment)
        self.assertTrue(job.outcome_unknown)
        job.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual(job.state, 'done')
        self._bill_payment_of(payment)  # exactly one
        self._assert_clean(bill)

    def test_cancelled_while_its_answer_is_lost(self):
        bill = self._bills()
        payment = self._pay(bill, amount=50.0)
        self._drop_next_answer('BillPayment')
        self._run_queue()
        job = self._jobs(payment)
        self.assertTrue(job.outcome_unknown)
        payment.action_draft()
        payment.action_cancel()
        job.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual(job.state, 'done')
        self.assertFalse([p for p in self._qbo('BillPayment') if payment._qbo_reference() in p.get('PrivateNote', '')])
        self._assert_clean(bill)

    def test_switches(self):
        """Vendor payments follow the bills switch, and can be turned off alone."""
        bill = self._bills()
        self.connection.sync_bill_payments = False
        self.assertFalse(self._jobs(self._pay(bill, amount=10.0)))
        self.connection.sync_bills = False
        self.connection.sync_bills = True
        self.assertTrue(self.connection.sync_bill_payments)
        self.connection.sync_bills = False
        self.assertFalse(self.connection.sync_bill_payments)
        settings = self.env['res.config.settings'].with_company(self.company).create({'qbo_sync_bills': True})
        settings.execute()
        self.assertTrue(self.connection.sync_bill_payments)

    def test_books_check_sees_a_vendor_balance_changed_in_quickbooks(self):
        bill = self._bills()
        payment = self._pay(bill, amount=50.0)
        self._run_queue()
        qbo_payment = self._bill_payment_of(payment)
        self.connection._qbo_client().delete(
            'BillPayment', {'Id': qbo_payment['Id'], 'SyncToken': qbo_payment['SyncToken']}
        )
        differences = {(d['kind'], d['field'], d['odoo'], d['qbo']) for d in self._differences()}
        self.assertIn(('vendor', 'payable', 150.0, 200.0), differences)
        self.assertIn(('bill', 'balance', 150.0, 200.0), differences)

    def _check_in_quickbooks(self, total, applied):
        """A bill payment a bookkeeper records in QuickBooks: a check of ``total`` from Checking to
        the vendor of the first document, applied to ``applied`` [(Odoo bill or vendor credit
        note, amount)] as QuickBooks holds them."""
        lines = []
        for move, amount in applied:
            kind = 'Bill' if move.move_type == 'in_invoice' else 'VendorCredit'
            lines.append({'Amount': amount, 'LinkedTxn': [{'TxnId': self._qbo_of(move)['Id'], 'TxnType': kind}]})
        return self.connection._qbo_client().create(
            'BillPayment',
            {
                'VendorRef': {'value': self._qbo_of(applied[0][0])['VendorRef']['value']},
                'PayType': 'Check',
                'CheckPayment': {'BankAccountRef': {'value': self._account_named('Checking')['Id']}},
                'TotalAmt': total,
                'TxnDate': fields.Date.to_string(fields.Date.today()),
                'Line': lines,
            },
        )

    def test_pulled_bill_payment_reconciles_the_bill(self):
        """With two-way sync, a bill payment recorded in QuickBooks comes back as a vendor payment
        reconciled with the bill; deleted there, cancelled here."""
        bill = self._bills()
        self.connection.write({'sync_direction': 'two_way'})
        client = self.connection._qbo_client()
        recorded = self._check_in_quickbooks(75.0, [(bill, 75.0)])
        self._pull()
        pulled = self.env['account.payment'].search([('qbo_pulled', '=', True), ('partner_type', '=', 'supplier')])
        self.assertEqual(len(pulled), 1)
        self.assertEqual((pulled.amount, pulled.payment_type, pulled.partner_id), (75.0, 'outbound', self.vendor))
        self.assertEqual(bill.amount_residual, 125.0)
        self.assertFalse(self._jobs(pulled).filtered(lambda j: j.direction == 'push'), 'never pushed back')
        self._assert_clean(bill)
        current = next(p for p in self._qbo('BillPayment') if p['Id'] == recorded['Id'])
        client.delete('BillPayment', {'Id': current['Id'], 'SyncToken': current['SyncToken']})
        self._pull()
        self.assertEqual(pulled.state, 'canceled')
        self.assertEqual(bill.amount_residual, 200.0)
        self._assert_clean(bill)

    def test_pulled_bill_payment_changed_in_quickbooks_is_replaced(self):
        """A bill payment recorded in QuickBooks and then changed there is replaced in Odoo (the old
        one cancelled, the bill reconciled for the new amount); a pull that finds nothing new leaves
        both alone; the replacement deleted there, cancelled here."""
        bill = self._bills()
        self.connection.write({'sync_direction': 'two_way'})
        qbo_bill = self._qbo_of(bill)
        client = self.connection._qbo_client()
        recorded = self._check_in_quickbooks(75.0, [(bill, 75.0)])
        self._pull()
        first = self.env['account.payment'].search([('qbo_pulled', '=', True), ('partner_type', '=', 'supplier')])
        self.assertEqual((len(first), bill.amount_residual), (1, 125.0))
        client.update(
            'BillPayment',
            {
                'Id': recorded['Id'],
                'SyncToken': recorded['SyncToken'],
                'TotalAmt': 50.0,
                'Line': [{'Amount': 50.0, 'LinkedTxn': [{'TxnId': qbo_bill['Id'], 'TxnType': 'Bill'}]}],
            },
        )
        self._pull()
        pulled = self.env['account.payment'].search([('qbo_pulled', '=', True), ('partner_type', '=', 'supplier')])
        second = pulled - first
        self.assertEqual(first.state, 'canceled', 'the payment QuickBooks changed is replaced')
        self.assertEqual((len(second), second.amount), (1, 50.0))
        self.assertIn(second.state, ('in_process', 'paid'), 'the replacement is posted')
        self.assertEqual(bill.amount_residual, 150.0)
        self._assert_clean(bill)
        self._pull()
        self.assertEqual(
            self.env['account.payment'].search([('qbo_pulled', '=', True), ('partner_type', '=', 'supplier')]),
            pulled,
            'a pull that finds the same version registers nothing',
        )
        current = next(p for p in self._qbo('BillPayment') if p['Id'] == recorded['Id'])
        client.delete('BillPayment', {'Id': current['Id'], 'SyncToken': current['SyncToken']})
        self._pull()
        self.assertEqual(second.state, 'canceled')
        self.assertEqual(bill.amount_residual, 200.0)
        self._assert_clean(bill)

    def test_pulled_bill_payment_with_a_vendor_credit_over_instalments(self):
        """A bill due in two instalments (half now, half in 30 days) paid in QuickBooks by a check
        and a vendor credit: Odoo settles the instalment due first with the credit, then the check
        goes on, and the bill's balance and the credit's are QuickBooks'."""
        term = self.env['account.payment.term'].create(
            {
                'name': 'Half now, half in 30 days',
                'line_ids': [
                    Command.create({'value': 'percent', 'value_amount': 50.0, 'nb_days': 0}),
                    Command.create({'value': 'percent', 'value_amount': 50.0, 'nb_days': 30}),
                ],
            }
        )
        bill = self._bill(
            [(self.product_a, 2, 100.0, self.env['account.tax'])], ref='INST-1', invoice_payment_term_id=term.id
        )
        credit = self._bill([(self.advertising, 1, 30.0, self.env['account.tax'])], move_type='in_refund', ref='CR-9')
        self._run_queue()
        payable = bill.line_ids.filtered(lambda line: line.account_id.account_type == 'liability_payable')
        self.assertEqual(len(payable), 2)
        self.connection.write({'sync_direction': 'two_way'})
        self._check_in_quickbooks(120.0, [(bill, 150.0), (credit, 30.0)])
        self._pull()
        pulled = self.env['account.payment'].search([('qbo_pulled', '=', True), ('partner_type', '=', 'supplier')])
        self.assertEqual((len(pulled), pulled.amount), (1, 120.0))
        self.assertEqual(bill.amount_residual, 50.0)
        self.assertEqual(credit.amount_residual, 0.0)
        first, second = payable.sorted('date_maturity')
        self.assertTrue(first.reconciled, 'the instalment due first is settled first')
        self.assertAlmostEqual(second.amount_residual, -50.0)
        own = pulled.move_id.line_ids.filtered(lambda line: line.account_id.account_type == 'liability_payable')
        self.assertTrue(own.reconciled, 'the check is applied in full')
        self._assert_clean(bill, credit)

    def _pull(self):
        self.env.flush_all()
        with self.registry.cursor() as cr:
            env = self.env(cr=cr)
            env['qbo.connection'].browse(self.connection.id).sudo().last_pull_at = False
            env['qbo.connection']._cron_pull_changes()
        self.env.invalidate_all()
        self._run_queue()

    def test_bill_of_a_thousand_lines(self):
        """QuickBooks documents no line limit for bills (its 750 is for taxable sales documents):
        a bill of 1,000 lines goes as one Bill, its total and balance Odoo's; paid, so is it."""
        bill = self._bill(
            [(self.advertising, 1, 1.0 + i / 100, self.env['account.tax']) for i in range(1000)], ref='BIG-1'
        )
        self._run_queue()
        qbo_bill = self._qbo_of(bill)
        self.assertEqual(len(qbo_bill['Line']), 1000)
        self._assert_payable_agrees(bill, qbo_bill)
        self._pay(bill)
        self._run_queue()
        self._assert_clean(bill)


@tagged('post_install', '-at_install')
class TestPushBillPaymentsCanada(QboBillPaymentsCommon):
    """A Canadian company: bills with purchase tax, paid in part and in full."""

    realm = CA_REALM

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._qbo_setup_canada()
        cls.gst = cls.env['account.tax'].create(
            {
                'name': 'GST 5% (purchases)',
                'amount': 5.0,
                'amount_type': 'percent',
                'type_tax_use': 'purchase',
                'company_id': cls.ca_company.id,
            }
        )

    def setUp(self):
        super().setUp()
        self._qbo_connect_canada()
        self.connection.sync_bills = True

    def test_partial_and_full_with_a_vendor_credit(self):
        bill = self._bill([(self.maple, 3, 19.99, self.gst)])
        credit = self._bill([(self.maple, 1, 19.99, self.gst)], move_type='in_refund', ref='NS-CR-1')
        self._run_queue()
        partial = self._pay(bill, amount=20.0)
        self._run_queue()
        self.assertEqual(self._bill_payment_of(partial)['TotalAmt'], 20.0)
        self._assert_clean(bill, credit)
        rest = self._pay(bill | credit)
        self._run_queue()
        qbo_payment = self._bill_payment_of(rest)
        self.assertAlmostEqual(qbo_payment['TotalAmt'], rest.amount, places=2)
        self.assertIn(('VendorCredit', credit.qbo_id), self._links(qbo_payment))
        self.assertEqual(bill.amount_residual, 0.0)
        self._assert_clean(bill, credit)
        # Cancelled, the payment leaves the credit note applied to the bill in Odoo: its bill payment
        # deleted, the credit note's application (a bill payment of 0) is queued and sent after it.
        rest.action_draft()
        rest.action_cancel()
        self._run_queue()
        pending = self._jobs(credit).filtered(lambda j: j.state != 'done')
        self.assertEqual((pending.operation, pending.state, pending.attempts), ('push', 'pending', 0))
        self._run_queue()  # the scheduled action, triggered again
        self.assertEqual(self._jobs(credit).filtered(lambda j: j.state != 'done'), self._jobs(credit).browse())
        applications = [p for p in self._qbo('BillPayment') if credit._qbo_reference() in p.get('PrivateNote', '')]
        self.assertEqual([a['TotalAmt'] for a in applications], [0.0])
        self._assert_clean(bill, credit)
