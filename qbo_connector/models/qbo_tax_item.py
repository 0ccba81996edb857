from odoo import fields, models


class QboTaxItem(models.Model):
    """The QuickBooks items a connection sent taxes under, as lines of their own, before its
    tax item was named otherwise: their lines stay tax for the books check, and no product
    ever goes under them. Written when the tax item setting changes, never read from QuickBooks."""

    _name = 'qbo.tax.item'
    _description = 'QuickBooks Online Former Tax Item'
    _order = 'connection_id, id'
    _check_company_auto = True

    connection_id = fields.Many2one('qbo.connection', required=True, index=True, ondelete='cascade', readonly=True)
    company_id = fields.Many2one(related='connection_id.company_id', store=True, index=True)
    qbo_id = fields.Char(string='QuickBooks Id', required=True, readonly=True)
    name = fields.Char(required=True, readonly=True)

    _qbo_unique = models.UniqueIndex('(connection_id, qbo_id)', 'A QuickBooks item is kept once per connection.')
