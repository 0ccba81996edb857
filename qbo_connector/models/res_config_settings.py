from odoo import Command, api, fields, models

from .account_tax import TAX_ITEM_NAME
from .product_product import UNMATCHED_ITEM_NAME
from .qbo_connection import STATES

# Settings field -> connection field, for what the Settings page edits.
EDITABLE = {
    'qbo_environment': 'environment',
    'qbo_custom_base_url': 'custom_base_url',
    'qbo_client_id': 'client_id',
    'qbo_sync_mode': 'sync_mode',
    'qbo_sync_start_date': 'sync_start_date',
    'qbo_invoice_prefix': 'invoice_prefix',
    'qbo_payment_method_line_ids': 'payment_method_line_ids',
    'qbo_line_mode': 'line_mode',
    'qbo_default_class_name': 'default_class_name',
    'qbo_refund_account_name': 'refund_account_name',
    'qbo_sub_customers': 'sub_customers',
    'qbo_unmatched_item_name': 'unmatched_item_name',
    'qbo_default_income_account_name': 'default_income_account_name',
    'qbo_untaxed_tax_code_id': 'untaxed_tax_code_id',
    'qbo_tax_item_name': 'tax_item_name',
    'qbo_receipts_paid_at_once': 'receipts_paid_at_once',
    'qbo_sync_invoices': 'sync_invoices',
    'qbo_sync_credit_notes': 'sync_credit_notes',
    'qbo_sync_payments': 'sync_payments',
}


