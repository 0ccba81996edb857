"""Invoices and credit notes QuickBooks is particular about: other countries' taxes, other
currencies, odd lines and names, numbers already taken. Each goes through the queue to the
emulator, and either arrives with books that agree or fails on its document, clearly,
while the rest of the queue goes on."""

from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged

from ..tools.qbo_client import qbo_quote
from .common import CA_REALM, US_REALM
from .test_push_invoice import QboPushCommon

CUSTOMER = "Amy's Bird Sanctuary"  # one of the emulator's US customers


class QboPushEdgeCommon(QboPushCommon):
    """QboPushCommon on any realm, with documents of any company."""

    realm = US_REALM

    def _qbo(self, entity):
        return self.emu._call('GET', f'{self.realm}/{entity}')['objects']

    @classmethod
    def _qbo_setup_canada(cls, name='Maple Co'):
        """A Canadian company (CAD) for the emulator's Sandbox Company CA, selling maple syrup
        and poutine. Returns setup_other_company's data (journals and all)."""
        data = cls.setup_other_company(
            name=name, country_id=cls.env.ref('base.ca').id, currency_id=cls.env.ref('base.CAD').id
        )
        cls.ca_company = data['company']
        cls.maple, cls.poutine = (
            cls.env['product.product'].create(
                {
                    'name': product,
                    'default_code': code,
                    'company_id': cls.ca_company.id,
                }
            )
            for product, code in (('Maple syrup', 'MAPLE-1'), ('Poutine', 'POUT-1'))
        )
        return data

    @classmethod
    def _ca_tax(cls, name, amount, amount_type='percent', included=False):
        return cls.env['account.tax'].create(
            {
                'name': name,
                'amount': amount,
                'amount_type': amount_type,
                'type_tax_use': 'sale',
                'company_id': cls.ca_company.id,
                'price_include_override': 'tax_included' if included else 'tax_excluded',
            }
        )

    def _qbo_connect_canada(self):
        self.connection = self._qbo_connect(self.env, self.ca_company, CA_REALM)
        self.codes = {code['Name']: code['Id'] for code in self._qbo('TaxCode')}

    def _api_requests(self):
        return [r for r in self.emu.requests_log()['requests'] if r.get('realm') == self.realm and '/v3/' in r['path']]

    def _move(self, lines, move_type='out_invoice', **values):
        """A posted document of the connected company: ``lines`` are (product, quantity,
        price, taxes) or dicts of line values."""
        company = self.connection.company_id
        env = self.env(context=dict(self.env.context, allowed_company_ids=(company | self.env.user.company_ids).ids))
        move = env['account.move'].create(
            {
                'move_type': move_type,
                'company_id': company.id,
                'journal_id': env['account.journal']
                .search([('company_id', '=', company.id), ('type', '=', 'sale')], limit=1)
                .id,
                'partner_id': self.partner_a.id,
                'invoice_date': fields.Date.today(),
                'invoice_line_ids': [
                    Command.create(
                        line
                        if isinstance(line, dict)
                        else {
                            'product_id': line[0].id,
                            'quantity': line[1],
                            'price_unit': line[2],
                            'tax_ids': [Command.set(line[3].ids)],
                        }
                    )
                    for line in lines
                ],
                **values,
            }
        )
        move.action_post()
        return move

    def _sales_lines(self, qbo_doc):
        return [line for line in qbo_doc['Line'] if line['DetailType'] == 'SalesItemLineDetail']

    def _assert_synced(self, *moves):
        """The QuickBooks documents of ``moves``, each asserted there with books that agree."""
        qbo_docs = []
        for move in moves:
            self.assertEqual(move.qbo_sync_state, 'synced', move.qbo_sync_error)
            qbo_doc = self._qbo_doc('Invoice' if move.move_type == 'out_invoice' else 'CreditMemo', move.name)
            self._assert_books_agree(move, qbo_doc)
            qbo_docs.append(qbo_doc)
        return qbo_docs


