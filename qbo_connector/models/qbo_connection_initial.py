from odoo import models


class QboConnection(models.Model):
    """The initial sync: what Odoo holds already, sent once the connection is set up.

    This simple version queues the documents through the outbox; the batching initial sync of
    issue 11 (item 2) replaces it."""

    _inherit = 'qbo.connection'

    def _qbo_initial_sync_start(self, all_unpaid=False):
        """Queue the posted documents the settings send, dated on or after the start date (with
        ``all_unpaid``, the open invoices of any date too), then their payments."""
        self.ensure_one()
        moves = (
            self.env['account.move']
            .sudo()
            .search([('company_id', '=', self.company_id.id), ('state', '=', 'posted')], order='date, id')
            ._qbo_pushable()
        )
        moves = moves.filtered(
            lambda m: (
                self._qbo_syncs_move(m)
                or (
                    all_unpaid
                    and m.move_type == 'out_invoice'
                    and self.sync_invoices
                    and m.payment_state in ('not_paid', 'partial')
                )
            )
        )
        payments = (
            self.env['account.payment']
            .sudo()
            .search([('company_id', '=', self.company_id.id)], order='date, id')
            ._qbo_pushable()
        )
        payments = payments.filtered(self._qbo_syncs_payment)
        jobs = self.env['qbo.sync.job'].sudo()
        jobs |= jobs._qbo_enqueue(moves, 'push', priority=20)
        jobs |= jobs._qbo_enqueue(payments, 'push', priority=30)
        self.env.ref('qbo_connector.ir_cron_qbo_process_jobs').sudo()._trigger()
        return jobs
