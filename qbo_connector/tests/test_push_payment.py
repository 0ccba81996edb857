"""Customer payments, refunds and credit-note applications pushed to QuickBooks, once."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .test_push_invoice import QboPushCommon


@tagged('post_install', '-at_install')
class TestPushPayment(QboPushCommon):
    # -- helpers ---------------------------------------------------------------

    def _pay(self, moves, **values):
        """What a user does with "Register Payment" on the selected documents."""
        return self._register_payment(moves, **values)

    def _assert_books_agree(self, *moves, payments=()):
        """Invariant 5: what QuickBooks shows open is what Odoo has not reconciled."""
        for move in moves:
            if move.move_type == 'out_invoice':
                self.assertAlmostEqual(
                    float(self._qbo_doc('Invoice', move.name)['Balance']),
                    move.amount_residual,
                    places=2,
                    msg=f'balance of {move.name}',
                )
            else:
                self.assertAlmostEqual(
                    float(self._qbo_doc('CreditMemo', move.name)['RemainingCredit']),
                    move.amount_residual,
                    places=2,
                    msg=f'remaining credit of {move.name}',
                )
        for payment in payments:
            qbo_payment = self._qbo_by_id('Payment', payment.qbo_id)
            self.assertAlmostEqual(float(qbo_payment['TotalAmt']), payment.amount, places=2)
            unreconciled = abs(
                sum(
                    payment.move_id.line_ids.filtered(lambda l: l.account_id.account_type == 'asset_receivable').mapped(
                        'amount_residual'
                    )
                )
            )
            self.assertAlmostEqual(
                float(qbo_payment['UnappliedAmt']), unreconciled, places=2, msg=f'unapplied amount of {payment.name}'
            )

    # -- payments ----------------------------------------------------------------

    def test_full_payment(self):
        invoice = self._invoice()
        self._run_queue()
        before = len(self.emu.requests_log()['requests'])
        payment = self._pay(invoice)
        # Registering wrote a job and did not talk to QuickBooks.
        self.assertEqual(len(self.emu.requests_log()['requests']), before)
        job = self._jobs(payment)
        self.assertEqual((job.state, job.operation, job.priority), ('pending', 'push', 30))
        self.assertEqual(payment.qbo_sync_state, 'pending')

        self._run_queue()
        self.assertEqual((job.state, payment.qbo_sync_state), ('done', 'synced'))
        qbo_payment = self._qbo_by_id('Payment', payment.qbo_id)
        qbo_invoice = self._qbo_doc('Invoice', invoice.name)
        self.assertEqual(self._applied(qbo_payment), {('Invoice', qbo_invoice['Id']): invoice.amount_total})
        self.assertEqual(qbo_payment['CustomerRef']['value'], qbo_invoice['CustomerRef']['value'])
        self.assertEqual(qbo_payment['PaymentRefNum'], payment.name)
        self.assertEqual(str(qbo_payment['TxnDate']), str(payment.date))
        self.assertIn(payment._qbo_reference(), qbo_payment['PrivateNote'])
        # The journal "Bank" matches no QuickBooks bank account: QuickBooks' Undeposited Funds.
        self.assertEqual(qbo_payment['DepositToAccountRef']['value'], self._account_named('Undeposited Funds')['Id'])
        methods = {m['Id']: m['Name'] for m in self._qbo('PaymentMethod')}
        self.assertEqual(methods[qbo_payment['PaymentMethodRef']['value']], payment.payment_method_line_id.name)
        self.assertEqual(invoice.amount_residual, 0.0)
        self._assert_books_agree(invoice, payments=payment)
        # The payment left the invoice's total and tax as they were.
        self.assertAlmostEqual(float(qbo_invoice['TotalAmt']), invoice.amount_total, places=2)
        self.assertAlmostEqual(
            float(qbo_invoice.get('TxnTaxDetail', {}).get('TotalTax', 0)), invoice.amount_tax, places=2
        )
        # Receipts paid at once is off by default: an invoice and its payment, no sales receipt.
        self.assertFalse(self.connection.receipts_paid_at_once)
        self.assertFalse(self._qbo_doc('SalesReceipt', invoice.name))
        self.assertEqual(self._differences(), [])
        # The next payment from that journal, its account and method known: one request.
        other = self._invoice()
        self._run_queue()
        before = len(self._api_requests())
        self._pay(other)
        self._run_queue()
        self.assertEqual([r['method'] for r in self._api_requests()[before:]], ['POST'])

    def test_partial_payment_then_the_rest(self):
        invoice = self._invoice()
        first = self._pay(invoice, amount=100.0)
        self._run_queue()
        self.assertEqual(first.qbo_sync_state, 'synced')
        self._assert_books_agree(invoice, payments=first)
        self.assertAlmostEqual(float(self._qbo_doc('Invoice', invoice.name)['Balance']), invoice.amount_total - 100.0)

        rest = self._pay(invoice)
        self._run_queue()
        self.assertAlmostEqual(rest.amount, invoice.amount_total - 100.0)
        self.assertEqual(invoice.amount_residual, 0.0)
        self._assert_books_agree(invoice, payments=first + rest)
        # The payment method was created once and then answered from the mapping.
        self.assertEqual(
            len([m for m in self._qbo('PaymentMethod') if m['Name'] == first.payment_method_line_id.name]), 1
        )

    def test_one_payment_over_two_invoices(self):
        invoices = self._invoice() + self._invoice(
            invoice_line_ids=[self._prepare_invoice_line(product_id=self.product_a, quantity=1, price_unit=40.0)]
        )
        payment = self._pay(invoices)
        self.assertEqual(len(payment), 1)
        self._run_queue()
        qbo_payment = self._qbo_by_id('Payment', payment.qbo_id)
        self.assertEqual(
            self._applied(qbo_payment), {('Invoice', invoice.qbo_id): invoice.amount_total for invoice in invoices}
        )
        self._assert_books_agree(*invoices, payments=payment)

    def test_journal_named_like_a_quickbooks_bank_account(self):
        """Money received in the journal "Checking" is deposited to QuickBooks' Checking
        account; matched once, then one request per payment."""
        self.company_data['default_journal_bank'].name = 'Checking'
        invoice = self._invoice()
        payment = self._pay(invoice, amount=10.0)
        self._run_queue()
        checking = self._account_named('Checking')['Id']
        self.assertEqual(self._qbo_by_id('Payment', payment.qbo_id)['DepositToAccountRef']['value'], checking)
        second = self._pay(invoice, amount=20.0)
        before = len(self._api_requests())
        self._run_queue()
        self.assertEqual(len(self._api_requests()) - before, 1, 'customer, method and account already mapped')
        self.assertEqual(self._qbo_by_id('Payment', second.qbo_id)['DepositToAccountRef']['value'], checking)
        self._assert_books_agree(invoice, payments=payment + second)

    def test_two_payments_for_one_invoice_in_one_run(self):
        invoice = self._invoice()
        payments = self._pay(invoice, amount=50.0) + self._pay(invoice, amount=70.0)
        self._run_queue()
        self.assertEqual(set(payments.mapped('qbo_sync_state')), {'synced'})
        self._assert_books_agree(invoice, payments=payments)
        self.assertAlmostEqual(invoice.amount_residual, invoice.amount_total - 120.0)

    def test_payment_reconciled_later_is_applied_again(self):
        invoice = self._invoice()
        payment = self.env['account.payment'].create(
            {
                'payment_type': 'inbound',
                'partner_type': 'customer',
                'partner_id': self.partner_a.id,
                'amount': 300.0,
                'journal_id': self.company_data['default_journal_bank'].id,
            }
        )
        payment.action_post()
        self._run_queue()
        qbo_payment = self._qbo_by_id('Payment', payment.qbo_id)
        self.assertFalse(qbo_payment.get('Line'))
        self._assert_books_agree(invoice, payments=payment)  # all of it unapplied

        receivable = payment.move_id.line_ids.filtered(lambda l: l.account_id.account_type == 'asset_receivable')
        invoice.js_assign_outstanding_line(receivable.id)
        self.assertEqual(self._jobs(payment).filtered(lambda j: j.state == 'pending').operation, 'push')
        self._run_queue()
        qbo_payment = self._qbo_by_id('Payment', payment.qbo_id)
        self.assertEqual(self._applied(qbo_payment), {('Invoice', invoice.qbo_id): invoice.amount_total})
        self._assert_books_agree(invoice, payments=payment)

    # -- dependencies -------------------------------------------------------------

    def test_payment_waits_for_its_invoice(self):
        self._run_queue()
        invoice = self._invoice()
        payment = self._pay(invoice)
        self.emu.fail_write('Invoice', '503')
        self._run_queue()
        job = self._jobs(payment)
        self.assertEqual((job.state, job.error_code), ('pending', 'waiting'))
        self.assertIn(invoice.name, job.error_message)
        self.assertFalse(self._qbo_payments_of(payment))

        (self._jobs(invoice) | job).next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual((job.state, payment.qbo_sync_state), ('done', 'synced'))
        self._assert_books_agree(invoice, payments=payment)

    def test_payment_of_a_refused_invoice_fails_naming_it(self):
        invoice = self._invoice(post=False)
        invoice.name = 'INV/2026/A-NUMBER-FAR-TOO-LONG-2'
        invoice.action_post()
        payment = self._pay(invoice)
        self._run_queue()
        self.assertEqual(invoice.qbo_sync_state, 'failed')
        self.assertEqual(payment.qbo_sync_state, 'failed')
        self.assertIn(invoice.name, payment.qbo_sync_error)
        self.assertTrue(payment.message_ids.filtered(lambda m: invoice.name in str(m.body)))
        self.assertFalse(self._qbo_payments_of(payment))
        # The invoice corrected and sent: the payment goes again by itself.
        invoice.button_draft()
        invoice.name = 'INV/2026/99002'
        invoice.action_post()
        self._run_queue()
        self.assertEqual(invoice.qbo_sync_state, 'synced')
        self.assertEqual(self._jobs(payment).state, 'pending')
        self._run_queue()
        self.assertEqual(payment.qbo_sync_state, 'synced')
        self._assert_books_agree(invoice, payments=payment)

    # -- credit notes and refunds ---------------------------------------------------

    def test_credit_note_applied_to_invoice(self):
        invoice = self._invoice()
        credit_note = self._credit_note()
        self._run_queue()
        credit_line = credit_note.line_ids.filtered(lambda l: l.account_id.account_type == 'asset_receivable')
        invoice.js_assign_outstanding_line(credit_line.id)
        self.assertEqual(credit_note.amount_residual, 0.0)
        self._run_queue()

        memo = self._qbo_doc('CreditMemo', credit_note.name)
        [application] = self._qbo_payments_of(credit_note)
        self.assertEqual(float(application['TotalAmt']), 0.0)
        self.assertEqual(
            self._applied(application),
            {
                ('Invoice', invoice.qbo_id): credit_note.amount_total,
                ('CreditMemo', memo['Id']): credit_note.amount_total,
            },
        )
        self.assertEqual(float(application['UnappliedAmt']), 0.0)
        self._assert_books_agree(invoice, credit_note)

        # The rest paid, then the credit note taken off the invoice again: QuickBooks follows.
        payment = self._pay(invoice)
        self._run_queue()
        self._assert_books_agree(invoice, credit_note, payments=payment)
        partial = invoice.line_ids.matched_credit_ids.filtered(lambda p: p.credit_move_id.move_id == credit_note)
        invoice.js_remove_outstanding_partial(partial.id)
        self._run_queue()
        self.assertFalse(self._qbo_payments_of(credit_note), 'the application is voided')
        self._assert_books_agree(invoice, credit_note, payments=payment)

    def test_invoice_and_credit_note_paid_together(self):
        """Register Payment on an invoice and a credit note at once: Odoo settles the invoice
        with the credit note and the payment of the difference; QuickBooks gets the credit
        applied by a Payment of 0 and the payment of the difference."""
        invoice = self._invoice()
        credit_note = self._credit_note()
        payment = self._pay(invoice + credit_note)
        self.assertAlmostEqual(payment.amount, invoice.amount_total - credit_note.amount_total)
        self._run_queue()
        self.assertEqual((invoice.amount_residual, credit_note.amount_residual), (0.0, 0.0))
        [application] = self._qbo_payments_of(credit_note)
        self.assertEqual(float(application['TotalAmt']), 0.0)
        self.assertEqual(
            self._applied(self._qbo_by_id('Payment', payment.qbo_id)), {('Invoice', invoice.qbo_id): payment.amount}
        )
        self._assert_books_agree(invoice, credit_note, payments=payment)

    def test_applied_credit_note_cancelled(self):
        """Cancelling a credit note applied to an invoice: its application is taken back
        before its CreditMemo is voided (QuickBooks refuses to void a credit memo in use)."""
        invoice = self._invoice()
        credit_note = self._credit_note()
        credit_line = credit_note.line_ids.filtered(lambda l: l.account_id.account_type == 'asset_receivable')
        invoice.js_assign_outstanding_line(credit_line.id)
        self._run_queue()
        self._assert_books_agree(invoice, credit_note)
        credit_note.button_draft()
        credit_note.button_cancel()
        self._run_queue()
        self.assertEqual(set(self._jobs(credit_note).mapped('state')), {'done'})
        self.assertFalse(self._qbo_payments_of(credit_note))
        self.assertEqual(float(self._qbo_doc('CreditMemo', credit_note.name)['TotalAmt']), 0.0, 'voided')
        self.assertAlmostEqual(invoice.amount_residual, invoice.amount_total)
        self._assert_books_agree(invoice)

    def test_credit_note_applied_before_its_invoice_reached_quickbooks(self):
        credit_note = self._credit_note()
        invoice = self._invoice()
        credit_line = credit_note.line_ids.filtered(lambda l: l.account_id.account_type == 'asset_receivable')
        invoice.js_assign_outstanding_line(credit_line.id)
        self.emu.fail_write('Invoice', '500')
        self._run_queue()
        job = self._jobs(credit_note)
        self.assertEqual((job.state, job.error_code), ('pending', 'waiting'))
        self.assertFalse(self._qbo_doc('CreditMemo', credit_note.name), 'nothing written while it waits')
        self._jobs(invoice).next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual(invoice.qbo_sync_state, 'synced')
        job.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual(job.state, 'done')
        self.assertEqual(len(self._qbo_payments_of(credit_note)), 1)
        self._assert_books_agree(invoice, credit_note)

    def test_refund_paid_out(self):
        """A credit note paid back: a check to the customer booked to A/R, and a Receive
        Payment of 0 linking the credit memo and the check, so that QuickBooks shows the
        credit used up, as Odoo shows the credit note paid."""
        credit_note = self._credit_note()
        journal = self.company_data['default_journal_bank']
        journal.name = 'Savings'
        refund = self._pay(credit_note)
        self.assertEqual((refund.payment_type, refund.partner_type), ('outbound', 'customer'))
        self._run_queue()
        self.assertEqual(refund.qbo_sync_state, 'synced')
        memo = self._qbo_doc('CreditMemo', credit_note.name)
        check, link = self._refund_check(refund)
        self.assertEqual(check['PaymentType'], 'Check')
        self.assertAlmostEqual(float(check['TotalAmt']), credit_note.amount_total, places=2)
        self.assertEqual(check['AccountRef']['value'], self._account_named('Savings')['Id'])
        self.assertEqual(check['EntityRef']['value'], memo['CustomerRef']['value'])
        [line] = check['Line']
        self.assertEqual(
            line['AccountBasedExpenseLineDetail']['AccountRef']['value'],
            self._account_named('Accounts Receivable (A/R)')['Id'],
        )
        self.assertIn(refund._qbo_reference(), check['PrivateNote'])
        self.assertEqual(float(link['TotalAmt']), 0.0)
        self.assertEqual(
            self._applied(link),
            {('CreditMemo', memo['Id']): credit_note.amount_total, ('Check', check['Id']): credit_note.amount_total},
        )
        self.assertEqual(credit_note.amount_residual, 0.0)
        self._assert_books_agree(credit_note)
        self.assertEqual(self._differences(), [])

    def test_partial_refund_then_cancelled(self):
        credit_note = self._credit_note()
        refund = self._pay(credit_note, amount=40.0)
        self._run_queue()
        check, link = self._refund_check(refund)
        self.assertAlmostEqual(float(check['TotalAmt']), 40.0, places=2)
        self.assertAlmostEqual(credit_note.amount_residual, credit_note.amount_total - 40.0)
        self._assert_books_agree(credit_note)
        self.assertEqual(self._differences(), [])

        refund.action_cancel()
        self._run_queue()
        self.assertEqual(set(self._jobs(refund).mapped('state')), {'done'})
        self.assertFalse([p for p in self._qbo('Purchase') if p['Id'] == check['Id']], 'the check is deleted')
        self.assertEqual(float(self._qbo_by_id('Payment', link['Id'])['TotalAmt']), 0.0)
        voided = self._qbo_by_id('Payment', link['Id'])
        self.assertFalse([line for line in voided.get('Line') or [] if float(line['Amount'])], 'the link is voided')
        self.assertAlmostEqual(credit_note.amount_residual, credit_note.amount_total)
        self._assert_books_agree(credit_note)
        self.assertEqual(self._differences(), [])

    def test_credit_note_cancelled_after_its_refund(self):
        """Cancelling a credit note takes it off its refund in Odoo; in QuickBooks its void
        waits until the refund's link is taken back (QuickBooks voids no credit memo a payment
        applies), then goes: the credit memo voided, the check left open, as the refund is in Odoo."""
        credit_note = self._credit_note()
        self._run_queue()
        refund = self._pay(credit_note)
        self._run_queue()
        check, link = self._refund_check(refund)
        credit_note.button_draft()
        credit_note.button_cancel()
        self._run_queue()
        void = self._jobs(credit_note).filtered(lambda j: j.operation == 'void')
        self.assertEqual((void.state, void.error_code), ('pending', 'waiting'))
        self.assertEqual(self._jobs(refund).sorted('id')[-1].state, 'done')
        self.assertFalse(
            [line for line in self._qbo_by_id('Payment', link['Id']).get('Line') or [] if float(line['Amount'])]
        )
        void.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual(void.state, 'done')
        self.assertEqual(float(self._qbo_doc('CreditMemo', credit_note.name)['TotalAmt']), 0.0)
        self.assertAlmostEqual(float(self._qbo_by_id('Purchase', check['Id'])['TotalAmt']), refund.amount, places=2)
        self.assertEqual(self._differences(), [])

    def test_overpayment_paid_back(self):
        """Money refunded that pays out no credit note (a customer paid too much): the check
        alone, whose open amount and the payment's unapplied credit cancel out in the
        customer's balance, as in Odoo."""
        invoice = self._invoice()
        payment = self._pay(invoice, amount=invoice.amount_total + 50.0)
        refund = self.env['account.payment'].create(
            {
                'payment_type': 'outbound',
                'partner_type': 'customer',
                'partner_id': invoice.partner_id.id,
                'amount': 50.0,
                'journal_id': self.company_data['default_journal_bank'].id,
            }
        )
        refund.action_post()
        (payment.move_id.line_ids | refund.move_id.line_ids).filtered(
            lambda l: l.account_id.account_type == 'asset_receivable' and not l.reconciled
        ).reconcile()
        self._run_queue()
        self.assertEqual(refund.qbo_sync_state, 'synced')
        check, link = self._refund_check(refund)
        self.assertIsNone(link)
        self.assertAlmostEqual(float(check['TotalAmt']), 50.0, places=2)
        self.assertEqual(self._differences(), [])

    def test_refund_account_setting(self):
        self.connection.refund_account_name = 'Nowhere'
        credit_note = self._credit_note()
        refund = self._pay(credit_note)
        self._run_queue()
        job = self._jobs(refund)
        self.assertEqual((job.state, refund.qbo_sync_state), ('failed', 'failed'))
        self.assertIn('"Nowhere"', refund.qbo_sync_error)
        self.assertFalse(self._qbo('Purchase'), 'nothing written')
        self.assertEqual(self._jobs(credit_note).state, 'done', 'the rest of the queue went on')

        self.connection.refund_account_name = 'mastercard'
        job.action_retry()
        self._run_queue()
        self.assertEqual(refund.qbo_sync_state, 'synced', refund.qbo_sync_error)
        check, _link = self._refund_check(refund)
        self.assertEqual(
            (check['PaymentType'], check['AccountRef']['value']),
            ('CreditCard', self._account_named('Mastercard')['Id']),
        )
        self._assert_books_agree(credit_note)

    # -- cancel, faults, modes -------------------------------------------------------

    def test_cancel_voids_and_restores_the_invoice_balance(self):
        invoice = self._invoice()
        payment = self._pay(invoice)
        self._run_queue()
        qbo_id = payment.qbo_id
        payment.action_cancel()
        job = self._jobs(payment).filtered(lambda j: j.operation == 'void')
        self.assertEqual(job.state, 'pending')
        self._run_queue()
        self.assertEqual(job.state, 'done')
        voided = self._qbo_by_id('Payment', qbo_id)
        self.assertEqual(float(voided['TotalAmt']), 0.0)
        self.assertAlmostEqual(invoice.amount_residual, invoice.amount_total)
        self._assert_books_agree(invoice)

    def test_reset_voids_and_post_again_creates_anew(self):
        invoice = self._invoice()
        payment = self._pay(invoice, amount=100.0)
        self._run_queue()
        first_id = payment.qbo_id
        payment.action_draft()
        self._run_queue()
        # Odoo 19 keeps a draft payment reconciled (the invoice still reads partly paid) while
        # QuickBooks, holding no draft payments, shows the invoice open until it is posted again.
        self.assertEqual(float(self._qbo_by_id('Payment', first_id)['TotalAmt']), 0.0)
        payment.action_post()
        self._run_queue()
        self.assertNotEqual(payment.qbo_id, first_id)
        self.assertEqual(len(self._qbo_payments_of(payment)), 1)
        self._assert_books_agree(invoice, payments=payment)

    def test_performed_then_dropped_is_not_duplicated(self):
        invoice = self._invoice()
        self._run_queue()
        payment = self._pay(invoice)
        self.emu.lose_answer('Payment')
        self._run_queue()
        job = self._jobs(payment)
        self.assertEqual(job.state, 'pending')
        self.assertTrue(job.outcome_unknown)
        self.assertEqual(len(self._qbo_payments_of(payment)), 1, 'QuickBooks did create it')
        job.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual(job.state, 'done')
        [qbo_payment] = self._qbo_payments_of(payment)
        self.assertEqual(payment.qbo_id, qbo_payment['Id'])
        self._assert_books_agree(invoice, payments=payment)

    def test_credit_application_performed_then_dropped_is_not_duplicated(self):
        """The answer to the application's Payment is lost after QuickBooks wrote it, in the
        attempt that also created the CreditMemo: the retry finds both instead of writing
        them again."""
        invoice = self._invoice()
        self._run_queue()
        credit_note = self._credit_note()
        credit_line = credit_note.line_ids.filtered(lambda l: l.account_id.account_type == 'asset_receivable')
        invoice.js_assign_outstanding_line(credit_line.id)
        self.emu.lose_answer('Payment')
        self._run_queue()
        job = self._jobs(credit_note)
        self.assertEqual(job.state, 'pending')
        self.assertTrue(job.outcome_unknown)
        job.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual(job.state, 'done')
        memo = self._qbo_doc('CreditMemo', credit_note.name)  # asserts there is exactly one
        self.assertEqual(credit_note.qbo_id, memo['Id'])
        self.assertEqual(len(self._qbo_payments_of(credit_note)), 1)
        self._assert_books_agree(invoice, credit_note)

    def test_a_credit_note_and_its_application_meeting_passing_faults_go_in_one_attempt(self):
        """The CreditMemo cut off once after QuickBooks wrote it, the application's Payment
        refused 503 twice: each is looked up and sent again within the attempt — one attempt
        for what used to take three, each CreditMemo and application written once."""
        invoice = self._invoice()
        self._run_queue()
        credit_note = self._credit_note()
        credit_line = credit_note.line_ids.filtered(lambda l: l.account_id.account_type == 'asset_receivable')
        invoice.js_assign_outstanding_line(credit_line.id)
        self.emu.fault('drop_after_commit', entity='CreditMemo', method='POST')
        self.emu.fault('503', 2, entity='Payment', method='POST')
        seen = len(self._api_requests())
        self._run_queue()
        job = self._jobs(credit_note)
        self.assertEqual((job.state, job.attempts), ('done', 1))
        writes = [r for r in self._api_requests()[seen:] if r['method'] == 'POST' and r.get('entity')]
        self.assertEqual(
            [(r['entity'], r.get('injected')) for r in writes],
            [('CreditMemo', 'drop_after_commit'), ('Payment', '503'), ('Payment', '503'), ('Payment', None)],
            'the CreditMemo found, not written again; the application sent until it got in',
        )
        memo = self._qbo_doc('CreditMemo', credit_note.name)  # asserts there is exactly one
        self.assertEqual(credit_note.qbo_id, memo['Id'])
        self.assertEqual(len(self._qbo_payments_of(credit_note)), 1)
        self._assert_books_agree(invoice, credit_note)

    def test_refund_performed_then_dropped_is_not_duplicated(self):
        """Both writes of a refund (its check, then its link) answered never: each found again."""
        credit_note = self._credit_note()
        self._run_queue()
        refund = self._pay(credit_note)
        for entity in ('Purchase', 'Payment'):
            self.emu.lose_answer(entity)
            self._run_queue()
            job = self._jobs(refund)
            self.assertEqual(job.state, 'pending')
            self.assertTrue(job.outcome_unknown)
            job.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual(job.state, 'done')
        checks = [p for p in self._qbo('Purchase') if refund._qbo_reference() in (p.get('PrivateNote') or '')]
        self.assertEqual([p['Id'] for p in checks], [refund.qbo_id])
        self.assertEqual(len(self._qbo_payments_of(refund)), 1)
        self._assert_books_agree(credit_note)

    def test_a_refund_sent_again_after_its_check_was_deleted_is_a_new_check(self):
        """The refund's check is written, its link fails; the refund is reset (the check deleted)
        and posted again while its push still waits: the same check body must not be answered
        with the deleted check (QuickBooks replays a known request id's first answer)."""
        credit_note = self._credit_note()
        self._run_queue()
        refund = self._pay(credit_note)
        self.emu.fail_write('Payment', '500')
        self._run_queue()
        push = self._jobs(refund).filtered(lambda j: j.operation == 'push')
        self.assertEqual(push.state, 'pending')
        [first_check] = [p for p in self._qbo('Purchase') if refund._qbo_reference() in (p.get('PrivateNote') or '')]
        self.assertEqual(refund.qbo_id, first_check['Id'], 'the check written stays linked')

        refund.action_draft()
        self._run_queue()  # the check deleted
        self.assertFalse([p for p in self._qbo('Purchase') if p['Id'] == first_check['Id']])
        refund.action_post()
        push.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self._run_queue()
        self.assertEqual(set(self._jobs(refund).mapped('state')), {'done'})
        checks = [p for p in self._qbo('Purchase') if refund._qbo_reference() in (p.get('PrivateNote') or '')]
        self.assertEqual(len(checks), 1)
        self.assertNotEqual(checks[0]['Id'], first_check['Id'])
        self.assertEqual(refund.qbo_id, checks[0]['Id'])
        self._assert_books_agree(credit_note)

    def test_manual_mode_and_vendor_payments(self):
        self.connection.sync_mode = 'manual'
        invoice = self._invoice()
        payment = self._pay(invoice)
        self.assertFalse(self._jobs(payment))
        invoice.action_qbo_push()
        payment.action_qbo_push()
        self.assertEqual(self._jobs(payment).state, 'pending')
        self._run_queue()
        self._assert_books_agree(invoice, payments=payment)

        self.connection.sync_mode = 'automatic'
        self.connection.sync_start_date = fields.Date.today()
        early = self._pay(self._invoice(), amount=1.0, payment_date=fields.Date.today() - timedelta(days=1))
        self.assertFalse(self._jobs(early), 'dated before the start date')
        bill = self._create_invoice(
            move_type='in_invoice',
            post=True,
            invoice_line_ids=[self._prepare_invoice_line(product_id=self.product_a, quantity=1, price_unit=10.0)],
        )
        self.assertFalse(self._jobs(self._pay(bill)), 'vendor payments are not sent')
