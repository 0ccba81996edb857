"""Invoices paid at once as QuickBooks sales receipts, credit notes refunded at once as refund
receipts, the payment inside each: pushed once, followed when Odoo changes, and books that
agree."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import CA_REALM
from .test_push_edge import QboPushEdgeCommon


class QboReceiptsCommon(QboPushEdgeCommon):
    def setUp(self):
        super().setUp()
        self.connection.receipts_paid_at_once = True

    def _receipt_of(self, move):
        """The live receipt QuickBooks holds of ``move`` (asserted to be the only one)."""
        entity = 'SalesReceipt' if move.move_type == 'out_invoice' else 'RefundReceipt'
        receipt = self._qbo_doc(entity, move.name)
        self.assertTrue(receipt, f'no {entity} {move.name} in QuickBooks')
        return receipt

    def _assert_inside(self, payment, receipt):
        """``payment`` is synced as ``receipt`` and has no QuickBooks transaction of its own."""
        self.assertEqual((payment.qbo_sync_state, payment.qbo_id), ('synced', receipt['Id']))
        self.assertIn(payment._qbo_reference(), receipt['PrivateNote'])
        self.assertFalse(self._qbo_payments_of(payment), 'no Payment of its own')
        own = [
            r
            for r in self._qbo('RefundReceipt')
            if r['Id'] != receipt['Id'] and payment._qbo_reference() in (r.get('PrivateNote') or '')
        ]
        self.assertFalse(own, 'no refund receipt of its own')


@tagged('post_install', '-at_install')
class TestPushReceipts(QboReceiptsCommon):
    def test_paid_at_once_is_a_sales_receipt(self):
        """Turned on in Settings, an invoice paid in full on its date goes as one sales
        receipt, deposited to the QuickBooks account named like the payment's journal; the
        payment says it is inside, and sends nothing of its own."""
        self.connection.receipts_paid_at_once = False
        settings = (
            self.env['res.config.settings'].with_company(self.company).create({'qbo_receipts_paid_at_once': True})
        )
        settings.execute()
        self.assertTrue(self.connection.receipts_paid_at_once)
        self.company_data['default_journal_bank'].name = 'Checking'
        invoice = self._invoice(ref='Order S00042')
        payment = self._register_payment(invoice)
        self._run_queue()

        receipt = self._receipt_of(invoice)
        self.assertEqual((invoice.qbo_sync_state, invoice.qbo_id), ('synced', receipt['Id']))
        self.assertTrue(invoice.qbo_url.endswith(f'/salesreceipt?txnId={receipt["Id"]}'))
        self._assert_books_agree(invoice, receipt)
        self.assertEqual(receipt['TxnTaxDetail']['TxnTaxCodeRef']['name'], 'California')
        self.assertEqual(str(receipt['TxnDate']), str(invoice.invoice_date))
        self.assertEqual(receipt['CustomerMemo']['value'], 'Order S00042')
        self.assertNotIn('DueDate', receipt)
        self.assertEqual(receipt['DepositToAccountRef']['value'], self._account_named('Checking')['Id'])
        methods = {m['Id']: m['Name'] for m in self._qbo('PaymentMethod')}
        self.assertEqual(methods[receipt['PaymentMethodRef']['value']], payment.payment_method_line_id.name)
        skus = [
            self._qbo_by_id('Item', line['SalesItemLineDetail']['ItemRef']['value']).get('Sku')
            for line in self._sales_lines(receipt)
        ]
        self.assertEqual(skus, ['QBO-A', 'QBO-B'])

        self.assertFalse(self._qbo_doc('Invoice', invoice.name), 'no Invoice beside it')
        self._assert_inside(payment, receipt)
        [note] = payment.message_ids.filtered(lambda m: 'inside the sales receipt' in str(m.body))
        self.assertIn(
            f'data-oe-model="account.move" data-oe-id="{invoice.id}"', str(note.body), 'a link to the invoice'
        )
        customer = self._qbo_by_id('Customer', receipt['CustomerRef']['value'])
        self.assertEqual(float(customer['Balance']), 0.0, 'nothing owed: the receipt is paid')
        self.assertEqual(self._differences(), [])

    def test_payment_posted_before_the_invoice(self):
        """The online shop's order: the payment is posted first, the invoice afterwards and
        reconciled with it; when the queue runs both are there, and make one receipt
        (deposited to Undeposited Funds: no QuickBooks account is named like the journal)."""
        payment = self.env['account.payment'].create(
            {
                'payment_type': 'inbound',
                'partner_type': 'customer',
                'partner_id': self.partner_a.id,
                'amount': 275.94,
                'journal_id': self.company_data['default_journal_bank'].id,
            }
        )
        payment.action_post()
        invoice = self._invoice()
        self.assertEqual(invoice.amount_total, 275.94)
        receivable = payment.move_id.line_ids.filtered(lambda l: l.account_id.account_type == 'asset_receivable')
        invoice.js_assign_outstanding_line(receivable.id)
        self._run_queue()
        receipt = self._receipt_of(invoice)
        self._assert_books_agree(invoice, receipt)
        self.assertEqual(receipt['DepositToAccountRef']['value'], self._account_named('Undeposited Funds')['Id'])
        self._assert_inside(payment, receipt)
        self.assertEqual(self._differences(), [])

    def test_not_paid_at_once_goes_as_invoice_and_payment(self):
        """Not paid when its push runs, paid in part, paid another day, or paid with a
        payment QuickBooks already has: an Invoice, and the payments as Payments."""
        pushed_unpaid = self._invoice()
        self._run_queue()
        paid_later = self._register_payment(pushed_unpaid)
        partly = self._invoice()
        partial_payment = self._register_payment(partly, amount=100.0)
        next_day = self._invoice()
        next_day_payment = self._register_payment(next_day, payment_date=fields.Date.today() + timedelta(days=1))
        ahead = self.env['account.payment'].create(
            {
                'payment_type': 'inbound',
                'partner_type': 'customer',
                'partner_id': self.partner_a.id,
                'amount': 275.94,
                'journal_id': self.company_data['default_journal_bank'].id,
            }
        )
        ahead.action_post()
        self._run_queue()
        self.assertTrue(self._qbo_payments_of(ahead), 'sent on its own before there was an invoice')
        invoice_after = self._invoice()
        invoice_after.js_assign_outstanding_line(
            ahead.move_id.line_ids.filtered(lambda l: l.account_id.account_type == 'asset_receivable').id
        )
        self._run_queue()

        for invoice, payment in (
            (pushed_unpaid, paid_later),
            (partly, partial_payment),
            (next_day, next_day_payment),
            (invoice_after, ahead),
        ):
            with self.subTest(invoice=invoice.name):
                qbo_invoice = self._qbo_doc('Invoice', invoice.name)
                self._assert_books_agree(invoice, qbo_invoice)
                self.assertFalse(self._qbo_doc('SalesReceipt', invoice.name))
                [qbo_payment] = self._qbo_payments_of(payment)
                self.assertEqual(qbo_payment['Line'][0]['LinkedTxn'][0]['TxnId'], qbo_invoice['Id'])
        self.assertEqual(self._differences(), [])

    def test_payments_not_sent_keep_the_invoice(self):
        """A payment that does not go to QuickBooks by itself (payments switched off) does
        not go inside a receipt either: the invoice goes as an Invoice, open."""
        self.connection.sync_payments = False
        invoice = self._invoice()
        self._register_payment(invoice)
        self._run_queue()
        self.assertAlmostEqual(float(self._qbo_doc('Invoice', invoice.name)['Balance']), invoice.amount_total)
        self.assertFalse(self._qbo_doc('SalesReceipt', invoice.name))

    def test_refund_at_once_is_a_refund_receipt(self):
        """A credit note refunded in full on its date: one refund receipt, paid out of the
        QuickBooks account named like the refund's journal, the refund inside it."""
        self.company_data['default_journal_bank'].name = 'Savings'
        credit_note = self._credit_note()
        refund = self._register_payment(credit_note)
        self.assertEqual(refund.payment_type, 'outbound')
        self._run_queue()
        receipt = self._receipt_of(credit_note)
        self.assertEqual((credit_note.qbo_sync_state, credit_note.qbo_id), ('synced', receipt['Id']))
        self._assert_books_agree(credit_note, receipt)
        self.assertEqual(receipt['DepositToAccountRef']['value'], self._account_named('Savings')['Id'])
        items = [
            self._qbo_by_id('Item', line['SalesItemLineDetail']['ItemRef']['value'])
            for line in self._sales_lines(receipt)
        ]
        self.assertEqual([item.get('Sku') for item in items], ['QBO-A'], 'the product sold, its income reversed')
        self.assertFalse(self._qbo_doc('CreditMemo', credit_note.name))
        self._assert_inside(refund, receipt)
        self.assertTrue(credit_note.qbo_url.endswith(f'/refundreceipt?txnId={receipt["Id"]}'))
        self.assertEqual(self._differences(), [])

    def test_refund_cancelled_after_the_refund_receipt(self):
        credit_note = self._credit_note()
        refund = self._register_payment(credit_note)
        self._run_queue()
        receipt = self._receipt_of(credit_note)
        refund.action_cancel()
        self._run_queue()
        self.assertEqual(float(self._qbo_by_id('RefundReceipt', receipt['Id'])['TotalAmt']), 0.0)
        memo = self._qbo_doc('CreditMemo', credit_note.name)
        self.assertAlmostEqual(float(memo['RemainingCredit']), credit_note.amount_residual, places=2)
        self.assertEqual(credit_note.amount_residual, credit_note.amount_total)
        self.assertEqual(self._differences(), [])

    def test_credit_note_taken_off_its_refund(self):
        """Taken off, both still posted: the refund's reconciliation changed, so its push is
        queued, which queues the credit note's first: the refund receipt is voided, the credit
        note goes as an open CreditMemo and the refund as a check of its own."""
        credit_note = self._credit_note()
        refund = self._register_payment(credit_note)
        self._run_queue()
        receipt = self._receipt_of(credit_note)
        credit_note.js_remove_outstanding_partial(credit_note.line_ids.matched_debit_ids.id)
        self._run_queue()
        self._run_queue()
        self.assertEqual(float(self._qbo_by_id('RefundReceipt', receipt['Id'])['TotalAmt']), 0.0)
        memo = self._qbo_doc('CreditMemo', credit_note.name)
        self.assertEqual(credit_note.qbo_id, memo['Id'])
        self.assertAlmostEqual(float(memo['RemainingCredit']), credit_note.amount_residual, places=2)
        self.assertEqual(self._jobs(refund).sorted('id')[-1].state, 'done')
        self.assertEqual(self._qbo_by_id('Purchase', refund.qbo_id)['EntityRef']['value'], memo['CustomerRef']['value'])
        self.assertEqual(self._differences(), [])

    def test_books_check_reads_receipts(self):
        """The books check compares a receipt's total and tax with its invoice's, and its
        balance (none: it is paid) with what the invoice still owes in Odoo."""
        invoice, other = self._invoice(), self._invoice()
        self._register_payment(invoice)
        self._register_payment(other)
        self._run_queue()
        result = self.env['qbo.books.check']._qbo_compare(self.connection)
        self.assertEqual((result['differences'], result['document_count']), ([], 2))
        client = self.connection._qbo_client()
        receipt = client.read('SalesReceipt', invoice.qbo_id)
        lines = self._sales_lines(receipt)
        lines[0]['SalesItemLineDetail']['UnitPrice'], lines[0]['Amount'] = 150.0, 300.0
        client.update(
            'SalesReceipt', {'Id': receipt['Id'], 'SyncToken': receipt['SyncToken'], 'Line': lines}, sparse=True
        )
        # The payment of the other taken off, the queue not run yet: Odoo's invoice is owed again
        # (and the customer's receivable unchanged, the payment now unapplied credit).
        other.js_remove_outstanding_partial(other.line_ids.matched_credit_ids.id)
        found = {(d['kind'], d['record'], d['field']): round(d['qbo'] - d['odoo'], 2) for d in self._differences()}
        self.assertEqual(
            found,
            {
                ('sales_receipt', invoice, 'total'): 108.0,
                ('sales_receipt', invoice, 'tax'): 8.0,
                ('sales_receipt', other, 'balance'): -other.amount_total,
            },
        )

    def test_payment_cancelled_after_the_receipt(self):
        """The receipt is voided and the invoice sent as what it now is: an Invoice, open."""
        invoice = self._invoice()
        payment = self._register_payment(invoice)
        self._run_queue()
        receipt = self._receipt_of(invoice)
        payment.action_cancel()
        self.assertEqual(invoice.payment_state, 'not_paid')
        self._run_queue()
        voided = self._qbo_by_id('SalesReceipt', receipt['Id'])
        self.assertEqual((float(voided['TotalAmt']), voided['PrivateNote']), (0.0, 'Voided'))
        qbo_invoice = self._qbo_doc('Invoice', invoice.name)
        self.assertEqual(invoice.qbo_id, qbo_invoice['Id'])
        self._assert_books_agree(invoice, qbo_invoice)
        self.assertFalse(self._qbo_payments_of(payment))
        self.assertEqual(set(self._jobs(payment).mapped('state')), {'done'})
        self.assertEqual(self._differences(), [])

    def test_payment_reset_then_posted_again(self):
        """Reset, the payment leaves the receipt (voided; the invoice an Invoice); posted
        again, it goes as a Payment applied to that Invoice."""
        invoice = self._invoice()
        payment = self._register_payment(invoice)
        self._run_queue()
        receipt = self._receipt_of(invoice)
        payment.action_draft()
        self._run_queue()
        self.assertEqual(float(self._qbo_by_id('SalesReceipt', receipt['Id'])['TotalAmt']), 0.0)
        qbo_invoice = self._qbo_doc('Invoice', invoice.name)
        self.assertAlmostEqual(float(qbo_invoice['Balance']), invoice.amount_total)
        payment.action_post()
        self._run_queue()
        [qbo_payment] = self._qbo_payments_of(payment)
        self.assertEqual(payment.qbo_id, qbo_payment['Id'])
        self.assertEqual(qbo_payment['Line'][0]['LinkedTxn'][0]['TxnId'], qbo_invoice['Id'])
        self._assert_books_agree(invoice, self._qbo_doc('Invoice', invoice.name))
        self.assertEqual(self._differences(), [])

    def test_payment_taken_off_the_invoice(self):
        invoice = self._invoice()
        payment = self._register_payment(invoice)
        self._run_queue()
        receipt = self._receipt_of(invoice)
        invoice.js_remove_outstanding_partial(invoice.line_ids.matched_credit_ids.id)
        self._run_queue()
        self.assertEqual(float(self._qbo_by_id('SalesReceipt', receipt['Id'])['TotalAmt']), 0.0)
        self._assert_books_agree(invoice, self._qbo_doc('Invoice', invoice.name))
        [qbo_payment] = self._qbo_payments_of(payment)
        self.assertEqual((float(qbo_payment['UnappliedAmt']), payment.qbo_id), (payment.amount, qbo_payment['Id']))
        self.assertEqual(self._differences(), [])

    def test_invoice_cancelled_after_the_receipt(self):
        """The receipt is voided (and stays the invoice's QuickBooks twin); the payment,
        still posted, goes as unapplied credit, as Odoo keeps it."""
        invoice = self._invoice()
        payment = self._register_payment(invoice)
        self._run_queue()
        receipt = self._receipt_of(invoice)
        invoice.button_draft()
        invoice.button_cancel()
        self._run_queue()
        self.assertEqual(float(self._qbo_by_id('SalesReceipt', receipt['Id'])['TotalAmt']), 0.0)
        self.assertEqual(invoice.qbo_id, receipt['Id'])
        self.assertFalse(self._qbo_doc('Invoice', invoice.name))
        [qbo_payment] = self._qbo_payments_of(payment)
        self.assertEqual(float(qbo_payment['UnappliedAmt']), payment.amount)
        self.assertEqual(self._differences(), [])

    def test_invoice_reset_and_posted_again_updates_the_receipt(self):
        invoice = self._invoice()
        payment = self._register_payment(invoice)
        self._run_queue()
        receipt = self._receipt_of(invoice)
        invoice.button_draft()
        invoice.ref = 'Order S00043'
        invoice.action_post()
        self._run_queue()
        updated = self._receipt_of(invoice)
        self.assertEqual((updated['Id'], updated['CustomerMemo']['value']), (receipt['Id'], 'Order S00043'))
        self.assertNotEqual(updated['SyncToken'], receipt['SyncToken'])
        self._assert_books_agree(invoice, updated)
        self._assert_inside(payment, updated)
        self.assertEqual(self._differences(), [])

    def test_performed_then_dropped_is_not_duplicated(self):
        self._run_queue()
        invoice = self._invoice()
        payment = self._register_payment(invoice)
        self.emu.lose_answer('SalesReceipt')
        self._run_queue()
        job = self._jobs(invoice)
        self.assertEqual(job.state, 'pending')
        self.assertTrue(job.outcome_unknown)
        self.assertTrue(self._qbo_doc('SalesReceipt', invoice.name), 'QuickBooks did create it')
        self.assertEqual(self._jobs(payment).error_code, 'waiting')
        (job | self._jobs(payment)).next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual(job.state, 'done')
        receipt = self._receipt_of(invoice)  # asserts there is exactly one
        self.assertEqual(invoice.qbo_id, receipt['Id'])
        self._assert_inside(payment, receipt)
        self.assertEqual(self._differences(), [])

    def test_dropped_then_the_payment_cancelled_leaves_no_receipt(self):
        """The receipt's answer is lost, and the payment is cancelled before the retry: the
        receipt that attempt wrote is found and voided, and the invoice goes as an Invoice."""
        self._run_queue()
        invoice = self._invoice()
        payment = self._register_payment(invoice)
        self.emu.lose_answer('SalesReceipt')
        self._run_queue()
        receipt = self._receipt_of(invoice)
        payment.action_cancel()
        self._jobs(invoice).next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual(float(self._qbo_by_id('SalesReceipt', receipt['Id'])['TotalAmt']), 0.0)
        self._assert_books_agree(invoice, self._qbo_doc('Invoice', invoice.name))
        self.assertEqual(self._differences(), [])

    def _drop_next(self, entity):
        """QuickBooks performs the next create of ``entity``, and its answer is lost."""
        self.emu.lose_answer(entity)

    def _retry_now(self, *records):
        for record in records:
            self._jobs(record).filtered(lambda j: j.state == 'pending').next_attempt_at = fields.Datetime.now()

    def test_document_sent_as_itself_then_paid_before_the_retry(self):
        """The Invoice (CreditMemo) is created but its answer lost; before the retry the
        document is paid (refunded) at once. QuickBooks already holds it as itself: it is
        found and kept, its payment goes as a Payment (its refund as a check), and no receipt
        doubles the sale."""
        self._run_queue()
        for make, entity in ((self._invoice, 'Invoice'), (self._credit_note, 'CreditMemo')):
            with self.subTest(entity=entity):
                document = make()
                self._drop_next(entity)
                self._run_queue()
                self.assertTrue(self._jobs(document).outcome_unknown)
                paid = self._register_payment(document)
                self._retry_now(document)
                self._run_queue()
                receipt = 'SalesReceipt' if entity == 'Invoice' else 'RefundReceipt'
                self.assertFalse(self._qbo_doc(receipt, document.name), f'no {receipt} beside the {entity}')
                qbo_doc = self._qbo_doc(entity, document.name)  # asserts there is exactly one
                self.assertEqual((document.qbo_sync_state, document.qbo_id), ('synced', qbo_doc['Id']))
                if entity == 'Invoice':
                    [qbo_payment] = self._qbo_payments_of(paid)
                    self.assertEqual(qbo_payment['Line'][0]['LinkedTxn'][0]['TxnId'], qbo_doc['Id'])
                else:
                    check, link = self._refund_check(paid)
                    self.assertEqual(float(check['TotalAmt']), paid.amount)
                    self.assertIn(qbo_doc['Id'], [t['TxnId'] for line in link['Line'] for t in line['LinkedTxn']])
                self._assert_books_agree(document, self._qbo_doc(entity, document.name))
        self.assertEqual(self._differences(), [])

    def test_payment_sent_on_its_own_answer_lost_then_invoiced(self):
        """The shop's payment is created in QuickBooks as a Payment but the answer is lost;
        the invoice is then posted and reconciled with it. No receipt: the Payment QuickBooks
        holds is found (not made twice, nor doubled by a receipt) and applied to the Invoice."""
        payment = self.env['account.payment'].create(
            {
                'payment_type': 'inbound',
                'partner_type': 'customer',
                'partner_id': self.partner_a.id,
                'amount': 275.94,
                'journal_id': self.company_data['default_journal_bank'].id,
            }
        )
        payment.action_post()
        self._drop_next('Payment')
        self._run_queue()
        self.assertTrue(self._jobs(payment).outcome_unknown)
        invoice = self._invoice()
        invoice.js_assign_outstanding_line(
            payment.move_id.line_ids.filtered(lambda l: l.account_id.account_type == 'asset_receivable').id
        )
        self._retry_now(payment)
        self._run_queue()
        self.assertFalse(self._qbo_doc('SalesReceipt', invoice.name), 'no receipt beside the Payment')
        qbo_invoice = self._qbo_doc('Invoice', invoice.name)
        self._assert_books_agree(invoice, qbo_invoice)
        [qbo_payment] = self._qbo_payments_of(payment)
        self.assertEqual((payment.qbo_sync_state, payment.qbo_id), ('synced', qbo_payment['Id']))
        self.assertEqual(qbo_payment['Line'][0]['LinkedTxn'][0]['TxnId'], qbo_invoice['Id'])
        self.assertEqual(float(qbo_payment['UnappliedAmt']), 0.0)
        self.assertEqual(self._differences(), [])

    def test_credit_note_reset_to_draft_then_its_refund_cancelled(self):
        """Odoo keeps a credit note reset to draft reconciled with its refund. The refund then
        cancelled: the refund receipt is voided (QuickBooks keeps no money Odoo has not), and
        nothing fails. Posted again, the credit note is an open CreditMemo."""
        credit_note = self._credit_note()
        refund = self._register_payment(credit_note)
        self._run_queue()
        receipt = self._receipt_of(credit_note)
        credit_note.button_draft()
        refund.action_cancel()
        self._run_queue()
        self.assertEqual(float(self._qbo_by_id('RefundReceipt', receipt['Id'])['TotalAmt']), 0.0)
        self.assertEqual(set((self._jobs(refund) | self._jobs(credit_note)).mapped('state')), {'done'})
        self.assertFalse(self._qbo_doc('CreditMemo', credit_note.name))
        self.assertFalse(self._qbo('Purchase'), 'no check: the refund is cancelled')
        credit_note.action_post()
        self._run_queue()
        memo = self._qbo_doc('CreditMemo', credit_note.name)
        self.assertEqual(credit_note.qbo_id, memo['Id'])
        self._assert_books_agree(credit_note, memo)
        self.assertEqual(self._differences(), [])

    def test_refund_account_a_credit_card_keeps_the_credit_memo(self):
        """QuickBooks pays a refund receipt out of a Bank (or Other Current Asset) account only.
        With the refund account a credit card, a credit note refunded at once goes as a
        CreditMemo, and its refund as a credit card refund out of that account."""
        self.connection.refund_account_name = 'Mastercard'
        credit_note = self._credit_note()
        refund = self._register_payment(credit_note)
        self._run_queue()
        self.assertEqual(self._jobs(credit_note).state, 'done', credit_note.qbo_sync_error)
        self.assertFalse(self._qbo('RefundReceipt'))
        memo = self._qbo_doc('CreditMemo', credit_note.name)
        self.assertEqual(credit_note.qbo_id, memo['Id'])
        self._assert_books_agree(credit_note, memo)
        check, link = self._refund_check(refund)
        self.assertEqual(
            (check['PaymentType'], check['AccountRef']['value']),
            ('CreditCard', self._account_named('Mastercard')['Id']),
        )
        self.assertTrue(link)
        self.assertEqual(self._differences(), [])

    def test_replacement_refused_leaves_the_receipt_live(self):
        """The invoice can no longer be sent (here: the number prefix set since makes its
        number too long): taking its payment off fails on the invoice, saying why, and the
        receipt stays live, so that QuickBooks still holds the sale and the money. Once
        corrected, the retry voids it and sends the Invoice and the Payment."""
        invoice = self._invoice()
        payment = self._register_payment(invoice)
        self._run_queue()
        receipt = self._receipt_of(invoice)
        self.connection.invoice_prefix = 'SHOP-WEST-2025-'
        invoice.js_remove_outstanding_partial(invoice.line_ids.matched_credit_ids.id)
        self._run_queue()
        self.assertEqual(self._jobs(invoice).sorted('id')[-1].state, 'failed')
        self.assertIn('characters', invoice.qbo_sync_error)
        live = self._qbo_by_id('SalesReceipt', receipt['Id'])
        self.assertEqual(float(live['TotalAmt']), invoice.amount_total, 'the receipt is not voided')
        self.connection.invoice_prefix = False
        self._jobs(invoice).sorted('id')[-1].action_retry()
        self._run_queue()
        self._run_queue()
        self.assertEqual(float(self._qbo_by_id('SalesReceipt', receipt['Id'])['TotalAmt']), 0.0)
        self._assert_books_agree(invoice, self._qbo_doc('Invoice', invoice.name))
        [qbo_payment] = self._qbo_payments_of(payment)
        self.assertEqual(float(qbo_payment['UnappliedAmt']), payment.amount)
        self.assertEqual(self._differences(), [])

    def test_payment_reset_and_posted_again_before_the_queue_runs(self):
        """Reset and posted again, still paying its invoice at once, before the queue runs:
        the same receipt, and no failed job nor refusal in the payment's chatter."""
        invoice = self._invoice()
        payment = self._register_payment(invoice)
        self._run_queue()
        receipt = self._receipt_of(invoice)
        payment.action_draft()
        payment.action_post()
        self.assertEqual(invoice.payment_state, invoice._get_invoice_in_payment_state())
        self._run_queue()
        self.assertEqual(set(self._jobs(payment).mapped('state')), {'done'})
        self.assertFalse(payment.message_ids.filtered(lambda m: 'refused' in str(m.body)))
        updated = self._receipt_of(invoice)
        self.assertEqual(updated['Id'], receipt['Id'])
        self.assertEqual(float(updated['TotalAmt']), invoice.amount_total)
        self._assert_inside(payment, updated)
        self.assertEqual(self._differences(), [])


