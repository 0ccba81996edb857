import logging
import secrets
import time
from datetime import timedelta

import psycopg2
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import consteq, hmac as odoo_hmac

from .. import const
from ..exceptions import QboAuthError, QboError, QboGrantError, QboRetryableError, QboValidationError
from ..tools.qbo_client import QboClient, qbo_quote, token_is_fresh
from .account_tax import TAX_ITEM_NAME
from .product_product import UNMATCHED_ITEM_NAME

_logger = logging.getLogger(__name__)

STATES = [
    ('not_connected', 'Not connected'),
    ('connected', 'Connected'),
    ('needs_reconnect', 'Needs reconnect'),
    ('disconnected', 'Disconnected'),
]


class QboConnection(models.Model):
    _name = 'qbo.connection'
    _description = 'QuickBooks Online Connection'
    _inherit = ['mail.thread', 'mail.activity.mixin']
    _check_company_auto = True
    _rec_name = 'company_id'

    company_id = fields.Many2one(
        'res.company', required=True, index=True, ondelete='cascade', default=lambda self: self.env.company
    )
    active = fields.Boolean(default=True)

    # === Where and who === #
    environment = fields.Selection(
        [('production', 'Production'), ('sandbox', 'Sandbox'), ('custom', 'Custom base URL')],
        required=True,
        default='sandbox',
        tracking=True,
        groups='base.group_system',
        help='Production and Sandbox are Intuit\'s. A custom base URL serves the OAuth discovery '
        'document, the token endpoints and the Accounting API under one root, as the '
        'project\'s QuickBooks emulator does.',
    )
    custom_base_url = fields.Char(
        string='Custom Base URL',
        tracking=True,
        groups='base.group_system',
        help='For example http://127.0.0.1:8099 for the QuickBooks emulator.',
    )
    client_id = fields.Char(string='Client ID', groups='base.group_system', copy=False)
    client_secret = fields.Char(string='Client Secret', groups='base.group_system', copy=False)

    # === The QuickBooks company, read at connect time === #
    realm_id = fields.Char(string='Realm ID', readonly=True, copy=False, index=True)
    synced_realm_id = fields.Char(
        string='Synced Realm ID',
        readonly=True,
        copy=False,
        help='The QuickBooks company this connection has written to. A reconnect to another '
        'company is refused, because the records already linked would point into the wrong books.',
    )
    qbo_company_name = fields.Char(string='QuickBooks Company', readonly=True, copy=False)
    qbo_country_code = fields.Char(string='QuickBooks Country', readonly=True, copy=False)
    qbo_currency_code = fields.Char(string='Home Currency', readonly=True, copy=False)
    qbo_multicurrency = fields.Boolean(string='Multicurrency', readonly=True, copy=False)
    qbo_class_tracking = fields.Boolean(string='Class Tracking', readonly=True, copy=False)
    qbo_class_per_line = fields.Boolean(
        string='Class per Line',
        readonly=True,
        copy=False,
        help='QuickBooks tracks classes on each line rather than on the whole transaction.',
    )
    qbo_custom_txn_numbers = fields.Boolean(string='Custom Transaction Numbers', readonly=True, copy=False)
    qbo_automated_sales_tax = fields.Boolean(string='Automated Sales Tax', readonly=True, copy=False)

    # === Sync settings === #
    sync_mode = fields.Selection(
        [('automatic', 'Automatic'), ('manual', 'Manual push')],
        required=True,
        default='automatic',
        tracking=True,
        help='Automatic: posting a document queues it for QuickBooks. Manual push: nothing goes until someone '
        'clicks "Push to QuickBooks" on the document.',
    )
    sync_invoices = fields.Boolean(string='Invoices', default=True, tracking=True)
    sync_credit_notes = fields.Boolean(string='Credit Notes', default=True, tracking=True)
    sync_payments = fields.Boolean(
        string='Payments',
        default=True,
        tracking=True,
        help='Customer payments and refunds paid out. (A credit note applied to an invoice goes with the credit note.)',
    )
    sync_bills = fields.Boolean(
        string='Vendor Bills',
        tracking=True,
        help='Vendor bills go to QuickBooks as Bills, vendor credit notes as Vendor Credits, their vendors as '
        'QuickBooks Vendors. Off by default: for companies that keep their purchases in QuickBooks.',
    )
    sync_bill_payments = fields.Boolean(
        string='Vendor Payments',
        compute='_compute_sync_bill_payments',
        store=True,
        readonly=False,
        tracking=True,
        help='Vendor payments go to QuickBooks as Bill Payments (by check, or by credit card from a credit card '
        'journal) linked to the bills and vendor credits they settle; with two-way sync, bill payments recorded in '
        'QuickBooks come back and reconcile the Odoo bills. Follows the vendor bills switch.',
    )
    sync_start_date = fields.Date(
        tracking=True, help='Documents dated before this day are not pushed. Lists (products, taxes, terms) always are.'
    )
    payment_method_line_ids = fields.Many2many(
        'account.payment.method.line',
        string='Payment Methods to Sync',
        help='Only customer payments made with these methods go to QuickBooks (refunds included); '
        'leave empty to send them all.',
    )
    line_mode = fields.Selection(
        [('individual', 'One line per Odoo line'), ('aggregated', 'One line per product and tax')],
        string='Invoice Lines',
        required=True,
        default='individual',
        tracking=True,
        help='Aggregated: lines of the same product, unit and tax go as one QuickBooks line (totals unchanged). '
        'Taxable documents of more than 750 lines, which QuickBooks refuses, are always aggregated.',
    )
    default_class_name = fields.Char(
        string='Default Class',
        tracking=True,
        help='The QuickBooks class put on every document (or every line, as the QuickBooks company tracks them), '
        'when the QuickBooks company tracks classes.',
    )
    refund_account_name = fields.Char(
        string='Refund Account',
        tracking=True,
        help='The QuickBooks Bank or Credit Card account refunds to customers are paid from. '
        'Empty: the bank account named like the refund\'s journal, else the first bank account.',
    )
    sub_customers = fields.Boolean(
        string='Child Contacts as Sub-customers',
        tracking=True,
        help='Documents of a contact (a person) of a company go to a QuickBooks sub-customer of the company\'s '
        'customer (billed with its parent). Off: they go to the company\'s customer. Documents already in QuickBooks '
        'keep their customer.',
    )
    unmatched_item_name = fields.Char(
        string='Item for Unmatched Lines',
        default=UNMATCHED_ITEM_NAME,
        tracking=True,
        help='The QuickBooks item (found by name, else created) that invoice lines without a product use.',
    )
    default_expense_account_name = fields.Char(
        string='Default Expense Account',
        tracking=True,
        help='The QuickBooks account bill lines without a product book to when no QuickBooks expense account is named '
        'like the line\'s Odoo account (its name, or its code and name). Empty: such a line fails, naming its account.',
    )
    default_income_account_name = fields.Char(
        string='Default Income Account',
        tracking=True,
        help='The QuickBooks income account new items book to when no QuickBooks income account is named like the '
        'product\'s income account in Odoo. Empty: "Sales" (or "Sales of Product Income", "Services", else the '
        'oldest income account).',
    )
    untaxed_tax_code_id = fields.Many2one(
        'qbo.tax.code',
        string='Tax Code for Untaxed Lines',
        tracking=True,
        check_company=True,
        ondelete='set null',
        domain="[('connection_id', '=', id), ('rate', '=', 0)]",
        help='Outside the US QuickBooks wants a tax code on every line: the one lines without tax take. '
        'Empty: a 0 % code of QuickBooks, preferably the one named "Exempt".',
    )
    tax_item_name = fields.Char(
        string='Tax Item',
        default=TAX_ITEM_NAME,
        tracking=True,
        help='The QuickBooks item (found by name, else created) under which taxes QuickBooks cannot carry as a tax '
        'code go as lines of their own: fixed amounts such as eco-fees and deposits, and the taxes marked so '
        'in the tax mapping.',
    )
    invoice_prefix = fields.Char(
        tracking=True,
        help='Put before the Odoo number to make the QuickBooks document number; '
        'QuickBooks allows 21 characters in all.',
    )
    receipts_paid_at_once = fields.Boolean(
        string='Invoices Paid at Once as Sales Receipts',
        tracking=True,
        help='An invoice settled in full by one customer payment of the same day goes as a QuickBooks sales receipt '
        '(the payment inside it, not a Payment of its own), and a credit note refunded in full the same day as a '
        'refund receipt. Other documents go as invoices and credit memos.',
    )
    # Set for good the first time receipts are switched on: only then may an attempt whose
    # answer was lost have made a receipt, and only then is one looked up (_qbo_drop_receipt).
    receipts_used = fields.Boolean(readonly=True, copy=False)
    # The call log is an audit trail: how long it is kept is for system administrators, as the
    # system parameter it replaces was.
    log_retention_days = fields.Integer(
        string='Call Log Retention (days)',
        default=const.LOG_RETENTION_DAYS_DEFAULT,
        groups='base.group_system',
        tracking=True,
        help='Calls to QuickBooks older than this many days are removed from the call log by the daily cleanup; '
        '0 keeps every call.',
    )

    # === What the settings above name, as found in QuickBooks: kept until the setting changes === #
    default_class_qbo_id = fields.Char(string='Default Class Id', readonly=True, copy=False)
    default_class_qbo_name = fields.Char(string='Default Class Found', readonly=True, copy=False)
    unmatched_item_qbo_id = fields.Char(string='Item for Unmatched Lines Id', readonly=True, copy=False)
    unmatched_item_qbo_name = fields.Char(string='Item for Unmatched Lines Found', readonly=True, copy=False)
    tax_item_qbo_id = fields.Char(string='Tax Item Id', readonly=True, copy=False)
    tax_item_qbo_name = fields.Char(string='Tax Item Found', readonly=True, copy=False)
    former_tax_item_ids = fields.One2many(
        'qbo.tax.item',
        'connection_id',
        string='Former Tax Items',
        readonly=True,
        help='The QuickBooks items taxes went under as lines before the tax item was named otherwise: their lines '
        'stay tax for the books check.',
    )
    tax_item_account_qbo_id = fields.Char(string='Tax Item Account Id', readonly=True, copy=False)
    tax_item_account_qbo_name = fields.Char(string='Tax Item Account', readonly=True, copy=False)
    expense_account_qbo_id = fields.Char(string='Default Expense Account Id', readonly=True, copy=False)
    expense_account_qbo_name = fields.Char(string='Default Expense Account Found', readonly=True, copy=False)
    income_account_qbo_id = fields.Char(string='Default Income Account Id', readonly=True, copy=False)
    income_account_qbo_name = fields.Char(string='Default Income Account Found', readonly=True, copy=False)
    refund_account_qbo_id = fields.Char(string='Refund Account Id', readonly=True, copy=False)
    refund_account_qbo_name = fields.Char(string='Refund Account Found', readonly=True, copy=False)
    refund_account_qbo_type = fields.Selection(
        [('Bank', 'Bank'), ('Credit Card', 'Credit Card')], string='Refund Account Type', readonly=True, copy=False
    )

    # === State === #
    state = fields.Selection(STATES, required=True, default='not_connected', readonly=True, copy=False, tracking=True)
    state_reason = fields.Text(readonly=True, copy=False)
    connected_at = fields.Datetime(readonly=True, copy=False)
    connected_by_id = fields.Many2one('res.users', readonly=True, copy=False)

    # === Tokens: system administrators only === #
    access_token = fields.Char(groups='base.group_system', copy=False)
    refresh_token = fields.Char(groups='base.group_system', copy=False)
    oauth_nonce = fields.Char(groups='base.group_system', copy=False)
    access_token_expires_at = fields.Datetime(readonly=True, copy=False)
    refresh_token_expires_at = fields.Datetime(readonly=True, copy=False)

    log_ids = fields.One2many('qbo.sync.log', 'connection_id')
    log_count = fields.Integer(compute='_compute_log_count')

    _company_unique = models.Constraint('UNIQUE(company_id)', 'A company connects to one QuickBooks company only.')
    _log_retention_days_positive = models.Constraint(
        'CHECK(log_retention_days >= 0)', 'The call log retention is a number of days (0 keeps every call).'
    )
    _realm_unique = models.UniqueIndex(
        "(realm_id) WHERE realm_id IS NOT NULL AND state IN ('connected', 'needs_reconnect')",
        'This QuickBooks company is already connected to another Odoo company.',
    )

    # Written by the addon itself (OAuth, token refresh, sync), never by a user: where the
    # tokens go and which books they open must not be redirected through the UI or RPC.
    _QBO_PROTECTED_FIELDS = frozenset(
        {
            'realm_id',
            'synced_realm_id',
            'state',
            'state_reason',
            'connected_at',
            'connected_by_id',
            'access_token',
            'refresh_token',
            'oauth_nonce',
            'access_token_expires_at',
            'refresh_token_expires_at',
            'qbo_company_name',
            'qbo_country_code',
            'qbo_currency_code',
            'qbo_multicurrency',
            'qbo_class_tracking',
            'qbo_class_per_line',
            'qbo_custom_txn_numbers',
            'qbo_automated_sales_tax',
            'default_class_qbo_id',
            'default_class_qbo_name',
            'unmatched_item_qbo_id',
            'unmatched_item_qbo_name',
            'tax_item_qbo_id',
            'tax_item_qbo_name',
            'former_tax_item_ids',
            'tax_item_account_qbo_id',
            'tax_item_account_qbo_name',
            'income_account_qbo_id',
            'income_account_qbo_name',
            'expense_account_qbo_id',
            'expense_account_qbo_name',
            'refund_account_qbo_id',
            'refund_account_qbo_name',
            'refund_account_qbo_type',
        }
    )
    # A setting naming a QuickBooks object -> the fields keeping what it was found to be, which
    # a new name makes stale.
    _QBO_RESOLVED_FIELDS = {
        'default_class_name': ('default_class_qbo_id', 'default_class_qbo_name'),
        'unmatched_item_name': ('unmatched_item_qbo_id', 'unmatched_item_qbo_name'),
        'tax_item_name': ('tax_item_qbo_id', 'tax_item_qbo_name'),
        'default_income_account_name': ('income_account_qbo_id', 'income_account_qbo_name'),
        'default_expense_account_name': ('expense_account_qbo_id', 'expense_account_qbo_name'),
        'refund_account_name': ('refund_account_qbo_id', 'refund_account_qbo_name', 'refund_account_qbo_type'),
    }
    # Changing where QuickBooks is changes who receives the secrets: system administrators only,
    # and the tokens of the old endpoint are forgotten.
    _QBO_ENDPOINT_FIELDS = frozenset({'environment', 'custom_base_url', 'client_id', 'client_secret'})
    # Which company's documents go to these books, and whether they go at all: a QuickBooks
    # administrator of two companies would otherwise send one company's documents to the
    # other's books. (Creating a connection is for system administrators too: the access rights.)
    _QBO_SYSTEM_FIELDS = frozenset({'company_id', 'active'})

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get('receipts_paid_at_once'):
                vals['receipts_used'] = True
        return super().create(vals_list)

    def write(self, vals):
        if (
            not self.env.su
            and not self.env.is_system()
            and self._QBO_PROTECTED_FIELDS.union(self._QBO_ENDPOINT_FIELDS, self._QBO_SYSTEM_FIELDS) & set(vals)
        ):
            raise AccessError(
                self.env._('Only system administrators can change how this company connects to QuickBooks.')
            )
        if 'company_id' in vals and self.sudo().filtered(
            lambda c: c.synced_realm_id and c.company_id.id != vals['company_id']
        ):
            # Its mappings, jobs and the documents already in QuickBooks belong to the company
            # that synced them.
            raise UserError(
                self.env._(
                    'This connection has written to a QuickBooks company: it stays with its Odoo company. '
                    'Connect the other company with a connection of its own.'
                )
            )
        if self._QBO_ENDPOINT_FIELDS & set(vals) and not self._QBO_PROTECTED_FIELDS & set(vals):
            moved = self.sudo().filtered(
                lambda c: (
                    c.state in ('connected', 'needs_reconnect')
                    and any(c[f] != vals[f] for f in self._QBO_ENDPOINT_FIELDS & set(vals))
                )
            )
            if moved:
                raise UserError(
                    self.env._(
                        'Disconnect from QuickBooks before changing the environment, the base URL or the app\'s keys.'
                    )
                )
        if vals.get('receipts_paid_at_once'):
            vals = dict(vals, receipts_used=True)
        stale = {
            connection: [
                name
                for setting, names in self._QBO_RESOLVED_FIELDS.items()
                if setting in vals and (connection[setting] or False) != (vals[setting] or False)
                for name in names
            ]
            for connection in self
        }
        result = super().write(vals)
        for connection, names in stale.items():
            conn = connection.sudo()
            former = conn.former_tax_item_ids.mapped('qbo_id')
            if 'tax_item_qbo_id' in names and conn.tax_item_qbo_id and conn.tax_item_qbo_id not in former:
                # The tax item named so far stays tax for the books check, among the former ones.
                self.env['qbo.tax.item'].sudo().create(
                    {'connection_id': conn.id, 'qbo_id': conn.tax_item_qbo_id, 'name': conn.tax_item_qbo_name or '?'}
                )
            if names:
                super(QboConnection, connection.sudo()).write(dict.fromkeys(names, False))
        return result

    @api.depends('log_ids')
    def _compute_log_count(self):
        counts = dict(
            self.env['qbo.sync.log']._read_group([('connection_id', 'in', self.ids)], ['connection_id'], ['__count'])
        )
        for connection in self:
            connection.log_count = counts.get(connection, 0)

    @api.constrains('environment', 'custom_base_url')
    def _check_custom_base_url(self):
        for connection in self:
            if connection.environment == 'custom' and not (connection.custom_base_url or '').startswith(
                ('http://', 'https://')
            ):
                raise UserError(self.env._('A custom environment needs a base URL starting with http:// or https://.'))

    # ------------------------------------------------------------------
    # Lookup
    # ------------------------------------------------------------------

    @api.model
    def _qbo_for_company(self, company, create=True):
        connection = self.with_context(active_test=False).search([('company_id', '=', company.id)], limit=1)
        if not connection and create:
            connection = self.create({'company_id': company.id})
        return connection

    def _qbo_syncs_move(self, move):
        """Whether this connection's settings send ``move`` on their own: its kind is switched
        on and its date is on or after the start date."""
        self.ensure_one()
        kind_on = {
            'out_invoice': self.sync_invoices,
            'out_refund': self.sync_credit_notes,
            'in_invoice': self.sync_bills,
            'in_refund': self.sync_bills,
        }.get(move.move_type)
        return kind_on and not (self.sync_start_date and (move.invoice_date or move.date) < self.sync_start_date)

    def _qbo_syncs_payment(self, payment):
        """Whether this connection's settings send ``payment`` on their own: payments are
        switched on, its date is on or after the start date, and its method is one of those
        chosen (any, when none is)."""
        self.ensure_one()
        methods = self.payment_method_line_ids
        return (
            self.sync_payments
            and not (self.sync_start_date and payment.date < self.sync_start_date)
            and (not methods or payment.payment_method_line_id in methods)
        )

    @api.depends('sync_bills')
    def _compute_sync_bill_payments(self):
        for connection in self:
            connection.sync_bill_payments = connection.sync_bills

    def _qbo_syncs_bill_payment(self, payment):
        """Whether this connection's settings send the vendor payment ``payment`` on their own:
        bills and vendor payments are switched on and it is dated on or after the start date."""
        self.ensure_one()
        return (
            self.sync_bills
            and self.sync_bill_payments
            and not (self.sync_start_date and payment.date < self.sync_start_date)
        )

    def _qbo_home_currency(self):
        """The QuickBooks company's home currency code (read at connect), else the Odoo company's."""
        self.ensure_one()
        return self.qbo_currency_code or self.company_id.currency_id.name

    def _qbo_class_ref(self, client):
        """The default class as a QuickBooks reference, or None when there is none to send
        (no default class, or the QuickBooks company does not track classes and would refuse it)."""
        self.ensure_one()
        if not self.default_class_name or not self.qbo_class_tracking:
            return None

        def find():
            found = client.query(f'SELECT * FROM Class WHERE Name = {qbo_quote(self.default_class_name)}')
            if not found:
                raise QboValidationError(
                    'class',
                    self.env._(
                        'QuickBooks has no class named "%(name)s": create it in QuickBooks or change the default class '
                        'in Settings.',
                        name=self.default_class_name,
                    ),
                )
            return found[0]

        return self._qbo_found_ref('default_class', find)

    def _qbo_found_ref(self, setting, find):
        """The QuickBooks reference of what ``setting`` names (the prefix of its ``*_qbo_id`` and
        ``*_qbo_name`` fields): as kept, else the object ``find()`` returns (found or created),
        kept from then on. None when ``find()`` returns nothing."""
        self.ensure_one()
        conn = self.sudo()
        id_field, name_field = f'{setting}_qbo_id', f'{setting}_qbo_name'
        if not conn[id_field]:
            found = find()
            if not found:
                return None
            conn._qbo_keep_found({id_field: str(found['Id']), name_field: found.get('Name')})
        return {'value': conn[id_field], 'name': conn[name_field]}

    def _qbo_tax_item_ids(self):
        """The QuickBooks ids of every item taxes were sent under as lines, current and former."""
        self.ensure_one()
        conn = self.sudo()
        return set(conn.former_tax_item_ids.mapped('qbo_id')) | (
            {conn.tax_item_qbo_id} if conn.tax_item_qbo_id else set()
        )

    def _qbo_keep_found(self, values):
        """Store ``values`` (what settings were found to be in QuickBooks) at once, in a cursor
        of its own: a job's transaction never writes the connection row, which a token refresh
        may commit to meanwhile, and what QuickBooks holds stays found whatever becomes of the job."""
        self.ensure_one()
        try:
            with self.env.registry.cursor() as cr:
                cr.execute("SELECT set_config('lock_timeout', %s, true)", [str(int(const.TOKEN_LOCK_TIMEOUT_MS))])
                self.with_env(self.env(cr=cr, su=True)).write(values)
        except psycopg2.Error:
            # Found all the same: used by this job, looked for again by the next one.
            _logger.exception('QuickBooks connection %s: could not keep %s', self.id, sorted(values))
        self.sudo()._update_cache(values)

    def _qbo_urls(self):
        self.ensure_one()
        if self.environment == 'custom':
            base = (self.custom_base_url or '').rstrip('/')
            return {
                'discovery': base + const.CUSTOM_DISCOVERY_PATH,
                'api': base + const.CUSTOM_API_PATH,
                'app': base + const.CUSTOM_APP_PATH,
            }
        return {
            'discovery': const.DISCOVERY_URLS[self.environment],
            'api': const.API_URLS[self.environment],
            'app': const.APP_URLS[self.environment],
        }

    def _qbo_client(self):
        """The client of the connected QuickBooks company: tokens renewed as needed, the realm
        bound by the first write, a refused authorization recorded (see QboClient)."""
        self.ensure_one()
        if self.state != 'connected':
            raise QboAuthError(
                'not_connected',
                self.env._(
                    'The company %(company)s is not connected to QuickBooks Online.', company=self.company_id.name
                ),
            )
        conn = self.sudo()
        return conn._qbo_build_client(
            realm_id=conn.realm_id,
            token_provider=conn._qbo_access_token,
            on_write=conn._qbo_bind_realm,
            on_auth_refused=conn._qbo_mark_needs_reconnect,
            pacer=self.env['qbo.realm.throttle']._qbo_pacer(conn.realm_id),
        )

    def _qbo_build_client(self, **api_options):
        """A client of this connection's Intuit app and endpoints, logging every call to its
        call log; ``api_options`` are QboClient's for the Accounting API (realm, tokens, callbacks)."""
        self.ensure_one()
        conn = self.sudo()
        urls = conn._qbo_urls()
        return QboClient(
            discovery_url=urls['discovery'],
            api_url=urls['api'],
            client_id=conn.client_id,
            client_secret=conn.client_secret,
            redirect_uri=conn.get_base_url().rstrip('/') + const.OAUTH_CALLBACK_PATH,
            recorder=self.env['qbo.sync.log']._qbo_recorder(conn),
            **api_options,
        )

    # ------------------------------------------------------------------
    # OAuth 2.0: connect, callback, disconnect
    # ------------------------------------------------------------------

    def _qbo_check_admin(self):
        self.check_access('write')
        if not self.env.user.has_group('qbo_connector.group_qbo_admin') or not self.env.is_system():
            raise AccessError(
                self.env._(
                    'Only a QuickBooks administrator who is also a system administrator can connect or disconnect '
                    'QuickBooks Online.'
                )
            )

    def _qbo_oauth_state(self):
        """A state bound to this connection and this user, signed, single-use (the nonce
        is stored and consumed by the callback), and short-lived."""
        self.ensure_one()
        nonce = secrets.token_urlsafe(16)
        issued = int(time.time())
        self.sudo().oauth_nonce = nonce
        message = (self.id, self.env.uid, nonce, issued)
        signature = odoo_hmac(self.env(su=True), 'qbo_connector_oauth', message)
        return f'{self.id}.{self.env.uid}.{nonce}.{issued}.{signature}'

    @api.model
    def _qbo_check_oauth_state(self, state):
        """Return the connection the state was issued for, or None when the state is forged,
        replayed, expired, or issued to another user. Constant-time comparisons."""
        try:
            connection_id, uid, nonce, issued, signature = (state or '').split('.')
            connection_id, uid, issued = int(connection_id), int(uid), int(issued)
        except ValueError:
            return None
        expected = odoo_hmac(self.env(su=True), 'qbo_connector_oauth', (connection_id, uid, nonce, issued))
        if not consteq(signature.encode(), expected.encode()) or uid != self.env.uid:
            return None
        if time.time() - issued > const.OAUTH_STATE_MAX_AGE_SECONDS:
            return None
        connection = self.sudo().browse(connection_id).exists()
        if not connection or not connection.oauth_nonce or not consteq(connection.oauth_nonce.encode(), nonce.encode()):
            return None
        connection.oauth_nonce = False
        return connection

    def action_connect(self):
        """Open Intuit's consent page for this connection."""
        self.ensure_one()
        self._qbo_check_admin()
        conn = self.sudo()
        if not conn.client_id or not conn.client_secret:
            raise UserError(self.env._('Enter the Client ID and Client Secret of your Intuit app first.'))
        try:
            url = conn._qbo_build_client().authorization_url(self._qbo_oauth_state())
        except QboError as exc:
            raise UserError(
                self.env._('Could not reach the QuickBooks sign-in service: %(error)s', error=exc.message)
            ) from exc
        return {'type': 'ir.actions.act_url', 'url': url, 'target': 'self'}

    def action_reconnect(self):
        return self.action_connect()

    def _qbo_exchange_code(self, code, realm_id):
        """Callback side: code -> tokens, read the company, check it fits, store all."""
        self.ensure_one()
        conn = self.sudo()
        client = conn._qbo_build_client()
        try:
            token_values = client.exchange_code(code, realm_id)
        except QboGrantError as exc:
            raise UserError(
                self.env._(
                    'QuickBooks refused the authorization (%(status)s). Start again from Connect.',
                    status=exc.http_status,
                )
            ) from exc
        except QboError as exc:
            raise UserError(exc.message) from exc
        # Read the company with the new token before anything is stored, so that a
        # company that does not fit leaves the connection as it was.
        try:
            info, prefs = _read_company(
                conn._qbo_build_client(realm_id=realm_id, access_token=token_values['access_token'])
            )
        except QboError as exc:
            raise UserError(
                self.env._('Connected, but QuickBooks would not show the company: %(error)s', error=exc.message)
            ) from exc
        values = conn._qbo_company_values(info, prefs)
        try:
            conn._qbo_check_company_fits(realm_id, values)
        except UserError:
            # Not keeping it: do not leave a live grant behind at Intuit.
            try:
                client.revoke(token_values['refresh_token'])
            except QboError:
                _logger.warning('QuickBooks: could not revoke the refused grant for realm %s', realm_id)
            raise
        conn.write(
            {
                **token_values,
                **values,
                'realm_id': realm_id,
                'state': 'connected',
                'state_reason': False,
                'connected_at': fields.Datetime.now(),
                'connected_by_id': self.env.uid,
            }
        )
        conn.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref('qbo_connector.mail_activity_type_qbo_reconnect')
        ).action_done()
        # Authorised again: the queue runs at once rather than at its next scheduled run; the jobs
        # the refusal paused are due already.
        self.env.ref('qbo_connector.ir_cron_qbo_process_jobs').sudo()._trigger()
        conn.message_post(
            body=self.env._(
                'Connected to the QuickBooks company %(name)s (realm %(realm)s).',
                name=values['qbo_company_name'],
                realm=realm_id,
            )
        )
        return conn

    @api.model
    def _qbo_company_values(self, info, prefs):
        currency_prefs = prefs.get('CurrencyPrefs', {})
        accounting = prefs.get('AccountingInfoPrefs', {})
        return {
            'qbo_company_name': info.get('CompanyName') or info.get('LegalName'),
            'qbo_country_code': (info.get('Country') or '').upper() or False,
            'qbo_currency_code': (currency_prefs.get('HomeCurrency') or {}).get('value') or False,
            'qbo_multicurrency': bool(currency_prefs.get('MultiCurrencyEnabled')),
            'qbo_class_tracking': bool(
                accounting.get('ClassTrackingPerTxn') or accounting.get('ClassTrackingPerTxnLine')
            ),
            'qbo_class_per_line': bool(accounting.get('ClassTrackingPerTxnLine'))
            and not accounting.get('ClassTrackingPerTxn'),
            'qbo_custom_txn_numbers': bool(prefs.get('SalesFormsPrefs', {}).get('CustomTxnNumbers')),
            'qbo_automated_sales_tax': bool(prefs.get('TaxPrefs', {}).get('PartnerTaxEnabled')),
        }

    def _qbo_check_company_fits(self, realm_id, values):
        """Refuse a QuickBooks company whose books cannot mirror this Odoo company's."""
        self.ensure_one()
        company = self.company_id
        if self.synced_realm_id and self.synced_realm_id != realm_id:
            raise UserError(
                self.env._(
                    'This Odoo company has already synchronised with the QuickBooks company %(old)s. '
                    'Reconnect to that company (you chose %(new)s), or, to start over with other books, '
                    'use Forget QuickBooks Company on the disconnected connection.',
                    old=self.qbo_company_name or self.synced_realm_id,
                    new=values['qbo_company_name'] or realm_id,
                )
            )
        if not values['qbo_currency_code'] or not values['qbo_country_code']:
            raise UserError(
                self.env._(
                    'QuickBooks did not say the home currency and country of %(name)s; they are needed to check '
                    'that its books can mirror %(company)s.',
                    name=values['qbo_company_name'] or realm_id,
                    company=company.name,
                )
            )
        other = self.sudo().search(
            [('id', '!=', self.id), ('realm_id', '=', realm_id), ('state', 'in', ('connected', 'needs_reconnect'))],
            limit=1,
        )
        if other:
            raise UserError(
                self.env._(
                    'The QuickBooks company %(name)s is already connected to the Odoo company %(other)s.',
                    name=values['qbo_company_name'] or realm_id,
                    other=other.company_id.name,
                )
            )
        if values['qbo_currency_code'] != company.currency_id.name:
            raise UserError(
                self.env._(
                    'The QuickBooks company %(name)s keeps its books in %(qbo)s, but %(company)s keeps them in '
                    '%(odoo)s. '
                    'Connect a QuickBooks company with the same home currency.',
                    name=values['qbo_company_name'],
                    qbo=values['qbo_currency_code'],
                    company=company.name,
                    odoo=company.currency_id.name,
                )
            )
        country = company.account_fiscal_country_id or company.country_id
        if country and values['qbo_country_code'] != country.code:
            raise UserError(
                self.env._(
                    'The QuickBooks company %(name)s is in %(qbo)s, but %(company)s is in %(odoo)s. '
                    'Connect a QuickBooks company of the same country.',
                    name=values['qbo_company_name'],
                    qbo=values['qbo_country_code'],
                    company=company.name,
                    odoo=country.code,
                )
            )

    def action_disconnect(self):
        """Revoke the grant at Intuit, then forget the tokens."""
        self.ensure_one()
        self._qbo_check_admin()
        conn = self.sudo()
        reason = self.env._('Disconnected by %(user)s.', user=self.env.user.name)
        if conn.refresh_token or conn.access_token:
            try:
                conn._qbo_build_client().revoke(conn.refresh_token or conn.access_token)
            except QboError as exc:
                # The user wants out: forget the tokens anyway and say the revoke failed.
                status = exc.http_status if isinstance(exc, QboGrantError) else exc.code
                reason = self.env._(
                    'Disconnected by %(user)s; QuickBooks did not confirm the revocation (%(status)s): '
                    'remove the app from the QuickBooks company\'s connected apps.',
                    user=self.env.user.name,
                    status=status,
                )
        conn.write(
            {
                'access_token': False,
                'refresh_token': False,
                'oauth_nonce': False,
                'access_token_expires_at': False,
                'refresh_token_expires_at': False,
                'state': 'disconnected',
                'state_reason': reason,
            }
        )
        conn.message_post(body=reason)
        return True

    def action_forget_books(self):
        """Unbind a disconnected connection from the QuickBooks company it synchronised with,
        forgetting which Odoo record is which QuickBooks object: the next connection may then
        be to other books (a new company, a fresh sandbox)."""
        self.ensure_one()
        self._qbo_check_admin()
        if self.state in ('connected', 'needs_reconnect'):
            raise UserError(self.env._('Disconnect first.'))
        conn = self.sudo()
        mappings = self.env['qbo.mapping'].sudo().search([('connection_id', '=', conn.id)])
        # Their documents are no longer in any QuickBooks company this connection knows.
        for model in set(mappings.mapped('res_model')) & {'account.move', 'account.payment'}:
            self.env[model].sudo().browse(
                mappings.filtered(lambda m, model=model: m.res_model == model).mapped('res_id')
            ).exists()._qbo_write_status({'qbo_sync_state': False, 'qbo_sync_error': False})
        mappings.unlink()
        for kept_list in ('qbo.tax.code', 'qbo.payment.method'):
            self.env[kept_list].sudo()._qbo_of_connection(conn).unlink()
        conn.former_tax_item_ids.unlink()
        # What waited for the old books must not go to the new ones.
        self.env['qbo.sync.job'].sudo().search(
            [
                ('connection_id', '=', conn.id),
                ('state', 'in', ('pending', 'failed')),
            ]
        )._qbo_set_state('cancelled', error_message=self.env._('The QuickBooks company was forgotten.'))
        conn.message_post(
            body=self.env._(
                'Links to the QuickBooks company %(name)s forgotten by %(user)s.',
                name=conn.qbo_company_name or conn.synced_realm_id,
                user=self.env.user.name,
            )
        )
        conn.write(
            {
                'synced_realm_id': False,
                'realm_id': False,
                'state': 'not_connected',
                'state_reason': False,
                **{name: False for names in self._QBO_RESOLVED_FIELDS.values() for name in names},
                'tax_item_account_qbo_id': False,
                'tax_item_account_qbo_name': False,
            }
        )
        return True

    def action_test_connection(self):
        self.ensure_one()
        try:
            info, prefs = _read_company(self._qbo_client())
        except QboError as exc:
            return _notification(self.env._('QuickBooks Online'), exc.message, 'danger')
        self.sudo().write(self._qbo_company_values(info, prefs))
        return _notification(
            self.env._('QuickBooks Online'), self.env._('Connected to %(name)s.', name=self.qbo_company_name), 'success'
        )

    def action_open_logs(self):
        self.ensure_one()
        action = self.env['ir.actions.act_window']._for_xml_id('qbo_connector.action_qbo_sync_log')
        action['domain'] = [('connection_id', '=', self.id)]
        return action

    # ------------------------------------------------------------------
    # Tokens
    # ------------------------------------------------------------------

    def _qbo_access_token(self, refused_token=None):
        """The access token to use and its expiry: the stored one while it stays good for a few
        more minutes, else a refreshed one (QboClient's token provider).

        The values read here may be stale (another process may have refreshed since this
        transaction began); that is harmless, because the refresh itself re-reads under lock.

        :param refused_token: the token QuickBooks just refused: refresh unless another
            process has already replaced it
        """
        self.ensure_one()
        conn = self.sudo()
        if not refused_token and conn.access_token and token_is_fresh(conn.access_token_expires_at):
            return conn.access_token, conn.access_token_expires_at
        return self._qbo_refresh_tokens(seen_access_token=refused_token)

    def _qbo_refresh_tokens(self, seen_access_token=None):
        """Refresh in an independent transaction, one process at a time.

        The row lock serialises refreshers; whoever waited re-reads the row and uses the
        token the other one obtained instead of refreshing again (which, with rotating
        refresh tokens, would kill the grant). The new tokens are committed at once in
        their own cursor, so a rollback of the caller's work cannot lose them.

        :param seen_access_token: the token QuickBooks just refused (401): refresh unless
            another process has already replaced it.
        :return: (access token, its expiry)
        """
        self.ensure_one()
        for _attempt in range(3):
            try:
                with self.env.registry.cursor() as cr:
                    return self.with_env(self.env(cr=cr, su=True))._qbo_refresh_tokens_locked(seen_access_token)
            except psycopg2.errors.SerializationFailure:
                # Our snapshot predates the other refresher's commit: look again.
                continue
            except psycopg2.errors.LockNotAvailable:
                break
        raise QboRetryableError(
            'token_lock',
            self.env._(
                'Another process is renewing the QuickBooks authorization of %(company)s; the work will be retried.',
                company=self.company_id.name,
            ),
        )

    def _qbo_refresh_tokens_locked(self, seen_access_token):
        cr = self.env.cr
        cr.execute("SELECT set_config('lock_timeout', %s, true)", [str(int(const.TOKEN_LOCK_TIMEOUT_MS))])
        cr.execute("SELECT id FROM qbo_connection WHERE id = %s FOR NO KEY UPDATE", [self.id])
        self.invalidate_recordset()
        if self.state != 'connected' or not self.refresh_token:
            raise QboAuthError(
                self.state,
                self.env._(
                    'The company %(company)s is not connected to QuickBooks Online (%(state)s).',
                    company=self.company_id.name,
                    state=dict(STATES)[self.state],
                ),
            )
        replaced = seen_access_token and self.access_token != seen_access_token
        still_good = not seen_access_token and token_is_fresh(self.access_token_expires_at)
        if replaced or still_good:
            return self.access_token, self.access_token_expires_at
        try:
            values = self._qbo_build_client().refresh(self.refresh_token)
        except QboGrantError as exc:
            reason = self.env._(
                'QuickBooks no longer accepts this connection\'s authorization (%(error)s). '
                'An administrator must reconnect.',
                error=exc.oauth_error,
            )
            self._qbo_set_needs_reconnect(reason)
            # Our own cursor (see _qbo_refresh_tokens): the raise below rolls it back, and
            # every worker must see that the connection needs a reconnect.
            cr.commit()  # pylint: disable=invalid-commit
            raise QboAuthError('invalid_grant', reason) from exc
        self.write(values)
        return values['access_token'], values['access_token_expires_at']

    @api.model
    def _cron_refresh_tokens(self):
        """Refresh every connection whose refresh token would otherwise near its end: a
        connection used rarely must not die of old age."""
        soon = fields.Datetime.now() + timedelta(days=const.REFRESH_TOKEN_RENEW_DAYS)
        for connection in self.sudo().search([('state', '=', 'connected'), ('refresh_token_expires_at', '<', soon)]):
            try:
                connection._qbo_refresh_tokens(seen_access_token=connection.access_token)
            except QboError as exc:
                _logger.warning('QuickBooks connection %s could not be kept alive: %s', connection.id, exc)

    def _qbo_bind_realm(self):
        """The first write to QuickBooks binds this connection to its realm (see
        synced_realm_id). Own cursor: the caller's transaction never writes the connection
        row, so it cannot collide with a token refresh committed meanwhile."""
        self.ensure_one()
        if self.synced_realm_id:
            return
        try:
            with self.env.registry.cursor() as cr:
                cr.execute("SELECT set_config('lock_timeout', %s, true)", [str(int(const.TOKEN_LOCK_TIMEOUT_MS))])
                cr.execute(
                    "UPDATE qbo_connection SET synced_realm_id = realm_id WHERE id = %s AND synced_realm_id IS NULL",
                    [self.id],
                )
        except psycopg2.Error:
            # The write in QuickBooks succeeded and must be returned; the binding is retried
            # with the next write.
            _logger.exception('QuickBooks connection %s: could not bind the realm', self.id)
        self.invalidate_recordset(['synced_realm_id'])

    def _qbo_mark_needs_reconnect(self, reason):
        """From the caller's side (a refused call): record it in an independent cursor."""
        self.ensure_one()
        try:
            with self.env.registry.cursor() as cr:
                cr.execute("SELECT set_config('lock_timeout', %s, true)", [str(int(const.TOKEN_LOCK_TIMEOUT_MS))])
                self.with_env(self.env(cr=cr, su=True))._qbo_set_needs_reconnect(reason)
        except psycopg2.Error:
            _logger.exception('QuickBooks connection %s: could not record that it needs a reconnect', self.id)

    def _qbo_set_needs_reconnect(self, reason):
        """Stop using the connection and tell the people who can reconnect it, once: of two
        workers refused at the same moment, only the one whose UPDATE changes the row notifies."""
        self.ensure_one()
        self.env.cr.execute(
            "UPDATE qbo_connection SET state = 'needs_reconnect', state_reason = %s, write_date = now() at time zone "
            "'UTC' "
            "WHERE id = %s AND state = 'connected' RETURNING id",
            [reason, self.id],
        )
        if not self.env.cr.fetchone():
            return
        self.invalidate_recordset(['state', 'state_reason'])
        _logger.warning(
            'QuickBooks connection %s of company %s needs a reconnect: %s', self.id, self.company_id.name, reason
        )
        self.message_post(body=reason)
        # Who can reconnect this company: system administrators who are QuickBooks administrators of it.
        system = self.env.ref('base.group_system').sudo().all_user_ids
        qbo = self.env.ref('qbo_connector.group_qbo_admin').sudo().all_user_ids
        admins = (system & qbo).filtered(lambda u: u.active and not u.share and self.company_id in u.company_ids)
        template = self.env.ref('qbo_connector.mail_template_qbo_needs_reconnect')
        template.with_context(qbo_reason=reason).send_mail(
            self.id, email_values={'recipient_ids': [Command.set(admins.partner_id.ids)]}
        )
        responsible = self.connected_by_id if self.connected_by_id in admins else admins[:1]
        if responsible:
            self.activity_schedule(
                'qbo_connector.mail_activity_type_qbo_reconnect',
                user_id=responsible.id,
                note=Markup('%s<br/><a href="%s" class="btn btn-primary">%s</a>')
                % (reason, self._qbo_reconnect_url(), self.env._('Reconnect')),
            )

    def _qbo_reconnect_url(self):
        return f'{self.get_base_url().rstrip("/")}/qbo/oauth/connect/{self.id}'

    # ------------------------------------------------------------------
    # The setup assistant (qbo.setup)
    # ------------------------------------------------------------------

    def action_open_setup(self):
        """The setup assistant of this connection, at the step its user left it."""
        self.ensure_one()
        return self.env['qbo.setup']._qbo_open_for(self)

    def _qbo_setup_after_connect(self):
        """Where Intuit's callback sends the user: back to the assistant when it was connecting
        from there (then at the pre-flight), else None."""
        self.ensure_one()
        setup = self.env['qbo.setup'].search([('connection_id', '=', self.id)], limit=1)
        if not setup or setup.step != 'connect':
            return None
        setup.step = 'preflight'
        return setup


def _read_company(client):
    return client.company_info(), client.preferences()


def _notification(title, message, kind):
    return {
        'type': 'ir.actions.client',
        'tag': 'display_notification',
        'params': {'title': title, 'message': message, 'type': kind, 'sticky': kind == 'danger'},
    }
