import json

from odoo import fields
from odoo.tests import tagged

from .test_push_invoice import QboPushCommon


@tagged('post_install', '-at_install')
class TestQuickBooksNumbersDocuments(QboPushCommon):
    """A QuickBooks company with custom transaction numbers off numbers its sales documents
    itself: Odoo sends no DocNumber, and finds what a lost attempt made by the reference in the
    private note (a lookup by the Odoo number would never match, and the retry would make a
    second invoice)."""

    def setUp(self):
        super().setUp()
        self._quickbooks_numbers_documents()

    def _qbo_docs_of(self, move, entity='Invoice'):
        return [d for d in self._qbo(entity) if move._qbo_reference() in (d.get('PrivateNote') or '')]

    def _drop_the_answer(self):
        self.emu.lose_answer('Invoice')

    def test_quickbooks_numbers_the_invoice(self):
        invoice = self._invoice()
        self._run_queue()
        self.assertEqual(invoice.qbo_sync_state, 'synced', invoice.qbo_sync_error)
        (qbo_invoice,) = self._qbo_docs_of(invoice)
        self.assertEqual(invoice.qbo_id, qbo_invoice['Id'])
        self.assertNotEqual(qbo_invoice['DocNumber'], invoice.name, "QuickBooks' own number")
        self.assertIn(invoice.name, qbo_invoice['PrivateNote'], 'the Odoo number is in the private note')
        sent = self.connection.log_ids.filtered(lambda log: log.method == 'POST' and '/invoice' in log.endpoint)
        self.assertNotIn('DocNumber', json.loads(sent.request_body), 'no number sent for QuickBooks to ignore')
        self._assert_books_agree(invoice, qbo_invoice)
        # Updated later, it keeps QuickBooks' number.
        invoice.button_draft()
        invoice.invoice_line_ids[0].price_unit = 120.0
        invoice.action_post()
        self._run_queue()
        (updated,) = self._qbo_docs_of(invoice)
        self.assertEqual(updated['DocNumber'], qbo_invoice['DocNumber'])
        self._assert_books_agree(invoice, updated)

    def test_a_lost_answer_is_found_by_its_reference(self):
        """The create's answer is lost (QuickBooks made the invoice and numbered it), then the
        invoice changes in Odoo (another body: QuickBooks does not answer it with the first
        answer): the retry finds the invoice by its reference and updates it, no second one."""
        invoice = self._invoice()
        self._drop_the_answer()
        self._run_queue()
        job = self._jobs(invoice)
        self.assertTrue(job.outcome_unknown)
        self.assertEqual(len(self._qbo_docs_of(invoice)), 1, 'QuickBooks did create it')
        invoice.button_draft()
        invoice.invoice_line_ids[0].price_unit = 120.0
        invoice.action_post()
        job.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual(job.state, 'done')
        found = self._qbo_docs_of(invoice)
        self.assertEqual(len(found), 1, 'exactly one invoice in QuickBooks')
        self.assertEqual(invoice.qbo_id, found[0]['Id'])
        self._assert_books_agree(invoice, found[0])

    def test_cancelled_while_its_answer_is_lost_is_voided(self):
        """Cancelled before the retry of a create whose answer was lost (no void queued: Odoo
        knew of nothing to void): the retry finds the invoice by its reference and voids it."""
        invoice = self._invoice()
        self._drop_the_answer()
        self._run_queue()
        job = self._jobs(invoice)
        self.assertTrue(job.outcome_unknown)
        invoices = len(self._qbo('Invoice'))
        invoice.button_draft()
        invoice.button_cancel()
        job.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual(job.state, 'done')
        self.assertTrue(invoice.qbo_id, 'found, and bound to the invoice')
        self.assertEqual(len(self._qbo('Invoice')), invoices, 'nothing created again')
        # QuickBooks notes "Voided" in place of the private note.
        self.assertEqual(float(self._qbo_by_id('Invoice', invoice.qbo_id)['TotalAmt']), 0.0)
        self.assertEqual(self._differences(), [])
