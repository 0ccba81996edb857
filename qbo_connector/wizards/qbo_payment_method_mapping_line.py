from odoo import api, fields, models

from .qbo_mapping_screen import choice_status

STATUSES = [
    ('mapped', 'Mapped'),
    ('named', 'By name'),
    ('created', 'By name (created if missing)'),
    ('changed', 'Changed, not saved'),
]


class QboPaymentMethodMappingLine(models.TransientModel):
    """One Odoo payment method line on the payment method mapping screen: the QuickBooks
    payment method its payments go with."""

    _name = 'qbo.payment.method.mapping.line'
    _description = 'QuickBooks Online Payment Method Mapping Line'
    _order = 'mapping_id, id'
    _check_company_auto = True

    mapping_id = fields.Many2one('qbo.payment.method.mapping', required=True, ondelete='cascade')
    connection_id = fields.Many2one(related='mapping_id.connection_id')
    company_id = fields.Many2one(related='mapping_id.company_id', store=True)  # its record rule's
    method_line_id = fields.Many2one(
        'account.payment.method.line',
        string='Odoo Payment Method',
        required=True,
        readonly=True,
        ondelete='cascade',
        check_company=True,
    )
    journal_id = fields.Many2one(related='method_line_id.journal_id')
    synced = fields.Boolean(
        string='Syncs',
        compute='_compute_synced',
        help="Whether its payments go to QuickBooks (Settings → QuickBooks Online → Payment methods).",
    )
    stored_method_id = fields.Many2one('qbo.payment.method', string='Stored Method', readonly=True)
    named_method_id = fields.Many2one('qbo.payment.method', string='Method of Its Name', readonly=True)
    qbo_payment_method_id = fields.Many2one(
        'qbo.payment.method',
        string='QuickBooks Payment Method',
        check_company=True,
        domain="[('connection_id', '=', connection_id)]",
        help='Empty: the QuickBooks payment method of its name, created if missing.',
    )
    status = fields.Selection(STATUSES, compute='_compute_status')

    @api.depends('method_line_id', 'connection_id.payment_method_line_ids')
    def _compute_synced(self):
        for line in self:
            chosen = line.connection_id.payment_method_line_ids
            line.synced = not chosen or line.method_line_id in chosen

    @api.depends('qbo_payment_method_id', 'stored_method_id', 'named_method_id')
    def _compute_status(self):
        for line in self:
            status = choice_status(line.qbo_payment_method_id, line.stored_method_id, line.named_method_id)
            line.status = {'stored': 'mapped', 'default': 'named' if line.named_method_id else 'created'}.get(
                status, status
            )
