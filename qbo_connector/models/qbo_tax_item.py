from odoo import models


class QboTaxItem(models.Model):
    """The QuickBooks items a connection sent taxes under, as lines of their own, before its
    tax item was named otherwise: their lines stay tax for the books check, and no product
    ever goes under them."""

    _name = 'qbo.tax.item'
    _inherit = ['qbo.kept.list']
    _description = 'QuickBooks Online Former Tax Item'
    _order = 'connection_id, id'

    _qbo_unique = models.UniqueIndex('(connection_id, qbo_id)', 'A QuickBooks item is kept once per connection.')
