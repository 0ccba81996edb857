from odoo import fields, models


class QboBooksCheck(models.TransientModel):
    """Compares what QuickBooks holds with what Odoo holds, for one connection."""

    _name = 'qbo.books.check'
    _description = 'QuickBooks Online Books Check'

    connection_id = fields.Many2one('qbo.connection', required=True, ondelete='cascade')
    line_ids = fields.One2many('qbo.books.check.line', 'check_id')


class QboBooksCheckLine(models.TransientModel):
    _name = 'qbo.books.check.line'
    _description = 'QuickBooks Online Books Check Difference'

    check_id = fields.Many2one('qbo.books.check', required=True, ondelete='cascade')
