from odoo import models

from ..exceptions import QboValidationError


class AccountMoveLine(models.Model):
    """Hard costs billed to a client (issue 12, item 3; docs/bank-and-matters.md): a bill line
    whose analytic distribution names a matter with a client is a billable expense of that
    client (of the matter's sub-customer with matters on)."""

    # A file of its own: account_move_line.py maps the lines of every document.
    _inherit = 'account.move.line'  # pylint: disable=consider-merging-classes-inherited

    def _qbo_matters(self):
        """The analytic accounts of these lines' distributions that name a client."""
        ids = {
            int(account_id)
            for line in self
            for key in (line.analytic_distribution or {})
            for account_id in str(key).split(',')
            if account_id.isdigit()
        }
        return (
            self.env['account.analytic.account'].sudo().browse(sorted(ids)).exists().filtered(lambda a: a._qbo_client())
        )

    def _qbo_prepare_expense_line(self, connection, client, amount, us):
        line = super()._qbo_prepare_expense_line(connection, client, amount, us)
        if not connection.sync_billable:
            return line
        matters = self._qbo_matters()
        if not matters:
            return line
        if len(matters) > 1:
            raise QboValidationError(
                'matter',
                self.env._(
                    'The bill line %(line)s is shared between several matters (%(matters)s); QuickBooks bills an '
                    'expense line to one customer: split the line per matter, then retry.',
                    line=self.name or self.product_id.display_name,
                    matters=', '.join(matters.mapped('display_name')),
                ),
            )
        customer = matters._qbo_customer_ref(connection, client, self.move_id.currency_id)
        detail = line[line['DetailType']]
        detail['BillableStatus'] = 'Billable'
        detail['CustomerRef'] = customer
        return line

    def _qbo_prepare_line(self, connection, client, tax_included=False):
        """A credit note's line booked to an expense account (Bad Debts: the credit note is a
        write-off), write-offs on, goes on that account's write-off item, so that the amount
        sits on its QuickBooks counterpart rather than on an income account."""
        line = super()._qbo_prepare_line(connection, client, tax_included)
        first = self[:1]
        if (
            connection.sync_writeoffs
            and first.move_id.move_type == 'out_refund'
            and not first.product_id
            and (first.account_id.account_type or '').startswith('expense')
        ):
            line['SalesItemLineDetail']['ItemRef'] = first.account_id._qbo_writeoff_item_ref(connection, client)
        return line