@tagged('post_install', '-at_install')
class TestPushCanada(QboPushEdgeCommon):
    """A Canadian company on the emulator's Sandbox Company CA: GST 5 %, HST ON 13 %."""

    realm = CA_REALM

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._qbo_setup_canada()
        cls.ca_company.tax_calculation_rounding_method = 'round_per_line'  # Odoo's default, said out loud
        cls.gst, cls.hst = cls._ca_tax('GST 5%', 5), cls._ca_tax('HST 13% (ON)', 13)
        cls.gst_incl = cls._ca_tax('GST 5% incl.', 5, included=True)
        cls.hst_incl = cls._ca_tax('HST 13% (ON) incl.', 13, included=True)

    def setUp(self):
        super().setUp()
        self._qbo_connect_canada()

    def _line_codes(self, qbo_doc):
        return [line['SalesItemLineDetail']['TaxCodeRef']['value'] for line in self._sales_lines(qbo_doc)]

    def test_tax_excluded_invoice_and_credit_note(self):
        lines = [
            (self.maple, 3, 19.99, self.gst),
            (self.poutine, 2, 12.5, self.hst),
            (self.poutine, 1, 4.0, self.gst.browse()),
        ]
        invoice = self._move(lines)
        refund = self._move(lines[:2], move_type='out_refund')
        self._run_queue()
        qbo_invoice, memo = self._assert_synced(invoice, refund)
        self.assertAlmostEqual(float(memo['RemainingCredit']), refund.amount_residual, places=2)
        for qbo_doc in (qbo_invoice, memo):
            self.assertEqual(qbo_doc['GlobalTaxCalculation'], 'TaxExcluded')
        self.assertEqual(self._line_codes(qbo_invoice), [self.codes['GST'], self.codes['HST ON'], self.codes['Exempt']])
        self.assertEqual(self._line_codes(memo), [self.codes['GST'], self.codes['HST ON']])
        self.assertEqual([line['Amount'] for line in self._sales_lines(qbo_invoice)], [59.97, 25.0, 4.0])

    def test_tax_included_prices(self):
        invoice = self._move([(self.maple, 2, 21.0, self.gst_incl), (self.poutine, 1, 11.3, self.hst_incl)])
        refund = self._move([(self.maple, 1, 21.0, self.gst_incl)], move_type='out_refund')
        self._run_queue()
        qbo_invoice, memo = self._assert_synced(invoice, refund)
        for qbo_doc in (qbo_invoice, memo):
            self.assertEqual(qbo_doc['GlobalTaxCalculation'], 'TaxInclusive')
        # QuickBooks was sent the prices with tax, and keeps the net beside them.
        sales = self._sales_lines(qbo_invoice)
        self.assertEqual([line['SalesItemLineDetail']['TaxInclusiveAmt'] for line in sales], [42.0, 11.3])
        self.assertEqual([line['Amount'] for line in sales], [40.0, 10.0])
        self.assertEqual(self._line_codes(qbo_invoice), [self.codes['GST'], self.codes['HST ON']])
        # Changed and posted again: the same QuickBooks invoice, its gross prices not taxed twice.
        invoice.button_draft()
        invoice.invoice_line_ids[1].price_unit = 22.6
        invoice.action_post()
        self._run_queue()
        (updated,) = self._assert_synced(invoice)
        self.assertEqual(updated['Id'], qbo_invoice['Id'])
        self.assertEqual([line['Amount'] for line in self._sales_lines(updated)], [40.0, 20.0])

    def test_odoo_rounding_per_line_is_what_quickbooks_keeps(self):
        """Odoo rounds the tax of each line, QuickBooks the tax of each rate over the
        document: three lines of 0.10 at 5 % are 0.03 of tax in Odoo, 0.02 in QuickBooks."""
        excluded = self._move([(self.maple, 1, 0.10, self.gst)] * 3)
        included = self._move([(self.maple, 1, 0.11, self.gst_incl)] * 3)
        self.assertEqual((excluded.amount_tax, included.amount_tax), (0.03, 0.03))
        self._run_queue()
        _qbo_excluded, qbo_included = self._assert_synced(excluded, included)
        # QuickBooks would carve 0.02 out of 0.33: the prices go without tax, and Odoo's tax with them.
        self.assertEqual(qbo_included['GlobalTaxCalculation'], 'TaxExcluded')
        # Sent again (a new date, the same amounts): Odoo's tax is still the one kept.
        for move in (excluded, included):
            move.button_draft()
            move.invoice_date = fields.Date.today() - timedelta(days=1)
            move.action_post()
        self._run_queue()
        self._assert_synced(excluded, included)

    def test_mixed_included_and_excluded_taxes(self):
        invoice = self._move([(self.maple, 1, 21.0, self.gst_incl), (self.poutine, 1, 10.0, self.hst)])
        self._run_queue()
        (qbo_invoice,) = self._assert_synced(invoice)
        self.assertEqual(qbo_invoice['GlobalTaxCalculation'], 'TaxExcluded')
        self.assertEqual([line['Amount'] for line in self._sales_lines(qbo_invoice)], [20.0, 10.0])