class ResConfigSettings(models.TransientModel):
    _inherit = 'res.config.settings'

    qbo_connection_id = fields.Many2one('qbo.connection', compute='_compute_qbo_connection_id')
    qbo_environment = fields.Selection(
        [('production', 'Production'), ('sandbox', 'Sandbox'), ('custom', 'Custom base URL')],
        string='QuickBooks Environment', default='sandbox')
    qbo_custom_base_url = fields.Char(string='QuickBooks Base URL')
    qbo_client_id = fields.Char(string='QuickBooks Client ID', groups='base.group_system')
    # Write-only: never read back to the page, never stored in this table (see create).
    qbo_client_secret = fields.Char(string='QuickBooks Client Secret', groups='base.group_system')
    qbo_sync_mode = fields.Selection(
        [('automatic', 'Automatic'), ('manual', 'Manual push')], string='QuickBooks Sync Mode', default='automatic')
    qbo_sync_start_date = fields.Date(string='QuickBooks Sync Start Date')
    qbo_sync_invoices = fields.Boolean(string='Sync Invoices to QuickBooks', default=True)
    qbo_sync_credit_notes = fields.Boolean(string='Sync Credit Notes to QuickBooks', default=True)
    qbo_sync_payments = fields.Boolean(string='Sync Payments to QuickBooks', default=True)
    qbo_invoice_prefix = fields.Char(string='QuickBooks Invoice Number Prefix')
    qbo_default_class_name = fields.Char(string='QuickBooks Default Class')
    qbo_refund_account_name = fields.Char(string='QuickBooks Refund Account')
    qbo_sub_customers = fields.Boolean(string='QuickBooks Sub-customers for Child Contacts')
    qbo_unmatched_item_name = fields.Char(string='QuickBooks Item for Unmatched Lines', default=UNMATCHED_ITEM_NAME)
    qbo_default_income_account_name = fields.Char(string='QuickBooks Default Income Account')
    qbo_untaxed_tax_code_id = fields.Many2one(
        'qbo.tax.code', string='QuickBooks Tax Code for Untaxed Lines',
        domain="[('connection_id', '=', qbo_connection_id), ('rate', '=', 0)]")
    qbo_tax_item_name = fields.Char(string='QuickBooks Tax Item', default=TAX_ITEM_NAME)
    qbo_country_code = fields.Char(related='qbo_connection_id.qbo_country_code')
    qbo_receipts_paid_at_once = fields.Boolean(string='QuickBooks Sales Receipts for Invoices Paid at Once')
    qbo_line_mode = fields.Selection(
        [('individual', 'One line per Odoo line'), ('aggregated', 'One line per product and tax')],
        string='QuickBooks Invoice Lines', default='individual')
    qbo_payment_method_line_ids = fields.Many2many(
        'account.payment.method.line', string='QuickBooks Payment Methods to Sync',
        domain="[('payment_type', '=', 'inbound')]")
    qbo_state = fields.Selection(STATES, string='QuickBooks Status', compute='_compute_qbo_connection_id')
    qbo_state_reason = fields.Text(compute='_compute_qbo_connection_id')
    qbo_company_name = fields.Char(compute='_compute_qbo_connection_id')

    @api.depends('company_id')
    def _compute_qbo_connection_id(self):
        for settings in self:
            connection = self.env['qbo.connection']._qbo_for_company(settings.company_id, create=False)
            settings.qbo_connection_id = connection
            settings.qbo_state = connection.state or 'not_connected'
            settings.qbo_state_reason = connection.state_reason
            settings.qbo_company_name = connection.qbo_company_name

    @api.model
    def get_values(self):
        values = super().get_values()
        connection = self.env['qbo.connection'].sudo()._qbo_for_company(self.env.company, create=False)
        if connection:
            values.update({setting: _qbo_setting_value(connection, field)
                           for setting, field in EDITABLE.items()
                           if self._has_field_access(self._fields[setting], 'read')})
        return values

    def _qbo_save(self):
        """Write what the page shows to the company's connection (created on first save)."""
        self.ensure_one()
        values = {field: self[setting] for setting, field in EDITABLE.items()
                  if self._has_field_access(self._fields[setting], 'write')}
        connection = self.env['qbo.connection']._qbo_for_company(self.company_id, create=False)
        changed = {k: v for k, v in values.items() if (connection[k] if connection else False) != v}
        defaults = {'environment': 'sandbox', 'sync_mode': 'automatic', 'line_mode': 'individual',
                    'sync_invoices': True, 'sync_credit_notes': True, 'sync_payments': True,
                    'unmatched_item_name': UNMATCHED_ITEM_NAME, 'tax_item_name': TAX_ITEM_NAME}
        if not changed or (not connection and all(not v or defaults.get(k) == v for k, v in values.items())):
            return connection
        changed = {k: _qbo_field_value(connection, k, v) for k, v in changed.items()}
        values = {k: _qbo_field_value(connection, k, v) for k, v in values.items()}
        if not connection:
            return self.env['qbo.connection'].create({'company_id': self.company_id.id, **values})
        connection.write(changed)
        return connection

    @api.model_create_multi
    def create(self, vals_list):
        """The secret goes straight to the connection: it is neither sent back to the browser
        (get_values leaves it out) nor kept in this transient table."""
        secrets_ = [vals.pop('qbo_client_secret', False) for vals in vals_list]
        records = super().create(vals_list)
        for settings, secret in zip(records, secrets_):
            if secret:
                settings.env['qbo.connection']._qbo_for_company(settings.company_id).client_secret = secret
        return records

    def set_values(self):
        result = super().set_values()
        self._qbo_save()
        return result

    def action_qbo_connect(self):
        self.set_values()
        return self.env['qbo.connection']._qbo_for_company(self.company_id).action_connect()

    def action_qbo_disconnect(self):
        self.qbo_connection_id.action_disconnect()
        return {'type': 'ir.actions.client', 'tag': 'reload'}

    def action_qbo_test_connection(self):
        return self.qbo_connection_id.action_test_connection()

    def action_qbo_open_tax_mapping(self):
        return self.env['qbo.tax.mapping']._qbo_open_for(self._qbo_save() or self.qbo_connection_id)

    def action_qbo_open_payment_method_mapping(self):
        return self.env['qbo.payment.method.mapping']._qbo_open_for(self._qbo_save() or self.qbo_connection_id)

    def action_qbo_open_connection(self):
        connection = self._qbo_save() or self.qbo_connection_id
        return {
            'type': 'ir.actions.act_window',
            'res_model': 'qbo.connection',
            'res_id': connection.id,
            'view_mode': 'form',
        }


def _qbo_setting_value(connection, field):
    """A connection field's value as the Settings page takes it."""
    value = connection[field]
    if isinstance(value, models.BaseModel):
        return value.id if connection._fields[field].type == 'many2one' else value.ids
    return value


def _qbo_field_value(connection, field, value):
    """A Settings value as the connection's field takes it in a write."""
    if isinstance(value, models.BaseModel):
        return value.id if connection._fields[field].type == 'many2one' else [Command.set(value.ids)]
    return value