@tagged('post_install', '-at_install')
class TestPushReceiptsCanada(QboReceiptsCommon):
    """A Canadian company on Sandbox Company CA: GST and HST per line on the receipts."""

    realm = CA_REALM

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ca = cls._qbo_setup_canada(name='Maple Receipts Co')
        cls.gst, cls.hst = cls._ca_tax('GST 5%', 5), cls._ca_tax('HST 13% (ON)', 13)

    def setUp(self):
        super().setUp()
        self._qbo_connect_canada()
        self.connection.receipts_paid_at_once = True

    def _pay_ca(self, move):
        return (
            self.env['account.payment.register']
            .with_company(self.ca['company'])
            .with_context(
                active_model='account.move',
                active_ids=move.ids,
            )
            .create({'journal_id': self.ca['default_journal_bank'].id})
            ._create_payments()
        )

    def test_paid_and_refunded_at_once(self):
        lines = [(self.maple, 3, 19.99, self.gst), (self.maple, 2, 12.5, self.hst)]
        invoice = self._move(lines)
        credit_note = self._move(lines[:1], move_type='out_refund')
        payment, refund = self._pay_ca(invoice), self._pay_ca(credit_note)
        self._run_queue()
        codes = {code['Name']: code['Id'] for code in self._qbo('TaxCode')}
        for move, paid in ((invoice, payment), (credit_note, refund)):
            with self.subTest(move=move.name):
                receipt = self._receipt_of(move)
                self._assert_books_agree(move, receipt)
                self.assertEqual(receipt['GlobalTaxCalculation'], 'TaxExcluded')
                self._assert_inside(paid, receipt)
        sales_receipt = self._receipt_of(invoice)
        self.assertEqual(
            [line['SalesItemLineDetail']['TaxCodeRef']['value'] for line in self._sales_lines(sales_receipt)],
            [codes['GST'], codes['HST ON']],
        )
        self.assertIn(
            self._receipt_of(credit_note)['DepositToAccountRef']['value'],
            [a['Id'] for a in self._qbo('Account') if a['AccountType'] == 'Bank'],
        )
        self.assertEqual(self._differences(), [])
