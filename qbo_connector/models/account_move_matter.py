from odoo import fields, models

from ..exceptions import QboValidationError
from .account_move import ENTITY_BY_MOVE_TYPE


class AccountMove(models.Model):
    """Matters as sub-customers (issue 12, item 4; docs/bank-and-matters.md): with the option on,
    an invoice or credit note whose lines all carry one matter (an analytic account naming a
    client) goes to the matter's sub-customer of its customer; lines of several matters fail."""

    # A file of its own: account_move.py is the sales side's.
    _inherit = 'account.move'  # pylint: disable=consider-merging-classes-inherited

    qbo_matter_id = fields.Many2one(
        'account.analytic.account',
        string='QuickBooks Matter',
        copy=False,
        readonly=True,
        groups='base.group_user',
        help='The matter whose QuickBooks sub-customer the document was last sent to.',
    )

    def _qbo_matter(self, connection):
        """The one matter all product lines of this invoice carry (empty when matters are off,
        or when no line carries one); lines of several matters, or some lines of a matter and
        others of none, fail, saying so."""
        self.ensure_one()
        matters = self.env['account.analytic.account']
        if not connection.sync_matters:
            return matters
        lines = self.invoice_line_ids.filtered(lambda l: l.display_type == 'product')
        per_line = [line._qbo_matters() for line in lines]
        found = matters.union(*per_line)
        if not found:
            return matters
        if len(found) > 1 or any(len(m) != 1 for m in per_line):
            raise QboValidationError(
                'matter',
                self.env._(
                    '%(document)s spans several matters (%(matters)s), or has lines of no matter; in QuickBooks an '
                    'invoice belongs to one matter\'s sub-customer: invoice each matter separately, then retry.',
                    document=self.display_name,
                    matters=', '.join(found.mapped('display_name')),
                ),
            )
        return found

    def _qbo_prepare_values(self, connection, client):
        values = super()._qbo_prepare_values(connection, client)
        if self.move_type not in ENTITY_BY_MOVE_TYPE or 'CustomerRef' not in values:
            return values
        matter = self._qbo_matter(connection)
        if matter:
            values['CustomerRef'] = matter._qbo_matter_ref(connection, client, self.currency_id, values['CustomerRef'])
        if matter != self.qbo_matter_id:
            # Rolled back with the attempt when QuickBooks refuses the document.
            self._qbo_write_status({'qbo_matter_id': matter.id or False})
        return values

    def _qbo_matter_customer_ref(self, connection, client, parent):
        """The customer a payment or credit of these documents names: the sub-customer of the
        one matter they went to, else ``parent`` (their customer). Documents of several matters
        (or of a matter and of none) cannot be settled by one QuickBooks payment."""
        matters = self.mapped('qbo_matter_id')
        if not matters:
            return parent
        if len(matters) > 1 or any(not move.qbo_matter_id for move in self):
            raise QboValidationError(
                'matter',
                self.env._(
                    'In QuickBooks, a payment applies to documents of one customer, and these went to several '
                    'matters\' sub-customers (%(matters)s): register a payment per matter.',
                    matters=', '.join(matters.mapped('display_name')),
                ),
            )
        return matters._qbo_matter_ref(connection, client, self[:1].currency_id, parent)
