from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..exceptions import QboValidationError
from .account_move import ENTITY_BY_MOVE_TYPE


class AccountMove(models.Model):
    """Matters as sub-customers (issue 12, item 4; docs/bank-and-matters.md): with the option on,
    an invoice or credit note whose lines all carry one matter (an analytic account naming a
    client) goes to the matter's sub-customer of its customer; lines of several matters fail,
    unless the document is split by matter (on posting when the connection says so, or by the
    button on the draft)."""

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

    qbo_spans_matters = fields.Boolean(
        compute='_compute_qbo_spans_matters',
        groups='base.group_user',
        help='A draft whose lines belong to several matters: QuickBooks takes one document per matter.',
    )

    @api.depends('state', 'move_type', 'company_id', 'invoice_line_ids.analytic_distribution')
    def _compute_qbo_spans_matters(self):
        for move in self:
            move.qbo_spans_matters = bool(
                move.state == 'draft'
                and move.move_type in ENTITY_BY_MOVE_TYPE
                and move.company_id.sudo().qbo_connection_id.sync_matters
                and len(move._qbo_matter_groups()) > 1
            )

    def _qbo_matter_groups(self):
        """This document's product lines by matter, in the order of their first line: a list of
        (matters, lines). Lines of no matter make a group; a line of several matters (its
        analytic distribution split between them) cannot go to one sub-customer and is kept
        with the first group, where the push says so."""
        self.ensure_one()
        groups = {}
        several = self.env['account.move.line']
        for line in self.invoice_line_ids.filtered(lambda l: l.display_type == 'product'):
            matters = line._qbo_matters()
            if len(matters) > 1:
                several |= line
                continue
            groups.setdefault(matters, self.env['account.move.line'])
            groups[matters] |= line
        result = list(groups.items())
        if several:
            if not result:
                return [(several._qbo_matters(), several)]
            result[0] = (result[0][0], result[0][1] | several)
        return result

    def _post(self, soft=True):
        splitting = self.filtered(
            lambda m: (
                m.state == 'draft'
                and m.move_type in ENTITY_BY_MOVE_TYPE
                and m.company_id.sudo().qbo_connection_id.split_matters
                and m.company_id.sudo().qbo_connection_id.sync_matters
            )
        )
        split = splitting._qbo_split_by_matter() if splitting else self.browse()
        return super(AccountMove, self | split)._post(soft=soft)

    def action_qbo_split_by_matter(self):
        """The button on a draft customer invoice or credit note whose lines belong to several
        matters: one document per matter (see _qbo_split_by_matter), shown together."""
        self.check_access('write')
        drafts = self.filtered(lambda m: m.state == 'draft' and m.move_type in ENTITY_BY_MOVE_TYPE)
        if drafts != self:
            raise UserError(self.env._('Only draft customer invoices and credit notes can be split by matter.'))
        split = self._qbo_split_by_matter()
        if not split:
            raise UserError(
                self.env._('The lines of %s belong to one matter: nothing to split.', self[:1].display_name)
            )
        return {
            'type': 'ir.actions.act_window',
            'name': self.env._('Split by Matter'),
            'res_model': 'account.move',
            'view_mode': 'list,form',
            'domain': [('id', 'in', (self | split).ids)],
        }

    def _qbo_split_by_matter(self):
        """Split each of these drafts whose product lines belong to several matters into one
        document per matter (QuickBooks sends a document to one customer, and a matter is a
        sub-customer): the lines of each further matter, and those of no matter, move to a copy
        of the document (same customer, dates, terms, reference); the first matter's lines stay
        with this one, with its section and note lines. Returns the copies."""
        copies = self.browse()
        for move in self:
            groups = move._qbo_matter_groups()
            if len(groups) < 2:
                continue
            originals = move.invoice_line_ids.sorted(lambda l: (l.sequence, l.id))
            moved = self.env['account.move.line']
            made = self.browse()
            for _matters, lines in groups[1:]:
                copy = move.copy(
                    {
                        'invoice_date': move.invoice_date,
                        'date': move.date,
                        'invoice_date_due': move.invoice_date_due,
                        'invoice_payment_term_id': move.invoice_payment_term_id.id,
                        'ref': move.ref,
                        'invoice_origin': move.invoice_origin,
                        'reversed_entry_id': move.reversed_entry_id.id,
                    }
                )
                counterparts = copy.invoice_line_ids.sorted(lambda l: (l.sequence, l.id))
                if len(counterparts) != len(originals):
                    raise UserError(self.env._('%s could not be split by matter: split it by hand.', move.display_name))
                copy.invoice_line_ids = [
                    Command.unlink(twin.id) for line, twin in zip(originals, counterparts) if line not in lines
                ]
                moved |= lines
                made |= copy
            move.invoice_line_ids = [Command.unlink(line.id) for line in moved]
            move.message_post(
                body=self.env._(
                    'Split by matter (QuickBooks takes one document per matter): %(documents)s.',
                    documents=', '.join(made.mapped('display_name')),
                )
            )
            copies |= made
        return copies

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
                    'invoice belongs to one matter\'s sub-customer: reset it to draft and split it by matter (a line '
                    'shared between matters must be split by hand), or turn on Split Invoices by Matter, then post '
                    'it again.',
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
