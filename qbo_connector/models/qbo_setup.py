"""The setup assistant (issue 11): one record per connection holding the step the user reached
and every choice made, so that *Continue later* resumes where the user stopped and *Cancel*
leaves the connection as it was: the choices reach the connection at *Start* only."""

import logging
from collections import defaultdict

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError

from .. import const
from ..exceptions import QboError
from ..tools.near_names import NameIndex
from .res_partner import in_currency, same_level

_logger = logging.getLogger(__name__)

STEPS = [
    ('connect', 'Connect'),
    ('preflight', 'Pre-flight'),
    ('choose', 'Recommended or Customize'),
    ('custom_sync', 'Direction and Schedule'),
    ('custom_invoices', 'Invoices, Items and Taxes'),
    ('custom_payments', 'Payments'),
    ('review', 'Review'),
    ('done', 'Started'),
]
CUSTOM_STEPS = ('custom_sync', 'custom_invoices', 'custom_payments')

# The connection's settings the assistant chooses: copied from the connection when the
# assistant opens, written back to it at Start.
CHOICES = (
    'sync_direction',
    'sync_mode',
    'sync_start_date',
    'sync_invoices',
    'sync_credit_notes',
    'sync_payments',
    'sync_bills',
    'sync_deposits',
    'sync_trust',
    'sync_writeoffs',
    'sync_billable',
    'sync_matters',
    'split_matters',
    'pull_payments',
    'pull_interval_minutes',
    'invoice_prefix',
    'line_mode',
    'unmatched_item_name',
    'tax_item_name',
    'default_class_name',
    'untaxed_tax_code_id',
    'refund_account_name',
    'receipts_paid_at_once',
    'payment_method_line_ids',
)
CREDENTIALS = ('environment', 'custom_base_url', 'client_id', 'client_secret')


