from odoo import api, models


class AccountPartialReconcile(models.Model):
    """A reconciliation made or undone changes what QuickBooks must show as applied: the
    payment's lines, or the credit note's application to invoices. Queued here (database
    writes only); the pushes read the reconciliation as it is when they run."""

    _inherit = 'account.partial.reconcile'

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        self.env['account.move']._qbo_enqueue_applications(*partials._qbo_applying_documents())
        return partials

    def unlink(self):
        payments, credit_notes = self._qbo_applying_documents()
        result = super().unlink()
        self.env['account.move']._qbo_enqueue_applications(payments, credit_notes)
        return result

    def _qbo_applying_documents(self):
        """(customer payments, credit notes) whose QuickBooks application these partials are
        part of: a payment's partial belongs to the payment; a partial between a credit note
        and an invoice alone is the credit note's application. None while a payment recorded in
        QuickBooks is brought in (context ``qbo_pull``): QuickBooks holds that application already."""
        payments = self.env['account.payment']
        credit_notes = self.env['account.move']
        if self.env.context.get('qbo_pull'):
            return payments, credit_notes
        for partial in self:
            moves = partial.debit_move_id.move_id | partial.credit_move_id.move_id
            if moves.statement_line_id:
                # A payment matched with a bank statement line: its deposit, not an application
                # (account_partial_reconcile_bank.py).
                continue
            if moves.origin_payment_id:
                # Money received, and refunds (their link to the credit notes they pay out).
                payments |= moves.origin_payment_id.filtered(
                    lambda p: p.partner_type == 'customer' or p.payment_type == 'outbound'  # and bill payments
                )
            elif sorted(moves.mapped('move_type')) in (['out_invoice', 'out_refund'], ['in_invoice', 'in_refund']):
                credit_notes |= moves.filtered(lambda m: m.move_type in ('out_refund', 'in_refund'))
        return payments, credit_notes
