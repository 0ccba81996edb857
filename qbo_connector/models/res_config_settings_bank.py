from odoo import fields, models

from .res_config_settings import _CONNECTION


class ResConfigSettings(models.TransientModel):
    """The bank side's switches and accounts (issue 12, item 9), related to the connection."""

    # A file of its own: res_config_settings.py is every side's.
    _inherit = 'res.config.settings'  # pylint: disable=consider-merging-classes-inherited

    qbo_sync_deposits = fields.Boolean(
        related=_CONNECTION + 'sync_deposits', readonly=False, string='Sync Bank Deposits to QuickBooks'
    )
    qbo_sync_trust = fields.Boolean(
        related=_CONNECTION + 'sync_trust', readonly=False, string='Sync Trust Receipts to QuickBooks'
    )
    qbo_trust_liability_account_name = fields.Char(
        related=_CONNECTION + 'trust_liability_account_name',
        readonly=False,
        string='QuickBooks Client Trust Liability Account',
    )
    qbo_sync_writeoffs = fields.Boolean(
        related=_CONNECTION + 'sync_writeoffs', readonly=False, string='Sync Write-offs to QuickBooks'
    )
    qbo_sync_billable = fields.Boolean(
        related=_CONNECTION + 'sync_billable', readonly=False, string='Sync Billable Hard Costs to QuickBooks'
    )
    qbo_sync_matters = fields.Boolean(
        related=_CONNECTION + 'sync_matters', readonly=False, string='Matters as QuickBooks Sub-customers'
    )
    qbo_split_matters = fields.Boolean(
        related=_CONNECTION + 'split_matters', readonly=False, string='Split QuickBooks Invoices by Matter'
    )

    def action_qbo_open_bank_accounts(self):
        """The bank account mapping: bank and cash journals of the company with their QuickBooks account."""
        self.ensure_one()
        action = self.env['ir.actions.act_window']._for_xml_id('qbo_connector.action_qbo_bank_account_mapping')
        action['domain'] = [('company_id', '=', self.company_id.id), ('type', 'in', ('bank', 'cash'))]
        return action

    def action_qbo_open_matters(self):
        """The analytic accounts (matters) with the client each is billed to."""
        self.ensure_one()
        return self.env['ir.actions.act_window']._for_xml_id('qbo_connector.action_qbo_matter_mapping')
