from odoo import api, fields, models

from .qbo_mapping_screen import choice_status

STATUSES = [
    ('chosen', 'Chosen'),
    ('default', 'As mapped the other way'),
    ('changed', 'Changed, not saved'),
    ('none', 'No Odoo payment method'),
]


class QboPaymentMethodMappingReverse(models.TransientModel):
    """One QuickBooks payment method on the payment method mapping screen: the Odoo payment
    method line (and so journal) a payment recorded in QuickBooks with it is registered
    with, for the coming pull of payments."""

    _name = 'qbo.payment.method.mapping.reverse'
    _description = 'QuickBooks Online Payment Method Mapping, QuickBooks to Odoo'
    _order = 'mapping_id, id'
    _check_company_auto = True

    mapping_id = fields.Many2one('qbo.payment.method.mapping', required=True, ondelete='cascade')
    company_id = fields.Many2one(related='mapping_id.company_id', store=True)  # its record rule's
    qbo_payment_method_id = fields.Many2one(
        'qbo.payment.method',
        string='QuickBooks Payment Method',
        required=True,
        readonly=True,
        ondelete='cascade',
        check_company=True,
    )
    stored_line_id = fields.Many2one('account.payment.method.line', string='Stored Line', readonly=True)
    default_line_id = fields.Many2one('account.payment.method.line', string='Line Mapped the Other Way', readonly=True)
    method_line_id = fields.Many2one(
        'account.payment.method.line',
        string='Odoo Payment Method',
        check_company=True,
        domain="[('company_id', '=', company_id), ('payment_type', '=', 'inbound'), "
        "('journal_id.type', 'in', ('bank', 'cash', 'credit'))]",
        help='Empty: the Odoo payment method that goes to this QuickBooks method.',
    )
    journal_id = fields.Many2one(related='method_line_id.journal_id')
    status = fields.Selection(STATUSES, compute='_compute_status')

    @api.depends('method_line_id', 'stored_line_id', 'default_line_id')
    def _compute_status(self):
        for reverse in self:
            status = choice_status(reverse.method_line_id, reverse.stored_line_id, reverse.default_line_id)
            reverse.status = {'stored': 'chosen', 'default': 'default' if reverse.default_line_id else 'none'}.get(
                status, status
            )
