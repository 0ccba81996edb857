"""What QuickBooks keeps when a user deletes or cancels a synced document in Odoo: never a
live twin of a document Odoo no longer has (invariant 9)."""

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .test_push_invoice import QboPushCommon


@tagged('post_install', '-at_install')
class TestPushDeletion(QboPushCommon):
    def setUp(self):
        super().setUp()
        self.sandbox_payments = {p['Id'] for p in self._qbo('Payment')}

    def _live_payments(self):
        """The Payments with money that Odoo sent (the sandbox company comes with its own)."""
        return [p for p in self._qbo('Payment') if p['Id'] not in self.sandbox_payments and float(p['TotalAmt'])]

    def test_invoice_quickbooks_holds_is_not_deleted(self):
        """Reset to draft, an invoice QuickBooks holds cannot be deleted: its twin would stay
        live there. Cancelled (voided in QuickBooks), it can."""
        invoice = self._invoice()
        self._run_queue()
        qbo_id = invoice.qbo_id
        invoice.button_draft()
        with self.assertRaisesRegex(UserError, 'Cancel it first'):
            invoice.unlink()
        invoice.button_cancel()
        with self.assertRaisesRegex(UserError, 'void'):
            invoice.unlink()  # its void has not run yet
        self._run_queue()
        invoice.unlink()
        voided = self._qbo_by_id('Invoice', qbo_id)
        self.assertEqual(float(voided['TotalAmt']), 0.0)
        self.assertEqual(self._differences(), [])

    def test_number_of_a_deleted_invoice_is_given_again(self):
        """Odoo gives the number of a deleted invoice to the next one: the voided twin of the
        deleted invoice gives its number up in QuickBooks, and the next invoice goes, once."""
        invoice = self._invoice()
        self._run_queue()
        number, twin_id = invoice.name, invoice.qbo_id
        invoice.button_draft()
        invoice.button_cancel()
        self._run_queue()
        invoice.unlink()
        # The next invoice is made in a transaction of its own, whose sequence cache is empty.
        self.env['account.move']._get_sequence_cache().clear()
        following = self._invoice()
        self.assertEqual(following.name, number, 'Odoo gives the number again')
        self._run_queue()
        self.assertEqual(self._jobs(following).state, 'done', self._jobs(following).error_message)
        qbo_invoice = self._qbo_doc('Invoice', number)  # exactly one
        self.assertEqual(qbo_invoice['Id'], following.qbo_id)
        self.assertNotEqual(qbo_invoice['Id'], twin_id)
        self._assert_books_agree(following, qbo_invoice)
        self.assertEqual(self._differences(), [])

    def test_payment_quickbooks_holds_is_not_deleted_before_its_void(self):
        """A payment reset to draft queues its void; deleted before the void ran, QuickBooks
        would keep the money for ever. The deletion waits for the void."""
        invoice = self._invoice()
        payment = self._register_payment(invoice)
        self._run_queue()
        qbo_id = payment.qbo_id
        payment.action_draft()
        with self.assertRaisesRegex(UserError, 'void'):
            payment.unlink()
        self._run_queue()
        payment.unlink()
        self.assertEqual(float(self._qbo_by_id('Payment', qbo_id)['TotalAmt']), 0.0)
        self.assertEqual(self._live_payments(), [])
        self._assert_books_agree(invoice, self._qbo_doc('Invoice', invoice.name))
        self.assertEqual(self._differences(), [])

    def test_payment_whose_push_may_have_been_sent_is_not_deleted(self):
        """A payment whose last push's answer was lost may be in QuickBooks: it cannot be deleted
        until the queue knows."""
        invoice = self._invoice()
        self._run_queue()
        payment = self._register_payment(invoice)
        self.emu.lose_answer('Payment')
        self._run_queue()
        payment.action_draft()
        with self.assertRaisesRegex(UserError, 'QuickBooks'):
            payment.unlink()
        self._jobs(payment).next_attempt_at = fields.Datetime.now()
        self._run_queue()
        payment.unlink()
        self.assertEqual(self._live_payments(), [])
        self.assertEqual(self._differences(), [])

    def test_payment_cancelled_while_its_push_is_in_flight(self):
        """The create's answer is lost (QuickBooks made the Payment), then the payment is
        cancelled before the retry: the retry finds that Payment and voids it; posted again,
        the payment is in QuickBooks once."""
        invoice = self._invoice()
        self._run_queue()
        payment = self._register_payment(invoice)
        self.emu.lose_answer('Payment')
        self._run_queue()
        job = self._jobs(payment)
        self.assertTrue(job.outcome_unknown)
        [sent] = self._qbo_payments_of(payment)
        payment.action_cancel()
        job.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual(job.state, 'done')
        self.assertEqual(float(self._qbo_by_id('Payment', sent['Id'])['TotalAmt']), 0.0)
        self.assertEqual(self._live_payments(), [])
        self._assert_books_agree(invoice, self._qbo_doc('Invoice', invoice.name))
        self.assertEqual(self._differences(), [])

        payment.action_draft()
        payment.action_post()
        self._run_queue()
        [live] = self._live_payments()
        self.assertEqual(live['Id'], payment.qbo_id)
        self.assertEqual(len(self._qbo_payments_of(payment)), 1)
        self.assertAlmostEqual(float(live['TotalAmt']), payment.amount, places=2)
        self.assertEqual(self._differences(), [])

    def test_invoice_cancelled_while_its_push_is_in_flight(self):
        """The Invoice's create answer is lost (QuickBooks made it), then the invoice is reset and
        cancelled before the retry (no void is queued: Odoo knew of nothing to void): the retry
        finds that Invoice by its number and voids it."""
        self._run_queue()
        invoice = self._invoice()
        self.emu.lose_answer('Invoice')
        self._run_queue()
        job = self._jobs(invoice)
        self.assertTrue(job.outcome_unknown)
        invoice.button_draft()
        invoice.button_cancel()
        job.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual(job.state, 'done')
        self.assertEqual(float(self._qbo_doc('Invoice', invoice.name)['TotalAmt']), 0.0)
        self.assertEqual(self._differences(), [])
