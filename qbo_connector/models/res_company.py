from odoo import api, fields, models


class ResCompany(models.Model):
    _inherit = 'res.company'

    # Archived connections count: a company has one connection at most (qbo.connection's
    # _company_unique), and the Settings page must edit that one rather than believe there is none.
    qbo_connection_ids = fields.One2many(
        'qbo.connection', 'company_id', context={'active_test': False}, groups='qbo_connector.group_qbo_user'
    )
    # Computed as superuser: code posting an accountant's invoice may ask which connection
    # the company has; reading the connection's fields stays subject to its access rights.
    qbo_connection_id = fields.Many2one(
        'qbo.connection',
        string='QuickBooks Connection',
        compute='_compute_qbo_connection_id',
        compute_sudo=True,
        help='The connection of this company to QuickBooks Online; empty until its first setting is saved.',
    )

    @api.depends('qbo_connection_ids')
    def _compute_qbo_connection_id(self):
        for company in self:
            company.qbo_connection_id = company.qbo_connection_ids[:1]
