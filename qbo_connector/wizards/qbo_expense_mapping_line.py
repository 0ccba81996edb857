from odoo import api, fields, models

from .qbo_mapping_screen import choice_status

STATUSES = [
    ('mapped', 'Mapped'),
    ('suggested', 'Named alike'),
    ('changed', 'Changed, not saved'),
    ('default', 'Default expense account'),
    ('missing', 'No QuickBooks account: choose one or set the default'),
]


class QboExpenseMappingLine(models.TransientModel):
    """One Odoo expense account on the expense account mapping screen."""

    _name = 'qbo.expense.mapping.line'
    _description = 'QuickBooks Online Expense Account Mapping Line'
    _order = 'mapping_id, id'
    _check_company_auto = True

    mapping_id = fields.Many2one('qbo.expense.mapping', required=True, ondelete='cascade')
    connection_id = fields.Many2one(related='mapping_id.connection_id')
    company_id = fields.Many2one(related='mapping_id.company_id', store=True)  # its record rule's
    account_id = fields.Many2one(
        'account.account', string='Odoo Account', required=True, readonly=True, ondelete='cascade'
    )
    stored_account_id = fields.Many2one('qbo.expense.account', string='Stored Account', readonly=True)
    suggested_account_id = fields.Many2one('qbo.expense.account', string='Suggested Account', readonly=True)
    qbo_account_id = fields.Many2one(
        'qbo.expense.account',
        string='QuickBooks Account',
        check_company=True,
        domain="[('connection_id', '=', connection_id)]",
    )
    status = fields.Selection(STATUSES, compute='_compute_status')

    @api.depends(
        'qbo_account_id', 'stored_account_id', 'suggested_account_id', 'mapping_id.default_expense_account_name'
    )
    def _compute_status(self):
        for line in self:
            if not line.qbo_account_id and not line.stored_account_id:
                line.status = 'default' if (line.mapping_id.default_expense_account_name or '').strip() else 'missing'
                continue
            status = choice_status(line.qbo_account_id, line.stored_account_id, line.suggested_account_id)
            line.status = {'stored': 'mapped', 'default': 'suggested'}.get(status, status)
