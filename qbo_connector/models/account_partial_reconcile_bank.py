from odoo import api, models


class AccountPartialReconcile(models.Model):
    """A bank statement line reconciled with payments, or no longer, queues its deposit
    (database writes only; the push reads the reconciliation as it is when it runs)."""

    # A file of its own: account_partial_reconcile.py queues the sales side's applications.
    _inherit = 'account.partial.reconcile'  # pylint: disable=consider-merging-classes-inherited

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        if not self.env.context.get('qbo_pull'):
            self.env['account.bank.statement.line']._qbo_lines_of_partials(partials)._qbo_enqueue('push')
        return partials

    def unlink(self):
        lines = self.env['account.bank.statement.line']
        if not self.env.context.get('qbo_pull'):
            lines = lines._qbo_lines_of_partials(self)
        result = super().unlink()
        lines.exists()._qbo_enqueue('push')
        return result