@tagged('post_install', '-at_install')
class TestPushMulticurrency(QboPushEdgeCommon):
    def setUp(self):
        super().setUp()
        # A rate whose inverse has no short decimal: QuickBooks gets Odoo's rate, not a ratio of rounded totals.
        self.eur = self.setup_other_currency('EUR', rates=[('2000-01-01', 3.0)])  # 3 EUR for 1 USD

    def _reconnect(self, realm):
        self.connection.sudo().unlink()
        self.realm = realm
        self.connection = self._qbo_connect(self.env, self.company, realm)

    def test_invoice_in_euros(self):
        self._reconnect(self.emu.add_company(template='us', multicurrency=True)['realm_id'])
        eur_invoice = self._invoice(currency_id=self.eur.id)
        usd_invoice = self._invoice()
        self._run_queue()
        qbo_eur, qbo_usd = self._assert_synced(eur_invoice, usd_invoice)
        self.assertNotEqual(eur_invoice.amount_total, eur_invoice.amount_total_signed)
        self.assertEqual(qbo_eur['CurrencyRef']['value'], 'EUR')
        self.assertAlmostEqual(qbo_eur['ExchangeRate'], 1 / 3, places=9)
        self.assertAlmostEqual(float(qbo_eur['HomeTotalAmt']), eur_invoice.amount_total_signed, places=2)
        customers = {c['Id']: c for c in self._qbo('Customer')}
        self.assertEqual(customers[qbo_eur['CustomerRef']['value']]['CurrencyRef']['value'], 'EUR')
        self.assertEqual(customers[qbo_usd['CustomerRef']['value']]['CurrencyRef']['value'], 'USD')
        self.assertEqual(qbo_usd['CurrencyRef']['value'], 'USD')

    def test_payment_and_refund_in_euros(self):
        """Money received and paid back in euros: the Payment and the refund's check in EUR at
        Odoo's rate, the refund from a euro bank account (none: a clear failure), and the
        euro customer's books agreeing."""
        self._reconnect(self.emu.add_company(template='us', multicurrency=True)['realm_id'])
        invoice = self._invoice(currency_id=self.eur.id)
        credit_note = self._invoice(
            move_type='out_refund',
            currency_id=self.eur.id,
            invoice_line_ids=[self._prepare_invoice_line(product_id=self.product_a, quantity=1, price_unit=30.0)],
        )
        payment = self._register_payment(invoice, amount=100.0)
        refund = self._register_payment(credit_note)
        self.assertEqual((payment.currency_id, refund.currency_id), (self.eur, self.eur))
        self._run_queue()
        self.assertEqual(payment.qbo_sync_state, 'synced')
        qbo_payment = next(p for p in self._qbo('Payment') if p['Id'] == payment.qbo_id)
        self.assertEqual(qbo_payment['CurrencyRef']['value'], 'EUR')
        self.assertAlmostEqual(float(qbo_payment['ExchangeRate']), 1 / 3, places=6)
        self.assertAlmostEqual(float(qbo_payment['TotalAmt']), 100.0, places=2)
        self.assertEqual(refund.qbo_sync_state, 'failed')
        self.assertIn('EUR', refund.qbo_sync_error)
        # A refund account in another currency: QuickBooks' refusal, in its words, on the refund.
        self.connection.refund_account_name = 'Checking'
        self._jobs(refund).action_retry()
        self._run_queue()
        self.assertEqual(refund.qbo_sync_state, 'failed')
        self.assertIn('Checking is in USD', refund.qbo_sync_error)

        self.connection.refund_account_name = False
        self.connection._qbo_client().create(
            'Account', {'Name': 'Euro Account', 'AccountType': 'Bank', 'CurrencyRef': {'value': 'EUR'}}
        )
        self._jobs(refund).action_retry()
        self._run_queue()
        self.assertEqual(refund.qbo_sync_state, 'synced', refund.qbo_sync_error)
        check = next(p for p in self._qbo('Purchase') if p['Id'] == refund.qbo_id)
        accounts = {a['Id']: a['Name'] for a in self._qbo('Account')}
        self.assertEqual(
            (check['CurrencyRef']['value'], accounts[check['AccountRef']['value']]), ('EUR', 'Euro Account')
        )
        self.assertAlmostEqual(float(check['TotalAmt']), credit_note.amount_total, places=2)
        self.assertEqual(float(self._qbo_doc('CreditMemo', credit_note.name)['RemainingCredit']), 0.0)
        self.assertAlmostEqual(
            float(self._qbo_doc('Invoice', invoice.name)['Balance']), invoice.amount_residual, places=2
        )
        self.assertEqual(self._differences(), [])

    def test_euro_invoice_paid_in_two_parts_at_two_rates(self):
        """A EUR invoice of a USD company paid in two parts at two exchange rates: Odoo books the
        exchange difference; QuickBooks gets each payment in EUR at the rate of its own day; the
        invoice's balance and the books check agree."""
        self._reconnect(self.emu.add_company(template='us', multicurrency=True)['realm_id'])
        self.env['res.currency.rate'].create(
            [
                {'name': day, 'rate': rate, 'currency_id': self.eur.id, 'company_id': self.company.id}
                for day, rate in (('2026-11-10', 2.5), ('2026-11-20', 2.0))
            ]
        )
        invoice = self._invoice(currency_id=self.eur.id, invoice_date='2026-11-02')
        first = self._register_payment(invoice, amount=100.0, payment_date='2026-11-10')
        second = self._register_payment(invoice, payment_date='2026-11-20')
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        exchange = self.company.currency_exchange_journal_id
        self.assertTrue(
            self.env['account.move'].search_count([('journal_id', '=', exchange.id)]),
            'Odoo booked the exchange difference',
        )
        self._run_queue()
        (qbo_invoice,) = self._assert_synced(invoice)
        for payment, rate in ((first, 2.5), (second, 2.0)):
            self.assertEqual(payment.qbo_sync_state, 'synced', payment.qbo_sync_error)
            qbo_payment = next(p for p in self._qbo('Payment') if p['Id'] == payment.qbo_id)
            self.assertEqual(qbo_payment['CurrencyRef']['value'], 'EUR')
            self.assertAlmostEqual(float(qbo_payment['ExchangeRate']), 1 / rate, places=6)
            self.assertAlmostEqual(float(qbo_payment['TotalAmt']), payment.amount, places=2)
        self.assertEqual(float(self._qbo_doc('Invoice', invoice.name)['Balance']), 0.0)
        self.assertEqual(self._differences(), [])

    def test_currency_quickbooks_does_not_keep_fails_on_the_invoice(self):
        eur_invoice = self._invoice(currency_id=self.eur.id)
        usd_invoice = self._invoice()
        self._run_queue()
        self.assertEqual(eur_invoice.qbo_sync_state, 'failed')
        self.assertIn('Multicurrency', eur_invoice.qbo_sync_error)
        self.assertIn('EUR', eur_invoice.qbo_sync_error)
        self.assertTrue(eur_invoice.message_ids.filtered(lambda m: 'Multicurrency' in str(m.body)))
        self.assertFalse(self._qbo_doc('Invoice', eur_invoice.name))
        self._assert_synced(usd_invoice)
        # Nothing lost: multicurrency turned on in QuickBooks, the failed job goes again.
        self._quickbooks_preferences(CurrencyPrefs={'MultiCurrencyEnabled': True})
        self._jobs(eur_invoice).action_retry()
        self._run_queue()
        self._assert_synced(eur_invoice)


