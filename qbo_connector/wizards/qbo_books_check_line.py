from odoo import api, fields, models

from .qbo_books_check import COMPARED, KINDS


class QboBooksCheckLine(models.TransientModel):
    _name = 'qbo.books.check.line'
    _description = 'QuickBooks Online Books Check Difference'
    _order = 'check_id, id'

    check_id = fields.Many2one('qbo.books.check', required=True, ondelete='cascade')
    company_id = fields.Many2one(related='check_id.company_id', store=True)  # its record rule's
    kind = fields.Selection(KINDS, required=True)
    move_id = fields.Many2one('account.move', string='Document', ondelete='cascade')
    partner_id = fields.Many2one('res.partner', string='Customer', ondelete='cascade')
    qbo_entity = fields.Char(string='QuickBooks Entity')
    qbo_id = fields.Char(string='QuickBooks Id')
    compared = fields.Selection(COMPARED, string='What Differs', required=True)
    currency_id = fields.Many2one('res.currency')
    odoo_amount = fields.Monetary(string='In Odoo')
    qbo_amount = fields.Monetary(string='In QuickBooks')
    difference = fields.Monetary(string='QuickBooks − Odoo', compute='_compute_difference')
    missing_in = fields.Selection(
        [('qbo', 'QuickBooks'), ('odoo', 'Odoo')], string='Missing In', compute='_compute_difference'
    )

    @api.depends('compared', 'odoo_amount', 'qbo_amount')
    def _compute_difference(self):
        for line in self:
            line.difference = line.qbo_amount - line.odoo_amount
            # For a missing object the amounts are 1.0 where it exists, 0.0 where it does not.
            line.missing_in = line.compared == 'exists' and ('qbo' if not line.qbo_amount else 'odoo')

    @api.model
    def _qbo_values(self, difference):
        """A line of the check for one of the differences of ``_qbo_compare``."""
        record = difference['record']
        return {
            'kind': difference['kind'],
            'move_id': record.id if record._name == 'account.move' else False,
            'partner_id': record.id if record._name == 'res.partner' else False,
            'qbo_entity': difference['qbo_entity'],
            'qbo_id': difference['qbo_id'],
            'compared': difference['field'],
            'currency_id': difference['currency'].id,
            'odoo_amount': difference['odoo'],
            'qbo_amount': difference['qbo'],
        }
