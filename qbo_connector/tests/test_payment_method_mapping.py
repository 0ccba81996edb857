"""The payment method mapping screen, used as a person uses it: opened from the QuickBooks
menu, a connection or Settings; an Odoo payment method pointed at a QuickBooks one; the
payments pushed from then on go with it; and, the other way, the Odoo payment method a
payment recorded in QuickBooks with a method will be registered with."""

from urllib.parse import unquote_plus

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .test_push_invoice import QboPushCommon


@tagged('post_install', '-at_install')
class TestPaymentMethodMapping(QboPushCommon):
    """A US company on Sandbox Company US, whose payment methods are Cash, Check, Visa and
    MasterCard; Odoo's bank and cash journals each have a "Manual Payment" method."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The accountant of these tests administers QuickBooks, as the one who maps does.
        cls.env.user.group_ids |= cls.env.ref('qbo_connector.group_qbo_admin')
        cls.bank = cls.company_data['default_journal_bank']
        cls.cash = cls.company_data['default_journal_cash']
        cls.bank_manual = cls.bank.inbound_payment_method_line_ids[:1]
        cls.cash_manual = cls.cash.inbound_payment_method_line_ids[:1]

    # -- helpers ---------------------------------------------------------------

    def _open_mapping(self, connection=None, user=None):
        """The screen as the QuickBooks menu (no connection given: the current company's) or
        a connection's Payment Method Mapping button opens it."""
        action = self.env.ref('qbo_connector.action_qbo_payment_method_mapping')
        if user:
            action = action.with_user(user)
        if connection:
            action = action.with_context(
                active_model='qbo.connection', active_id=connection.id, active_ids=connection.ids
            )
        opened = action.run()
        self.assertEqual((opened['res_model'], opened['view_mode']), ('qbo.payment.method.mapping', 'form'))
        return self.env['qbo.payment.method.mapping'].with_user(user or self.env.user).browse(opened['res_id'])

    def _line(self, mapping, method_line):
        (line,) = mapping.line_ids.filtered(lambda line: line.method_line_id == method_line)
        return line

    def _reverse(self, mapping, method):
        (reverse,) = mapping.reverse_ids.filtered(lambda reverse: reverse.qbo_payment_method_id == method)
        return reverse

    def _choose(self, mapping, forward=None, back=None):
        """Edit the screen as its form does — ``forward`` {Odoo line: QuickBooks method},
        ``back`` {QuickBooks method: Odoo line} — then Save Mapping."""
        with Form(mapping) as form:
            for index, line in enumerate(mapping.line_ids):
                if line.method_line_id in (forward or {}):
                    with form.line_ids.edit(index) as row:
                        row.qbo_payment_method_id = forward[line.method_line_id]
            for index, reverse in enumerate(mapping.reverse_ids):
                if reverse.qbo_payment_method_id in (back or {}):
                    with form.reverse_ids.edit(index) as row:
                        row.method_line_id = back[reverse.qbo_payment_method_id]
        mapping.action_save()

    def _method(self, name):
        return self.env['qbo.payment.method'].search([('connection_id', '=', self.connection.id), ('name', '=', name)])

    def _qbo_method_of(self, payment):
        qbo_payment = next(p for p in self._qbo('Payment') if p['Id'] == payment.qbo_id)
        return next(m for m in self._qbo('PaymentMethod') if m['Id'] == qbo_payment['PaymentMethodRef']['value'])

    def _pay(self, invoice, journal, amount):
        return self._register_payment(
            invoice,
            amount=amount,
            journal_id=journal.id,
            payment_method_line_id=journal.inbound_payment_method_line_ids[:1].id,
        )

    def _payment_method_calls(self, since):
        """The calls to QuickBooks about payment methods since the call log row ``since``."""
        self.connection.invalidate_recordset()
        return (self.connection.log_ids - since).filtered(
            lambda log: (
                '/paymentmethod' in log.endpoint.lower()
                or 'from paymentmethod' in unquote_plus(f'{log.endpoint} {log.request_body or ""}').lower()
            )
        )

    # -- Odoo to QuickBooks ----------------------------------------------------

    def test_mapped_method_goes_without_a_request(self):
        self.bank.name = 'Checking'  # deposited to QuickBooks' Checking, matched once
        mapping = self._open_mapping(self.connection)
        journals = self.env['account.journal'].search(
            [('company_id', '=', self.company.id), ('type', 'in', ('bank', 'cash', 'credit'))]
        )
        self.assertEqual(
            set(mapping.line_ids.method_line_id),
            set(journals.inbound_payment_method_line_ids),
            'every method customers pay with, and only those',
        )
        self.assertIn(self.bank_manual, mapping.line_ids.method_line_id)
        self.assertIn(self.cash_manual, mapping.line_ids.method_line_id)
        self.assertEqual(
            {m.name for m in self.env['qbo.payment.method'].search([])},
            {'Cash', 'Check', 'Visa', 'MasterCard'},
            "QuickBooks' methods, read when the screen opened",
        )
        line = self._line(mapping, self.bank_manual)
        self.assertEqual(
            (line.status, line.qbo_payment_method_id, line.synced), ('created', self._method('Check').browse(), True)
        )

        self._choose(mapping, {self.bank_manual: self._method('Check')})
        self.assertEqual(self._line(mapping, self.bank_manual).status, 'mapped')
        self.assertEqual(
            self._line(mapping, self.cash_manual).status, 'created', 'the same name in another journal: its own'
        )

        invoice = self._invoice()
        self._run_queue()
        before = self.connection.log_ids
        by_bank = self._pay(invoice, self.bank, 100.0)
        self._run_queue()
        self.assertEqual(by_bank.qbo_sync_state, 'synced', by_bank.qbo_sync_error)
        self.assertEqual(self._qbo_method_of(by_bank)['Name'], 'Check')
        self.assertFalse(self._payment_method_calls(before), 'no payment method query nor create')
        self.assertFalse([m for m in self._qbo('PaymentMethod') if m['Name'] == 'Manual Payment'])

        # The cash journal's method of the same name still goes by its name, created once.
        by_cash = self._pay(invoice, self.cash, 50.0)
        self._run_queue()
        self.assertEqual(self._qbo_method_of(by_cash)['Name'], 'Manual Payment')
        self.assertEqual(
            self._qbo_method_of(by_bank)['Name'], 'Check', 'payments already in QuickBooks stay as they went'
        )

        requests = len(self._api_requests())
        again = self._pay(invoice, self.bank, 10.0)
        self._run_queue()
        self.assertEqual(
            len(self._api_requests()) - requests, 1, 'the payment alone: customer, method and account known'
        )
        self.assertEqual(self._qbo_method_of(again)['Name'], 'Check')
        self.assertEqual(invoice.amount_residual, invoice.amount_total - 160.0)

    def test_unmapped_method_goes_by_name_and_can_be_changed(self):
        self.bank.name = 'Checking'
        self.bank_manual.name = 'visa'
        mapping = self._open_mapping()  # the QuickBooks menu: the current company's connection
        self.assertEqual(mapping.connection_id, self.connection)
        line = self._line(mapping, self.bank_manual)
        self.assertEqual((line.status, line.qbo_payment_method_id.name), ('named', 'Visa'))
        self.assertFalse(
            self.env['qbo.mapping'].sudo().search([('res_model', '=', 'account.payment.method.line')]),
            'a method of the same name is only shown',
        )

        invoice = self._invoice()
        first = self._pay(invoice, self.bank, 100.0)
        self._run_queue()
        self.assertEqual(self._qbo_method_of(first)['Name'], 'Visa')
        self.assertEqual(
            len([m for m in self._qbo('PaymentMethod') if m['Name'].casefold() == 'visa']), 1, 'none created'
        )

        mapping = self._open_mapping(self.connection)
        self.assertEqual(
            (
                self._line(mapping, self.bank_manual).status,
                self._line(mapping, self.bank_manual).qbo_payment_method_id.name,
            ),
            ('mapped', 'Visa'),
            'what the push found is remembered',
        )
        # Meanwhile the bookkeeper adds a method to QuickBooks; Refresh offers it.
        self.connection._qbo_client().create('PaymentMethod', {'Name': 'Debit Card', 'Type': 'NON_CREDIT_CARD'})
        mapping.action_refresh()
        self.assertTrue(self._method('Debit Card'))
        self.assertIn(self._method('Debit Card'), mapping.reverse_ids.qbo_payment_method_id)
        self._choose(mapping, {self.bank_manual: self._method('Debit Card')})
        requests = len(self._api_requests())
        second = self._pay(invoice, self.bank, 20.0)
        self._run_queue()
        self.assertEqual(
            len(self._api_requests()) - requests, 1, [(r['method'], r['path']) for r in self._api_requests()[requests:]]
        )
        self.assertEqual(self._qbo_method_of(second)['Name'], 'Debit Card')
        self.assertEqual(self._qbo_method_of(first)['Name'], 'Visa')

        # Emptied: back to the method of its name.
        self._choose(mapping, {self.bank_manual: self._method('Debit Card').browse()})
        self.assertEqual(
            (
                self._line(mapping, self.bank_manual).status,
                self._line(mapping, self.bank_manual).qbo_payment_method_id.name,
            ),
            ('named', 'Visa'),
        )
        third = self._pay(invoice, self.bank, 5.0)
        self._run_queue()
        self.assertEqual(self._qbo_method_of(third)['Name'], 'Visa')

    def test_opened_from_settings_shows_which_methods_sync(self):
        settings = (
            self.env['res.config.settings']
            .with_company(self.company)
            .create({'qbo_payment_method_line_ids': [Command.set(self.bank_manual.ids)]})
        )
        mapping = self.env['qbo.payment.method.mapping'].browse(
            settings.action_qbo_open_payment_method_mapping()['res_id']
        )
        self.assertEqual(mapping.connection_id, self.connection)
        self.assertTrue(mapping.can_edit)
        self.assertEqual(
            (self._line(mapping, self.bank_manual).synced, self._line(mapping, self.cash_manual).synced), (True, False)
        )

    # -- QuickBooks to Odoo ----------------------------------------------------

    def test_reverse_mapping_defaults_stored_and_shown(self):
        mapping = self._open_mapping(self.connection)
        self._choose(mapping, {self.bank_manual: self._method('Check'), self.cash_manual: self._method('Cash')})
        check, cash, visa = self._method('Check'), self._method('Cash'), self._method('Visa')
        self.assertEqual(
            (self._reverse(mapping, check).method_line_id, self._reverse(mapping, check).status),
            (self.bank_manual, 'default'),
            'the line mapped the other way',
        )
        self.assertEqual(self._reverse(mapping, check).journal_id, self.bank)
        self.assertEqual(
            (self._reverse(mapping, visa).method_line_id, self._reverse(mapping, visa).status),
            (self.bank_manual.browse(), 'none'),
        )
        self.assertFalse(check.payment_method_line_id, 'a default is not stored: it follows the mapping')
        # Where payments recorded in QuickBooks will be registered, as the coming pull reads it.
        methods = self.env['qbo.payment.method']._qbo_of_connection(self.connection)
        defaults = methods._qbo_default_lines(
            methods._qbo_forward_choices(self.connection, methods._qbo_method_lines(self.connection.company_id))
        )
        self.assertEqual((defaults.get(check), defaults.get(visa)), (self.bank_manual, None))

        # Card payments recorded in QuickBooks will land in the cash journal; checks too.
        self._choose(mapping, back={visa: self.cash_manual, check: self.cash_manual})
        self.assertEqual(
            (visa.payment_method_line_id, check.payment_method_line_id), (self.cash_manual, self.cash_manual)
        )
        self.assertEqual(
            self._line(mapping, self.bank_manual).qbo_payment_method_id, check, 'the other way is untouched'
        )

        reopened = self._open_mapping(self.connection)
        self.assertEqual(
            (
                self._reverse(reopened, visa).method_line_id,
                self._reverse(reopened, visa).journal_id,
                self._reverse(reopened, visa).status,
            ),
            (self.cash_manual, self.cash, 'chosen'),
        )
        self.assertEqual(self._reverse(reopened, cash).status, 'default')
        self.assertEqual(visa.payment_method_line_id, self.cash_manual)

        # Back to the default: the choice is dropped and the line mapped the other way rules again.
        self._choose(reopened, back={check: self.bank_manual})
        self.assertFalse(check.payment_method_line_id)
        self.assertEqual(
            (self._reverse(reopened, check).method_line_id, self._reverse(reopened, check).status),
            (self.bank_manual, 'default'),
        )

    # -- who may --------------------------------------------------------------

    def test_a_quickbooks_user_reads_but_does_not_change(self):
        user = new_test_user(
            self.env,
            login='qbo_pm_reader',
            groups='account.group_account_invoice,qbo_connector.group_qbo_user',
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        mapping = self._open_mapping(self.connection, user=user)
        self.assertFalse(mapping.can_edit)
        line = self._line(mapping, self.bank_manual)
        self.assertEqual(line.status, 'created')
        check = self._method('Check').with_user(user)
        line.qbo_payment_method_id = check  # their own screen's record; saving is what counts
        with self.assertRaises(AccessError):
            mapping.action_save()
        self.assertFalse(self.env['qbo.mapping'].sudo().search([('res_model', '=', 'account.payment.method.line')]))
        with self.assertRaises(AccessError):
            check.payment_method_line_id = self.cash_manual
        with self.assertRaises(AccessError):
            self.env['qbo.mapping'].with_user(user).create(
                {
                    'connection_id': self.connection.id,
                    'res_model': 'account.payment.method.line',
                    'res_id': self.bank_manual.id,
                    'qbo_entity': 'PaymentMethod',
                    'role': 'payment_method',
                    'qbo_id': check.qbo_id,
                }
            )

    def test_companies_are_walls(self):
        other = self.setup_other_company(name='Other Co')
        other_line = other['default_journal_bank'].inbound_payment_method_line_ids[:1]
        mapping = self._open_mapping(self.connection)
        self.assertTrue(mapping.line_ids)
        self.assertNotIn(other_line, mapping.line_ids.method_line_id)
        self.assertEqual(mapping.line_ids.method_line_id.company_id, self.company)
        with self.assertRaises(UserError):  # nor can it be slipped in, either way
            mapping.write({'line_ids': [Command.create({'method_line_id': other_line.id})]})
        with self.assertRaises(UserError):
            self._reverse(mapping, self._method('Visa')).method_line_id = other_line
        outsider = new_test_user(
            self.env,
            login='qbo_pm_outsider',
            groups='base.group_user,qbo_connector.group_qbo_admin',
            company_id=other['company'].id,
            company_ids=[Command.set(other['company'].ids)],
        )
        with self.assertRaises(AccessError):
            self._open_mapping(self.connection, user=outsider)
        self.assertFalse(
            self.env['qbo.payment.method'].with_user(outsider).search([]), "another company's QuickBooks methods"
        )
        screens = self.env['qbo.payment.method.mapping'].with_user(outsider)
        self.assertFalse(screens.search([]))
        self.assertFalse(self.env['qbo.payment.method.mapping.line'].with_user(outsider).search([]))
        self.assertFalse(self.env['qbo.payment.method.mapping.reverse'].with_user(outsider).search([]))
        with self.assertRaises(AccessError):
            screens.browse(mapping.id).read(['connection_id'])
        with self.assertRaises(AccessError):
            screens.create({'connection_id': self.connection.id})