@tagged('post_install', '-at_install')
class TestPushBadInput(QboPushEdgeCommon):
    def test_zero_and_negative_lines(self):
        invoice = self._move(
            [
                (self.product_a, 2, 100.0, self.tax_8),
                (self.product_a, 0, 100.0, self.tax_8),  # nothing delivered
                (self.product_b, 3, 0.0, self.tax_8),  # given away
                {
                    'name': 'Loyalty discount',
                    'quantity': 1,
                    'price_unit': -30.0,
                    'tax_ids': [Command.set(self.tax_8.ids)],
                },
            ]
        )
        self._run_queue()
        (qbo_invoice,) = self._assert_synced(invoice)
        sales = self._sales_lines(qbo_invoice)
        self.assertEqual([line['Amount'] for line in sales], [200.0, 0.0, 0.0, -30.0])
        self.assertEqual([line['SalesItemLineDetail']['Qty'] for line in sales], [2, 0, 3, 1])
        self.assertEqual(sales[3]['Description'], 'Loyalty discount')
        self.assertAlmostEqual(invoice.amount_total, 183.6, places=2)

    def test_a_thousand_lines_are_aggregated(self):
        invoice = self._move(
            [(self.product_a if n % 2 else self.product_b, 1 + n % 3, 1.0 + n / 100, self.tax_8) for n in range(1000)]
        )
        self._run_queue()
        (qbo_invoice,) = self._assert_synced(invoice)
        sales = self._sales_lines(qbo_invoice)
        self.assertLessEqual(len(qbo_invoice['Line']), 750)
        self.assertEqual(len(sales), 2)
        for line in sales:
            detail = line['SalesItemLineDetail']
            self.assertAlmostEqual(detail['Qty'] * detail['UnitPrice'], line['Amount'], places=2)
        self.assertEqual(
            sum(line['SalesItemLineDetail']['Qty'] for line in sales), sum(invoice.invoice_line_ids.mapped('quantity'))
        )

    def test_product_without_income_account(self):
        # The charts of accounts give every product and category a default income account.
        self.env['ir.default'].sudo().search(
            [('field_id.name', 'in', ('property_account_income_id', 'property_account_income_categ_id'))]
        ).unlink()
        category = self.env['product.category'].create({'name': 'No accounts'})
        product = self.env['product.product'].create(
            {'name': 'Unaccounted widget', 'categ_id': category.id, 'property_account_income_id': False}
        )
        self.assertFalse(product.property_account_income_id or category.property_account_income_categ_id)
        invoice = self._move([(product, 1, 42.0, self.tax_8)])
        self._run_queue()
        (qbo_invoice,) = self._assert_synced(invoice)
        items = {i['Id']: i for i in self._qbo('Item')}
        item = items[self._sales_lines(qbo_invoice)[0]['SalesItemLineDetail']['ItemRef']['value']]
        self.assertEqual(item['Name'], 'Unaccounted widget')
        default = self.connection.sudo().income_account_qbo_id
        self.assertTrue(default)
        self.assertEqual(item['IncomeAccountRef']['value'], default)

    def test_awkward_partners(self):
        colon = self.env['res.partner'].create({'name': 'Smith: Sons & Co', 'email': 'not an email'})
        long_name = self.env['res.partner'].create({'name': 'Long ' * 120, 'email': 'long@example.com'})
        invoices = [self._invoice(partner_id=partner.id) for partner in (colon, long_name)]
        with self.assertLogs('odoo.addons.qbo_connector.models.res_partner', 'WARNING'):
            self._run_queue()
        customers = {c['Id']: c for c in self._qbo('Customer')}
        colon_doc, long_doc = self._assert_synced(*invoices)
        colon_customer = customers[colon_doc['CustomerRef']['value']]
        self.assertEqual(colon_customer['DisplayName'], 'Smith- Sons & Co')
        self.assertNotIn('PrimaryEmailAddr', colon_customer)
        long_customer = customers[long_doc['CustomerRef']['value']]
        self.assertLessEqual(len(long_customer['DisplayName']), 500)
        self.assertTrue(long_customer['DisplayName'].startswith('Long Long'))

    def test_long_description_is_cut(self):
        invoice = self._move(
            [
                {
                    'product_id': self.product_a.id,
                    'name': 'x' * 5000,
                    'quantity': 1,
                    'price_unit': 10.0,
                    'tax_ids': [Command.set(self.tax_8.ids)],
                }
            ]
        )
        self._run_queue()
        (qbo_invoice,) = self._assert_synced(invoice)
        self.assertEqual(self._sales_lines(qbo_invoice)[0]['Description'], 'x' * 4000)