class QboSetup(models.Model):
    _name = 'qbo.setup'
    _description = 'QuickBooks Setup Assistant'
    _check_company_auto = True
    _rec_name = 'connection_id'

    connection_id = fields.Many2one('qbo.connection', required=True, index=True, ondelete='cascade', readonly=True)
    company_id = fields.Many2one(related='connection_id.company_id', store=True, index=True)
    step = fields.Selection(STEPS, required=True, default='connect', readonly=True)
    mode = fields.Selection(
        [('recommended', 'Recommended settings'), ('customize', 'Customize')], readonly=True, copy=False
    )
    started_at = fields.Datetime(readonly=True, copy=False)

    # === Connect: the keys are kept here until Connect, so that Cancel leaves none behind === #
    environment = fields.Selection(
        [('production', 'Production'), ('sandbox', 'Sandbox'), ('custom', 'Custom base URL')],
        default='sandbox',
        groups='base.group_system',
    )
    custom_base_url = fields.Char(string='Custom Base URL', groups='base.group_system')
    client_id = fields.Char(string='Client ID', groups='base.group_system')
    client_secret = fields.Char(string='Client Secret', groups='base.group_system')
    connection_state = fields.Selection(related='connection_id.state', string='Status')
    qbo_company_name = fields.Char(related='connection_id.qbo_company_name')

    # === Pre-flight (read-only in QuickBooks) === #
    preflight_line_ids = fields.One2many('qbo.setup.preflight.line', 'setup_id', string='Pre-flight', readonly=True)
    preflight_at = fields.Datetime(string='Checked At', readonly=True, copy=False)
    preflight_reads = fields.Integer(
        string='QuickBooks Reads',
        readonly=True,
        help='The requests the pre-flight made to QuickBooks (each counts against its rate limit); all reads.',
    )
    preflight_pages = fields.Integer(string='Pages Read', readonly=True)
    preflight_progress = fields.Float(string='Progress', readonly=True, help='The share of the checks done, in %.')
    preflight_match_count = fields.Integer(compute='_compute_preflight_counts')
    preflight_duplicate_count = fields.Integer(compute='_compute_preflight_counts')
    preflight_linked_count = fields.Integer(compute='_compute_preflight_counts')
    preflight_clash_count = fields.Integer(compute='_compute_preflight_counts')
    preflight_unmapped_count = fields.Integer(compute='_compute_preflight_counts')

    # === The choices (the connection's fields of the same names) === #
    sync_direction = fields.Selection(
        [('two_way', 'Two-way'), ('push_only', 'One-way push')], string='Direction', default='two_way'
    )
    sync_mode = fields.Selection([('automatic', 'Automatic'), ('manual', 'Manual push')], default='automatic')
    sync_start_date = fields.Date(string='Start Date')
    all_unpaid = fields.Boolean(
        string='All Unpaid Invoices, Whatever Their Date',
        help='The initial sync also sends the invoices still open that are dated before the start date.',
    )
    sync_invoices = fields.Boolean(string='Invoices', default=True)
    sync_credit_notes = fields.Boolean(string='Credit Notes', default=True)
    sync_payments = fields.Boolean(string='Payments', default=True)
    sync_bills = fields.Boolean(string='Vendor Bills')
    # The bank side and matters (docs/bank-and-matters.md): off unless the firm needs them.
    sync_deposits = fields.Boolean(string='Bank Deposits')
    sync_trust = fields.Boolean(string='Trust Receipts')
    sync_writeoffs = fields.Boolean(string='Write-offs')
    sync_billable = fields.Boolean(string='Billable Hard Costs')
    sync_matters = fields.Boolean(string='Matters as Sub-customers')
    split_matters = fields.Boolean(string='Split Invoices by Matter')
    pull_payments = fields.Boolean(string='Payments Recorded in QuickBooks', default=True)
    pull_interval_minutes = fields.Integer(string='Pull Every (Minutes)', default=const.PULL_INTERVAL_MINUTES_DEFAULT)
    invoice_prefix = fields.Char()
    line_mode = fields.Selection(
        [('individual', 'One line per Odoo line'), ('aggregated', 'One line per product and tax')],
        string='Invoice Lines',
        default='individual',
    )
    unmatched_item_name = fields.Char(string='Item for Unmatched Lines')
    tax_item_name = fields.Char(string='Tax Item')
    default_class_name = fields.Char(string='Default Class')
    untaxed_tax_code_id = fields.Many2one(
        'qbo.tax.code',
        string='Tax Code for Untaxed Lines',
        ondelete='set null',
        domain="[('connection_id', '=', connection_id), ('rate', '=', 0)]",
    )
    refund_account_name = fields.Char(string='Refund Account')
    receipts_paid_at_once = fields.Boolean(string='Invoices Paid at Once as Sales Receipts')
    payment_method_line_ids = fields.Many2many(
        'account.payment.method.line',
        'qbo_setup_payment_method_line_rel',
        string='Payment Methods to Sync',
        domain="[('payment_type', '=', 'inbound')]",
        help='Empty: all of them.',
    )
    recommended_html = fields.Html(compute='_compute_recommended_html', sanitize=False)

    _connection_unique = models.Constraint('UNIQUE(connection_id)', 'A connection has one setup assistant.')

    # ------------------------------------------------------------------
    # Opening
    # ------------------------------------------------------------------

    @api.model
    def _qbo_open_for(self, connection):
        """The assistant of ``connection``, where its user left it (created with the
        connection's current settings the first time)."""
        connection.check_access('write')
        self._qbo_check_setup_rights()
        setup = self.search([('connection_id', '=', connection.id)], limit=1)
        if not setup:
            setup = self.create(self._qbo_values_from(connection))
        return setup._qbo_action()

    @api.model
    def _qbo_values_from(self, connection):
        values = {'connection_id': connection.id}
        for name in CHOICES:
            value = connection[name]
            if name == 'payment_method_line_ids':
                values[name] = [Command.set(value.ids)]
            else:
                values[name] = value.id if isinstance(value, models.BaseModel) else value
        if self.env.is_system():
            conn = connection.sudo()
            values.update({name: conn[name] for name in CREDENTIALS})
        values['step'] = 'preflight' if connection.state == 'connected' else 'connect'
        return values

    def _qbo_action(self):
        self.ensure_one()
        return {
            'type': 'ir.actions.act_window',
            'name': self.env._('QuickBooks Setup'),
            'res_model': 'qbo.setup',
            'res_id': self.id,
            'view_mode': 'form',
            'views': [(self.env.ref('qbo_connector.qbo_setup_view_form').id, 'form')],
            'target': 'current',
            'context': {'form_view_initial_mode': 'edit'},
        }

    def _qbo_check_setup_rights(self):
        if not self.env.user.has_group('qbo_connector.group_qbo_admin'):
            raise AccessError(self.env._('Only QuickBooks administrators can set up QuickBooks Online.'))
        if self:
            self.check_access('write')

    # ------------------------------------------------------------------
    # Moving between steps
    # ------------------------------------------------------------------

    def _qbo_steps(self):
        steps = [key for key, _label in STEPS]
        if self.mode != 'customize':
            steps = [step for step in steps if step not in CUSTOM_STEPS]
        return steps

    def action_back(self):
        self.ensure_one()
        self._qbo_check_setup_rights()
        steps = self._qbo_steps()
        if self.step in steps and steps.index(self.step) > 0 and self.step != 'done':
            self.step = steps[steps.index(self.step) - 1]
        return True

    def action_next(self):
        self.ensure_one()
        self._qbo_check_setup_rights()
        if self.step == 'connect' and self.connection_state != 'connected':
            raise UserError(self.env._('Connect to QuickBooks first.'))
        if self.step == 'preflight' and not self.preflight_at:
            raise UserError(self.env._('Run the pre-flight check first: it reads QuickBooks, it writes nothing.'))
        if self.step == 'choose':
            raise UserError(self.env._('Choose the recommended settings or Customize.'))
        steps = self._qbo_steps()
        if self.step in steps and self.step not in ('review', 'done'):
            self.step = steps[steps.index(self.step) + 1]
        return True

    def action_continue_later(self):
        """Everything is saved already (the step and the choices are this record's): back to
        where the user came from; opening the assistant again resumes at this step."""
        self.ensure_one()
        self._qbo_check_setup_rights()
        return self._qbo_settings_action()

    def action_cancel(self):
        """Forget the choices and the pre-flight: the connection keeps the settings it had."""
        self.ensure_one()
        self._qbo_check_setup_rights()
        action = self._qbo_settings_action()
        self.sudo().unlink()
        return action

    def _qbo_settings_action(self):
        action = self.env['ir.actions.act_window']._for_xml_id('base_setup.action_general_configuration')
        action['context'] = {'module': 'qbo_connector', 'bin_size': False}
        return action

    # ------------------------------------------------------------------
    # Step 1: Connect
    # ------------------------------------------------------------------

    def action_connect(self):
        """Give the connection the keys entered here, then Intuit's consent page (the
        connection's own OAuth flow); its callback brings the user back here."""
        self.ensure_one()
        self._qbo_check_setup_rights()
        connection = self.connection_id
        connection._qbo_check_admin()
        keys = {name: self.sudo()[name] for name in CREDENTIALS}
        conn = connection.sudo()
        changed = {name: value for name, value in keys.items() if value and conn[name] != value}
        if changed and conn.state != 'connected':
            conn.write(changed)
        self.sudo().client_secret = False
        return connection.action_connect()

    # ------------------------------------------------------------------
    # Step 2: Pre-flight
    # ------------------------------------------------------------------

    def action_run_preflight(self):
        self.ensure_one()
        self._qbo_check_setup_rights()
        self._qbo_preflight()
        return True

    def _qbo_preflight(self):
        """Read what QuickBooks holds (customers, invoices, credit memos, preferences, tax codes,
        payment methods: every list read in pages) and say how it meets Odoo's data. Nothing is
        written to QuickBooks; the reads are counted."""
        self.ensure_one()
        connection = self.connection_id
        client = connection._qbo_client()
        # Every request is counted as it is made (and still logged): the call log's rows are
        # committed by cursors of their own, which this transaction may not see.
        requested = []
        logged = client._recorder
        sections = (
            (self._qbo_preflight_customers, self.env._('Customers')),
            # Before the documents: whether QuickBooks takes Odoo's numbers decides what a clash is.
            (self._qbo_preflight_preferences, self.env._('Preferences')),
            (self._qbo_preflight_documents, self.env._('Invoices and credit memos')),
            (self._qbo_preflight_taxes, self.env._('Taxes')),
            (self._qbo_preflight_payment_methods, self.env._('Payment methods')),
        )
        now = {'done': 0, 'section': sections[0][1]}

        def count(method, url, *args):
            requested.append(url)
            if logged:
                logged(method, url, *args)
            self._qbo_preflight_report(100.0 * now['done'] / len(sections), now['section'], len(requested))

        client._recorder = count
        self.preflight_line_ids.sudo().unlink()
        lines = []
        context = {}
        try:
            for done, (section, label) in enumerate(sections):
                now.update(done=done, section=label)
                lines += section(connection, client, context)
        except QboError as exc:
            raise UserError(
                self.env._('The pre-flight could not read QuickBooks: %(error)s', error=exc.message)
            ) from exc
        self.env['qbo.setup.preflight.line'].sudo().create([{**values, 'setup_id': self.id} for values in lines])
        self.write(
            {
                'preflight_at': fields.Datetime.now(),
                'preflight_reads': len(requested),
                'preflight_pages': len([url for url in requested if '/query' in url]),
                'preflight_progress': 100.0,
            }
        )
        _logger.info(
            'QuickBooks pre-flight of connection %s: %s findings in %s reads', connection.id, len(lines), len(requested)
        )

    def _qbo_preflight_report(self, progress, section, reads):
        """Tell the user's browser how far the running pre-flight is (the assistant's live
        progress bar, widget qbo_preflight_live): after each read of QuickBooks, the section
        being read and the reads so far. Sent on the bus from a cursor of its own, committed at
        once: this transaction commits only when the pre-flight is over."""
        payload = {'setup_id': self.id, 'progress': round(progress, 1), 'section': section, 'reads': reads}
        with self.env.registry.cursor() as cr:
            partner = self.env(cr=cr)['res.partner'].browse(self.env.user.partner_id.id)
            partner._bus_send('qbo_connector/preflight_progress', payload)

    def _qbo_customers_of_odoo(self):
        company = self.company_id
        return self.env['res.partner'].search(
            [
                ('company_id', 'in', [False, company.id]),
                ('parent_id', '=', False),
                '|',
                ('customer_rank', '>', 0),
                ('invoice_ids.company_id', '=', company.id),
            ]
        )

    def _qbo_preflight_customers(self, connection, client, context):
        """Each Odoo customer against QuickBooks' customers: the one it will be linked to (same
        email, else same name), and the possible duplicates a person should decide on first.
        A partner bound already (an earlier sync, a decision) is no finding: its customers are
        what its documents are compared with."""
        customers = client.query_all('SELECT * FROM Customer')
        mappings = (
            self.env['qbo.mapping']
            .sudo()
            .search([('connection_id', '=', connection.id), ('qbo_entity', '=', 'Customer')])
        )
        mapped = set(mappings.mapped('qbo_id'))
        links = defaultdict(set)  # partner id -> the QuickBooks customers its documents may name
        for mapping in mappings.filtered(lambda m: m.res_model == 'res.partner' and m.role == 'record'):
            links[mapping.res_id].add(mapping.qbo_id)
        # What the push would link a partner to (res.partner._qbo_find_party): a top-level customer
        # in the home currency that no record is bound to (QuickBooks answers active ones only).
        free = [
            c
            for c in customers
            if str(c['Id']) not in mapped and same_level(c, None) and in_currency(connection, c, None)
        ]
        claimed, lines = set(), []

        def email_of(customer):
            return ((customer.get('PrimaryEmailAddr') or {}).get('Address') or '').strip()

        # Looked up, not scanned: thousands of customers on each side (benchmarks/preflight_names.py).
        by_email = NameIndex(free, email_of)
        by_name = NameIndex(free, lambda customer: customer.get('DisplayName'))

        def first_free(found):
            return next((c for c in found if c['Id'] not in claimed), None)

        partners = self._qbo_customers_of_odoo().filtered(lambda p: p.id not in links)
        for partner in partners:
            email = (partner.email or '').strip()
            match = first_free(by_email.same(email)) if email else None
            if match:
                kind, note = 'customer_match', self.env._('Same email: will be linked, not created again.')
            else:
                match = first_free(by_name.same(partner.name))
                if match and email and email_of(match):
                    kind, note = (
                        'customer_duplicate',
                        self.env._(
                            'Same name, other email (%(qbo)s in QuickBooks, %(odoo)s in Odoo): it would be linked by '
                            'its name; merge or rename one of them first if they are not the same customer.',
                            qbo=email_of(match),
                            odoo=email,
                        ),
                    )
                elif match:
                    kind, note = 'customer_match', self.env._('Same name: will be linked, not created again.')
            if match:
                claimed.add(match['Id'])
                links[partner.id].add(str(match['Id']))
                lines.append(self._qbo_line(kind, partner, match, note))
            for other in by_name.near(partner.name):
                if other is not match:
                    lines.append(
                        self._qbo_line(
                            'customer_duplicate',
                            partner,
                            other,
                            self.env._(
                                'Near-identical name: the same customer written another way? Decide: linked if '
                                'it is, else Odoo creates a customer of its own.'
                            ),
                        )
                        | {'decision': 'separate'}
                    )
        context['customer_links'] = dict(links)
        return lines

    def _qbo_preflight_documents(self, connection, client, context):
        """Odoo's posted invoices and credit notes whose QuickBooks number is taken: linked when
        the QuickBooks document has the same customer and total, a clash otherwise — only when
        QuickBooks takes Odoo's numbers (custom transaction numbers on): otherwise Odoo sends no
        number, and a document numbered alike by QuickBooks is in nobody's way."""
        lines = []
        custom_numbers = context.get('custom_numbers', True)
        links = context.get('customer_links', {})
        mapped_moves = set(
            self.env['qbo.mapping']
            .sudo()
            .search([('connection_id', '=', connection.id), ('res_model', '=', 'account.move')])
            .mapped('res_id')
        )
        for move_type, entity in (('out_invoice', 'Invoice'), ('out_refund', 'CreditMemo')):
            moves = self.env['account.move'].search(
                [('company_id', '=', self.company_id.id), ('move_type', '=', move_type), ('state', '=', 'posted')]
            )
            moves = moves.filtered(lambda m: m.id not in mapped_moves)
            if not moves:
                continue
            by_number = {}
            for document in client.query_all(f'SELECT * FROM {entity}'):
                if document.get('DocNumber'):
                    by_number.setdefault(document['DocNumber'].casefold(), []).append(document)
            prefix = self.invoice_prefix or ''
            for move in moves:
                number = f'{prefix}{move.name}'
                for document in by_number.get(number.casefold(), []):
                    reasons = []
                    customer_id = str((document.get('CustomerRef') or {}).get('value'))
                    if customer_id not in links.get(move.commercial_partner_id.id, ()):
                        reasons.append(
                            self.env._(
                                'customer %(qbo)s in QuickBooks, %(odoo)s in Odoo',
                                qbo=(document.get('CustomerRef') or {}).get('name') or customer_id,
                                odoo=move.commercial_partner_id.name,
                            )
                        )
                    if move.currency_id.compare_amounts(float(document.get('TotalAmt') or 0.0), move.amount_total):
                        reasons.append(
                            self.env._(
                                'total %(qbo)s in QuickBooks, %(odoo)s in Odoo',
                                qbo=document.get('TotalAmt'),
                                odoo=move.amount_total,
                            )
                        )
                    if reasons and not custom_numbers:
                        continue
                    if reasons:
                        note = self.env._(
                            'Number %(number)s is taken in QuickBooks by another document: %(reasons)s. '
                            'It will not be sent until this is resolved.',
                            number=number,
                            reasons='; '.join(reasons),
                        )
                        lines.append(self._qbo_line('document_clash', move, document, note, entity=entity))
                    else:
                        note = self.env._('Same number, customer and total: linked, not sent again.')
                        lines.append(self._qbo_line('document_linked', move, document, note, entity=entity))
        return lines

    def _qbo_preflight_preferences(self, connection, client, context):
        info, prefs = client.company_info(), client.preferences()
        values = connection._qbo_company_values(info, prefs)
        context['custom_numbers'] = values['qbo_custom_txn_numbers']
        country = self.company_id.account_fiscal_country_id or self.company_id.country_id
        yes, no = self.env._('On'), self.env._('Off')
        rows = [
            (
                self.env._('Home currency and country'),
                f'{values["qbo_currency_code"]} / {values["qbo_country_code"]}',
                self.env._(
                    'Must be %(currency)s / %(country)s, as the Odoo company: amounts are sent in the home currency.',
                    currency=self.company_id.currency_id.name,
                    country=country.code or '?',
                ),
            ),
            (
                self.env._('Multicurrency'),
                yes if values['qbo_multicurrency'] else no,
                self.env._('On: documents in other currencies go with their currency and rate.')
                if values['qbo_multicurrency']
                else self.env._('Off: only documents in the home currency can be sent.'),
            ),
            (
                self.env._('Custom transaction numbers'),
                yes if values['qbo_custom_txn_numbers'] else no,
                self.env._('On: QuickBooks documents carry the Odoo numbers (with the prefix).')
                if values['qbo_custom_txn_numbers']
                else self.env._('Off: QuickBooks numbers documents itself; Odoo\'s number goes in the memo.'),
            ),
            (
                self.env._('Class tracking'),
                yes if values['qbo_class_tracking'] else no,
                self.env._('On: a default class may be put on every document.')
                if values['qbo_class_tracking']
                else self.env._('Off: the default class is not sent.'),
            ),
            (
                self.env._('Automated sales tax'),
                yes if values['qbo_automated_sales_tax'] else no,
                self.env._('On: QuickBooks computes US sales tax itself; the books check compares totals.')
                if values['qbo_automated_sales_tax']
                else self.env._('Off: each Odoo tax maps to a QuickBooks tax code.'),
            ),
        ]
        return [
            {'kind': 'preference', 'name': name, 'qbo_name': value, 'note': meaning} for name, value, meaning in rows
        ]

    def _qbo_preflight_taxes(self, connection, client, context):
        codes = self.env['qbo.tax.code'].sudo()._qbo_refresh(connection, client)
        mapped = set(
            self.env['qbo.mapping']
            .sudo()
            .search([('connection_id', '=', connection.id), ('res_model', '=', 'account.tax')])
            .mapped('res_id')
        )
        taxes = self.env['account.tax'].search(
            [('company_id', '=', self.company_id.id), ('type_tax_use', '=', 'sale'), ('active', '=', True)]
        )
        lines = []
        for tax in taxes.filtered(lambda t: t.id not in mapped and not t.qbo_as_line):
            rate = tax._qbo_rate()
            code = codes._qbo_suggest(rate, tax.name) if rate is not None else codes.browse()
            note = (
                self.env._('Not mapped yet; QuickBooks\' %(code)s has its rate and will be taken.', code=code.name)
                if code
                else self.env._('Not mapped, and no QuickBooks tax code has its rate: map it in the tax mapping.')
            )
            lines.append(
                {
                    'kind': 'tax_unmapped',
                    'res_model': 'account.tax',
                    'res_id': tax.id,
                    'name': tax.name,
                    'qbo_name': code.name or False,
                    'note': note,
                }
            )
        return lines

    def _qbo_preflight_payment_methods(self, connection, client, context):
        methods = self.env['qbo.payment.method'].sudo()._qbo_refresh(connection, client)
        method_lines = methods._qbo_method_lines(self.company_id)
        lines = []
        for line, (stored, named) in methods._qbo_forward_choices(connection, method_lines).items():
            if stored:
                continue
            note = (
                self.env._('Not mapped yet; QuickBooks\' method of the same name will be taken.')
                if named
                else self.env._('Not mapped: a QuickBooks method of its name is created with its first payment.')
            )
            lines.append(
                {
                    'kind': 'method_unmapped',
                    'res_model': 'account.payment.method.line',
                    'res_id': line.id,
                    'name': f'{line.journal_id.name}: {line.name}',
                    'qbo_name': named.name or False,
                    'note': note,
                }
            )
        return lines

    @api.model
    def _qbo_line(self, kind, record, qbo_object, note, entity='Customer'):
        return {
            'kind': kind,
            'res_model': record._name,
            'res_id': record.id,
            'name': record.display_name,
            'qbo_entity': entity,
            'qbo_id': str(qbo_object['Id']),
            'qbo_name': qbo_object.get('DisplayName') or qbo_object.get('DocNumber'),
            'note': note,
        }

    @api.depends('preflight_line_ids.kind')
    def _compute_preflight_counts(self):
        for setup in self:
            kinds = setup.preflight_line_ids.mapped('kind')
            setup.preflight_match_count = kinds.count('customer_match')
            setup.preflight_duplicate_count = kinds.count('customer_duplicate')
            setup.preflight_linked_count = kinds.count('document_linked')
            setup.preflight_clash_count = kinds.count('document_clash')
            setup.preflight_unmapped_count = kinds.count('tax_unmapped') + kinds.count('method_unmapped')

    # ------------------------------------------------------------------
    # Step 3: Recommended or Customize
    # ------------------------------------------------------------------

    def _qbo_recommended_values(self):
        """Every choice with the default a newcomer should take (see docs/setup.md)."""
        self.ensure_one()
        company = self.company_id
        connection = self.connection_id
        fiscal_year = company.compute_fiscalyear_dates(fields.Date.context_today(self))
        return {
            'sync_direction': 'two_way',
            'sync_mode': 'automatic',
            'sync_start_date': fiscal_year['date_from'],
            'all_unpaid': False,
            'sync_invoices': True,
            'sync_credit_notes': True,
            'sync_payments': True,
            'sync_bills': True,
            'sync_deposits': False,
            'sync_trust': False,
            'sync_writeoffs': False,
            'sync_billable': False,
            'sync_matters': False,
            'split_matters': False,
            'pull_payments': True,
            'pull_interval_minutes': connection._fields['pull_interval_minutes'].default(connection),
            'invoice_prefix': False,
            'line_mode': 'individual',
            'unmatched_item_name': connection._fields['unmatched_item_name'].default(connection),
            'tax_item_name': connection._fields['tax_item_name'].default(connection),
            'default_class_name': False,
            'untaxed_tax_code_id': False,
            'refund_account_name': False,
            'receipts_paid_at_once': False,
            'payment_method_line_ids': [Command.clear()],
        }

    @api.depends('company_id')
    def _compute_recommended_html(self):
        for setup in self:
            rows = [
                self.env._('Two-way: Odoo sends its documents; payments recorded in QuickBooks come back.'),
                self.env._('Start date: the first day of the current fiscal year, so the year\'s books agree in both.'),
                self.env._('Every kind of document: invoices, credit notes, payments and vendor bills.'),
                self.env._(
                    'Automatic: a document goes when it is posted; changes are pulled every %(minutes)s minutes.',
                    minutes=const.PULL_INTERVAL_MINUTES_DEFAULT,
                ),
                self.env._('No default class and no tax code for untaxed lines: QuickBooks\' own defaults apply.'),
                self.env._(
                    'The item for lines without a product and the item for taxes sent as lines are created in '
                    'QuickBooks when first needed.'
                ),
                self.env._('All payment methods; each maps to the QuickBooks method of its name.'),
                self.env._('One QuickBooks line per Odoo line, numbers as in Odoo (no prefix).'),
            ]
            setup.recommended_html = Markup('<ul>%s</ul>') % Markup().join(Markup('<li>%s</li>') % row for row in rows)

    def action_recommended(self):
        self.ensure_one()
        self._qbo_check_setup_rights()
        self.write({**self._qbo_recommended_values(), 'mode': 'recommended', 'step': 'review'})
        return True

    def action_customize(self):
        self.ensure_one()
        self._qbo_check_setup_rights()
        values = {'mode': 'customize', 'step': CUSTOM_STEPS[0]}
        if not self.sync_start_date:
            values['sync_start_date'] = self._qbo_recommended_values()['sync_start_date']
        self.write(values)
        return True

    def action_open_tax_mapping(self):
        self.ensure_one()
        self._qbo_check_setup_rights()
        return self.env['qbo.tax.mapping']._qbo_open_for(self.connection_id)

    def action_open_payment_method_mapping(self):
        self.ensure_one()
        self._qbo_check_setup_rights()
        return self.env['qbo.payment.method.mapping']._qbo_open_for(self.connection_id)

    # ------------------------------------------------------------------
    # Step 4: Review
    # ------------------------------------------------------------------

    def action_print(self):
        self.ensure_one()
        self._qbo_check_setup_rights()
        return self.env.ref('qbo_connector.action_report_qbo_setup').report_action(self)

    def _qbo_review_rows(self):
        """(label, value) of every choice, as the review page and its report show them."""
        self.ensure_one()
        rows = []
        for name in ('mode', 'all_unpaid', *CHOICES):
            field = self._fields[name]
            value = self[name]
            if field.type == 'selection':
                value = dict(field._description_selection(self.env)).get(value, '')
            elif field.type == 'boolean':
                value = self.env._('Yes') if value else self.env._('No')
            elif field.type in ('many2one', 'many2many'):
                value = ', '.join(value.mapped('display_name')) or (
                    self.env._('All') if name == 'payment_method_line_ids' else self.env._('None')
                )
            elif field.type == 'date':
                value = fields.Date.to_string(value) if value else self.env._('None')
            else:
                value = value if value not in (False, None, '') else self.env._('None')
            rows.append((field._description_string(self.env), str(value)))
        return rows

    # ------------------------------------------------------------------
    # Step 5: Start
    # ------------------------------------------------------------------

    def _qbo_link_decided_customers(self):
        """The possible duplicates the user called the same customer are linked to it (found, not
        created: an undo never touches them), so that the initial sync sends their documents to
        it; nothing is written to QuickBooks."""
        mappings = self.env['qbo.mapping'].sudo()
        for line in self.preflight_line_ids.filtered(lambda line: line.decision == 'link'):
            partner = self.env['res.partner'].browse(line.res_id).exists()
            if partner and not mappings._qbo_find(self.connection_id, partner, 'Customer'):
                mappings._qbo_link(
                    self.connection_id,
                    partner,
                    'Customer',
                    {'Id': line.qbo_id, 'DisplayName': line.qbo_name},
                    origin='found',
                )

    def action_start(self):
        """Write the choices to the connection, then start the initial sync."""
        self.ensure_one()
        self._qbo_check_setup_rights()
        if self.step != 'review':
            raise UserError(self.env._('Review the choices before starting.'))
        connection = self.connection_id
        if connection.state != 'connected':
            raise UserError(self.env._('Connect to QuickBooks first.'))
        values = {}
        for name in CHOICES:
            value = self[name]
            if name == 'payment_method_line_ids':
                values[name] = [Command.set(value.ids)]
            elif isinstance(value, models.BaseModel):
                values[name] = value.id
            else:
                values[name] = value
        connection.write(values)
        self._qbo_link_decided_customers()
        self.write({'step': 'done', 'started_at': fields.Datetime.now()})
        connection._qbo_initial_sync_start(all_unpaid=self.all_unpaid)
        connection.message_post(
            body=self.env._(
                'Set up with the assistant (%(mode)s) by %(user)s.', mode=self.mode, user=self.env.user.name
            )
        )
        return True


