from odoo import fields, models


class ResCompany(models.Model):
    _inherit = 'res.company'

    qbo_connection_ids = fields.One2many('qbo.connection', 'company_id')
