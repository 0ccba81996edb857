from odoo import api, fields, models

# The settings below are the fields of the company's connection (or of the one it would get).
_CONNECTION = 'qbo_page_connection_id.'


class ResConfigSettings(models.TransientModel):
    _inherit = 'res.config.settings'

    qbo_connection_id = fields.Many2one(related='company_id.qbo_connection_id')
    # What the page shows and writes to: the company's connection, or, until it has one, an
    # unsaved connection holding the defaults, so that a company without QuickBooks yet sees
    # (and, saving untouched, keeps) what its connection would start with. Its fields are
    # written through once the connection exists (see create and write).
    qbo_page_connection_id = fields.Many2one('qbo.connection', compute='_compute_qbo_page_connection_id')

    # === Where and who: system administrators only (the connection's write guard agrees) === #
    qbo_environment = fields.Selection(
        related=_CONNECTION + 'environment', readonly=False, groups='base.group_system', string='QuickBooks Environment'
    )
    qbo_custom_base_url = fields.Char(
        related=_CONNECTION + 'custom_base_url',
        readonly=False,
        groups='base.group_system',
        string='QuickBooks Base URL',
    )
    qbo_client_id = fields.Char(
        related=_CONNECTION + 'client_id', readonly=False, groups='base.group_system', string='QuickBooks Client ID'
    )
    # Write-only, hence not related: never read back to the page, never stored in this table (see create, write).
    qbo_client_secret = fields.Char(string='QuickBooks Client Secret', groups='base.group_system')

    # === Sync settings === #
    qbo_sync_mode = fields.Selection(related=_CONNECTION + 'sync_mode', readonly=False, string='QuickBooks Sync Mode')
    qbo_sync_start_date = fields.Date(
        related=_CONNECTION + 'sync_start_date', readonly=False, string='QuickBooks Sync Start Date'
    )
    qbo_sync_invoices = fields.Boolean(
        related=_CONNECTION + 'sync_invoices', readonly=False, string='Sync Invoices to QuickBooks'
    )
    qbo_sync_credit_notes = fields.Boolean(
        related=_CONNECTION + 'sync_credit_notes', readonly=False, string='Sync Credit Notes to QuickBooks'
    )
    qbo_sync_payments = fields.Boolean(
        related=_CONNECTION + 'sync_payments', readonly=False, string='Sync Payments to QuickBooks'
    )
    qbo_sync_bills = fields.Boolean(
        related=_CONNECTION + 'sync_bills', readonly=False, string='Sync Vendor Bills to QuickBooks'
    )
    qbo_sync_bill_payments = fields.Boolean(
        related=_CONNECTION + 'sync_bill_payments', readonly=False, string='Sync Vendor Payments to QuickBooks'
    )
    qbo_invoice_prefix = fields.Char(
        related=_CONNECTION + 'invoice_prefix', readonly=False, string='QuickBooks Invoice Number Prefix'
    )
    qbo_default_class_name = fields.Char(
        related=_CONNECTION + 'default_class_name', readonly=False, string='QuickBooks Default Class'
    )
    qbo_refund_account_name = fields.Char(
        related=_CONNECTION + 'refund_account_name', readonly=False, string='QuickBooks Refund Account'
    )
    qbo_sub_customers = fields.Boolean(
        related=_CONNECTION + 'sub_customers', readonly=False, string='QuickBooks Sub-customers for Child Contacts'
    )
    qbo_unmatched_item_name = fields.Char(
        related=_CONNECTION + 'unmatched_item_name', readonly=False, string='QuickBooks Item for Unmatched Lines'
    )
    qbo_default_income_account_name = fields.Char(
        related=_CONNECTION + 'default_income_account_name', readonly=False, string='QuickBooks Default Income Account'
    )
    qbo_default_expense_account_name = fields.Char(
        related=_CONNECTION + 'default_expense_account_name',
        readonly=False,
        string='QuickBooks Default Expense Account',
    )
    # The connection's own domain names the connection as `id`, which here is the settings record.
    qbo_untaxed_tax_code_id = fields.Many2one(
        related=_CONNECTION + 'untaxed_tax_code_id',
        readonly=False,
        string='QuickBooks Tax Code for Untaxed Lines',
        domain="[('connection_id', '=', qbo_connection_id), ('rate', '=', 0)]",
    )
    qbo_tax_item_name = fields.Char(related=_CONNECTION + 'tax_item_name', readonly=False, string='QuickBooks Tax Item')
    qbo_receipts_paid_at_once = fields.Boolean(
        related=_CONNECTION + 'receipts_paid_at_once',
        readonly=False,
        string='QuickBooks Sales Receipts for Invoices Paid at Once',
    )
    qbo_line_mode = fields.Selection(
        related=_CONNECTION + 'line_mode', readonly=False, string='QuickBooks Invoice Lines'
    )
    qbo_payment_method_line_ids = fields.Many2many(
        related=_CONNECTION + 'payment_method_line_ids',
        readonly=False,
        string='QuickBooks Payment Methods to Sync',
        domain="[('payment_type', '=', 'inbound')]",
    )

    # === Coming back from QuickBooks === #
    qbo_sync_direction = fields.Selection(
        related=_CONNECTION + 'sync_direction', readonly=False, string='QuickBooks Sync Direction'
    )
    qbo_pull_payments = fields.Boolean(
        related=_CONNECTION + 'pull_payments', readonly=False, string='Pull Payments from QuickBooks'
    )
    qbo_pull_document_changes = fields.Boolean(
        related=_CONNECTION + 'pull_document_changes', readonly=False, string='Flag Documents Changed in QuickBooks'
    )
    qbo_pull_customers = fields.Boolean(
        related=_CONNECTION + 'pull_customers', readonly=False, string='Pull Customers from QuickBooks'
    )
    qbo_pull_customers_create = fields.Boolean(
        related=_CONNECTION + 'pull_customers_create', readonly=False, string='Create Customers Made in QuickBooks'
    )
    qbo_pull_products = fields.Boolean(
        related=_CONNECTION + 'pull_products', readonly=False, string='Pull Items from QuickBooks'
    )
    qbo_pull_products_create = fields.Boolean(
        related=_CONNECTION + 'pull_products_create', readonly=False, string='Create Items Made in QuickBooks'
    )
    qbo_pull_lists = fields.Boolean(
        related=_CONNECTION + 'pull_lists', readonly=False, string='Refresh QuickBooks Lists from Changes'
    )
    qbo_pull_interval_minutes = fields.Integer(
        related=_CONNECTION + 'pull_interval_minutes', readonly=False, string='QuickBooks Pull Interval (Minutes)'
    )
    qbo_webhook_url = fields.Char(related=_CONNECTION + 'webhook_url', string='QuickBooks Webhook URL')
    # Write-only, as the client secret.
    qbo_webhook_verifier_token = fields.Char(string='QuickBooks Webhook Verifier Token', groups='base.group_system')

    # === Advanced options: system administrators only (the connection's field says so too) === #
    qbo_log_retention_days = fields.Integer(
        related=_CONNECTION + 'log_retention_days',
        readonly=False,
        groups='base.group_system',
        string='QuickBooks Call Log Retention (days)',
    )

    # === Status, written by the addon alone === #
    qbo_state = fields.Selection(related=_CONNECTION + 'state', string='QuickBooks Status')
    qbo_state_reason = fields.Text(related=_CONNECTION + 'state_reason')
    qbo_company_name = fields.Char(related=_CONNECTION + 'qbo_company_name')
    qbo_country_code = fields.Char(related=_CONNECTION + 'qbo_country_code')

    @api.depends('company_id.qbo_connection_id')
    def _compute_qbo_page_connection_id(self):
        for settings in self:
            settings.qbo_page_connection_id = settings.company_id.qbo_connection_id or self.env['qbo.connection'].new(
                {'company_id': settings.company_id.id}
            )

    @api.model_create_multi
    def create(self, vals_list):
        """Save the page: see ``_qbo_prepare_connection``; the secret goes straight to the
        connection and is kept nowhere here."""
        secrets_ = [vals.pop('qbo_client_secret', False) for vals in vals_list]
        tokens = [vals.pop('qbo_webhook_verifier_token', False) for vals in vals_list]
        for vals, secret, token in zip(vals_list, secrets_, tokens):
            company = self.env['res.company'].browse(vals.get('company_id')) or self.env.company
            self._qbo_prepare_connection(company, vals, secret or token)
        records = super().create(vals_list)
        for settings, secret, token in zip(records, secrets_, tokens):
            if secret:
                settings.qbo_connection_id.client_secret = secret
            if token:
                settings.qbo_connection_id.webhook_verifier_token = token
        return records

    def write(self, vals):
        """As create: the page is written again when saved after one of its buttons ran."""
        secret = vals.pop('qbo_client_secret', False)
        token = vals.pop('qbo_webhook_verifier_token', False)
        for company in self.company_id:
            self._qbo_prepare_connection(company, vals, secret or token)
        result = super().write(vals)
        if secret:
            self.qbo_connection_id.client_secret = secret
        if token:
            self.qbo_connection_id.webhook_verifier_token = token
        return result

    @api.model
    def _qbo_prepare_connection(self, company, vals, secret):
        """Get ``company``'s connection ready for the settings ``vals`` of a save: leave out the
        values it holds already (a page saved untouched writes nothing), create it when some
        value is left (or a secret is given) and it does not exist yet, and write the
        environment and the base URL together."""
        page = company.qbo_connection_id or self.env['qbo.connection'].new({'company_id': company.id})
        names = [
            name
            for name, field in self._fields.items()
            if name in vals and (field.related or '').startswith(_CONNECTION) and not field.readonly
        ]
        chosen = self.new({name: vals[name] for name in names})
        for name in names:
            if chosen[name] == page[self._fields[name].related_field.name]:
                del vals[name]
        if not company.qbo_connection_id and (secret or any(name in vals for name in names)):
            self.env['qbo.connection'].create({'company_id': company.id})
            # The ORM does not carry a created connection through the company's computed field
            # to a page already read in this transaction: it would write to the unsaved one.
            self.invalidate_model()
        # The connection checks these two as one (a custom environment needs a URL) at every
        # write, while related fields are written one at a time: the environment first would
        # fail for want of the URL that comes after it.
        if 'qbo_environment' in vals and 'qbo_custom_base_url' in vals:
            company.qbo_connection_id.write(
                {'environment': vals['qbo_environment'], 'custom_base_url': vals['qbo_custom_base_url']}
            )

    # ------------------------------------------------------------------
    # Buttons: the page is saved (created, so written through) before they run
    # ------------------------------------------------------------------

    def action_qbo_connect(self):
        return self.env['qbo.connection']._qbo_for_company(self.company_id).action_connect()

    def action_qbo_disconnect(self):
        self.qbo_connection_id.action_disconnect()
        return {'type': 'ir.actions.client', 'tag': 'reload'}

    def action_qbo_test_connection(self):
        return self.qbo_connection_id.action_test_connection()

    def action_qbo_open_tax_mapping(self):
        return self.env['qbo.tax.mapping']._qbo_open_for(self.qbo_connection_id)

    def action_qbo_open_expense_mapping(self):
        return self.env['qbo.expense.mapping']._qbo_open_for(self.qbo_connection_id)

    def action_qbo_open_payment_method_mapping(self):
        return self.env['qbo.payment.method.mapping']._qbo_open_for(self.qbo_connection_id)

    def action_qbo_open_connection(self):
        return {
            'type': 'ir.actions.act_window',
            'res_model': 'qbo.connection',
            'res_id': self.qbo_connection_id.id,
            'view_mode': 'form',
        }

    def action_qbo_open_setup(self):
        """The setup assistant (issue 11), where its user left it."""
        return self.env['qbo.connection']._qbo_for_company(self.company_id).action_open_setup()
