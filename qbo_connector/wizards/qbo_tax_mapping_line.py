from odoo import api, fields, models
from odoo.tools import float_is_zero

from ..models.qbo_tax_code import RATE_DIGITS
from .qbo_mapping_screen import choice_status

STATUSES = [
    ('mapped', 'Mapped'),
    ('suggested', 'Suggested by rate'),
    ('changed', 'Changed, not saved'),
    ('missing', 'No QuickBooks code of its rate: choose one'),
    ('line', 'Sent as a line'),
    ('untaxed', 'Untaxed (NON)'),
]


def untaxed_in_us(connection, tax):
    """Whether a US line with ``tax`` goes untaxed (NON), needing no tax code: a 0 % tax."""
    rate = tax._qbo_rate()
    return connection.qbo_country_code == 'US' and rate is not None and float_is_zero(rate, RATE_DIGITS)


class QboTaxMappingLine(models.TransientModel):
    """One Odoo sales tax on the tax mapping screen."""

    _name = 'qbo.tax.mapping.line'
    _description = 'QuickBooks Online Tax Mapping Line'
    _order = 'mapping_id, id'
    _check_company_auto = True

    mapping_id = fields.Many2one('qbo.tax.mapping', required=True, ondelete='cascade')
    connection_id = fields.Many2one(related='mapping_id.connection_id')
    company_id = fields.Many2one(related='mapping_id.company_id', store=True)  # its record rule's
    tax_id = fields.Many2one(
        'account.tax', string='Odoo Tax', required=True, readonly=True, ondelete='cascade', check_company=True
    )
    tax_amount = fields.Char(string='Odoo Rate', compute='_compute_tax_amount')
    fixed = fields.Boolean(compute='_compute_tax_amount')
    untaxed = fields.Boolean(
        compute='_compute_tax_amount', help='A US line with this tax alone goes untaxed (NON): it needs no tax code.'
    )
    stored_code_id = fields.Many2one('qbo.tax.code', string='Stored Code', readonly=True)
    suggested_code_id = fields.Many2one('qbo.tax.code', string='Suggested Code', readonly=True)
    qbo_tax_code_id = fields.Many2one(
        'qbo.tax.code',
        string='QuickBooks Tax Code',
        check_company=True,
        domain="[('connection_id', '=', connection_id)]",
    )
    as_line = fields.Boolean(
        string='Send as a Line',
        help='The amount of this tax goes to QuickBooks as a line of the tax item instead of through a tax code. '
        'Always so for fixed amounts.',
    )
    status = fields.Selection(STATUSES, compute='_compute_status')

    @api.depends('tax_id', 'connection_id.qbo_country_code')
    def _compute_tax_amount(self):
        for line in self:
            tax = line.tax_id
            rate = tax._qbo_rate() if tax else None
            line.fixed = tax.amount_type == 'fixed'
            line.untaxed = bool(tax) and untaxed_in_us(line.connection_id, tax)
            if rate is not None:
                line.tax_amount = f'{rate:g} %'
            elif line.fixed:
                line.tax_amount = self.env._('%(amount)s fixed', amount=f'{tax.amount:g}')
            else:
                line.tax_amount = self.env._('not a percentage')

    @api.depends('qbo_tax_code_id', 'stored_code_id', 'suggested_code_id', 'as_line', 'fixed', 'untaxed')
    def _compute_status(self):
        for line in self:
            code = line.qbo_tax_code_id
            if line.as_line or line.fixed:
                line.status = 'line'
            elif line.untaxed:
                line.status = 'untaxed'
            elif not code:
                line.status = 'missing'
            else:
                status = choice_status(code, line.stored_code_id, line.suggested_code_id)
                line.status = {'stored': 'mapped', 'default': 'suggested'}.get(status, status)