@tagged('post_install', '-at_install')
class TestPushNumberTaken(QboPushEdgeCommon):
    def _qbo_invoice_by_hand(self, number, note=''):
        client = self.connection._qbo_client()
        customer = client.query(f"SELECT * FROM Customer WHERE DisplayName = {qbo_quote(CUSTOMER)}")[0]
        item = client.query("SELECT * FROM Item WHERE Name = 'Design'")[0]
        return client.create(
            'Invoice',
            {
                'DocNumber': number,
                'CustomerRef': {'value': customer['Id']},
                'PrivateNote': note,
                'Line': [
                    {
                        'DetailType': 'SalesItemLineDetail',
                        'Amount': 75.0,
                        'SalesItemLineDetail': {'ItemRef': {'value': item['Id']}, 'Qty': 1, 'UnitPrice': 75.0},
                    }
                ],
            },
        )

    def test_number_of_another_document_fails_naming_it(self):
        taken, good = self._invoice(), self._invoice()
        existing = self._qbo_invoice_by_hand(taken.name)
        self._run_queue()
        self.assertEqual(taken.qbo_sync_state, 'failed')
        self.assertEqual(self._jobs(taken).error_code, '6140')
        for words in (f'Invoice {taken.name}', f'QuickBooks id {existing["Id"]}', CUSTOMER, '75'):
            self.assertIn(words, taken.qbo_sync_error)
        self.assertEqual(self._qbo_doc('Invoice', taken.name)['Id'], existing['Id'], 'left as it was')
        self._assert_synced(good)
        # Renumbered in QuickBooks, then retried: it goes.
        client = self.connection._qbo_client()
        current = client.read('Invoice', existing['Id'])
        client.update('Invoice', {'Id': existing['Id'], 'SyncToken': current['SyncToken'], 'DocNumber': 'HAND-1'})
        self._jobs(taken).action_retry()
        self._run_queue()
        (qbo_taken,) = self._assert_synced(taken)
        self.assertNotEqual(qbo_taken['Id'], existing['Id'])

    def test_number_of_this_document_links_it(self):
        """Made from this document before its mapping was lost: linked and brought up to date."""
        invoice = self._invoice()
        existing = self._qbo_invoice_by_hand(invoice.name, note=f'{invoice.name} {invoice._qbo_reference()}')
        self._run_queue()
        (qbo_invoice,) = self._assert_synced(invoice)
        self.assertEqual((invoice.qbo_id, qbo_invoice['Id']), (existing['Id'], existing['Id']))