class QboSetupPreflightLine(models.Model):
    _name = 'qbo.setup.preflight.line'
    _description = 'QuickBooks Setup Pre-flight Finding'
    _order = 'sequence, id'

    setup_id = fields.Many2one('qbo.setup', required=True, index=True, ondelete='cascade')
    company_id = fields.Many2one(related='setup_id.company_id', store=True)
    sequence = fields.Integer(compute='_compute_sequence', store=True)
    kind = fields.Selection(
        [
            ('customer_match', 'Customer to link'),
            ('customer_duplicate', 'Possible duplicate'),
            ('document_linked', 'Document to link'),
            ('document_clash', 'Number clash'),
            ('preference', 'QuickBooks preference'),
            ('tax_unmapped', 'Tax not mapped'),
            ('method_unmapped', 'Payment method not mapped'),
        ],
        required=True,
    )
    res_model = fields.Char(string='Odoo Model')
    res_id = fields.Many2oneReference(model_field='res_model', string='Odoo Record')
    name = fields.Char(string='In Odoo')
    qbo_entity = fields.Char(string='QuickBooks Entity')
    qbo_id = fields.Char(string='QuickBooks Id')
    qbo_name = fields.Char(string='In QuickBooks')
    note = fields.Char(string='What It Means')
    # A customer of a near-identical name: the user decides, before anything is written, whether
    # it is the same customer (linked at Start) or another one (Odoo then creates its own).
    decision = fields.Selection(
        [('link', 'Same customer: link'), ('separate', 'Another customer')], string='Decision', readonly=True
    )

    @api.depends('kind')
    def _compute_sequence(self):
        order = [key for key, _label in self._fields['kind'].selection]
        for line in self:
            line.sequence = order.index(line.kind) if line.kind in order else 99

    def action_decide_link(self):
        return self._qbo_decide('link')

    def action_decide_separate(self):
        return self._qbo_decide('separate')

    def _qbo_decide(self, decision):
        """The user's answer to a possible duplicate, kept until Start (which links the customer
        when it is the same one); changeable until then."""
        self.setup_id._qbo_check_setup_rights()
        lines = self.filtered(lambda line: line.decision)
        if lines.setup_id.filtered(lambda setup: setup.step == 'done'):
            raise UserError(self.env._('The setup has started: link or unlink customers from the connection instead.'))
        lines.sudo().decision = decision
        return True
