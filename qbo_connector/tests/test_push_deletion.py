"""What QuickBooks keeps when a user deletes or cancels a synced document in Odoo: never a
live twin of a document Odoo no longer has (invariant 9)."""

from odoo import fields
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

    def test_payment_cancelled_while_its_push_is_in_flight(self):
        """The create's answer is lost (QuickBooks made the Payment), then the payment is
        cancelled before the retry: the retry finds that Payment and voids it; posted again,
        the payment is in QuickBooks once."""
        invoice = self._invoice()
        self._run_queue()
        payment = self._register_payment(invoice)
        self.emu._call(
            'POST', 'faults', json={'kind': 'drop_after_commit', 'count': 1, 'entity': 'Payment', 'method': 'POST'}
        )
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
