"""The tax mapping screen, the tax code for untaxed lines and the tax item, used as a person
uses them: a document fails on a tax, the screen is opened (from the QuickBooks menu, a
connection or Settings), a code is chosen, the document is retried and arrives in QuickBooks
with books that agree."""

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .common import CA_REALM
from .test_push_edge import QboPushEdgeCommon


class QboTaxMappingCommon(QboPushEdgeCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The accountant of these tests administers QuickBooks, as the one who maps taxes does.
        cls.env.user.group_ids |= cls.env.ref('qbo_connector.group_qbo_admin')

    def _open_mapping(self, connection=None, user=None):
        """The tax mapping screen, as the QuickBooks menu (no connection given: the current
        company's) or a connection's Tax Mapping button opens it."""
        action = self.env.ref('qbo_connector.action_qbo_tax_mapping')
        if user:
            action = action.with_user(user)
        if connection:
            action = action.with_context(
                active_model='qbo.connection', active_id=connection.id, active_ids=connection.ids
            )
        opened = action.run()
        self.assertEqual((opened['res_model'], opened['view_mode']), ('qbo.tax.mapping', 'form'))
        return self.env['qbo.tax.mapping'].with_user(user or self.env.user).browse(opened['res_id'])

    def _line(self, mapping, tax):
        (line,) = mapping.line_ids.filtered(lambda line: line.tax_id == tax)
        return line

    def _choose(self, mapping, choices):
        """Edit the screen as its form does ({tax: code or (code, as_line)}), then Save Mapping."""
        with Form(mapping) as form:
            for index, line in enumerate(mapping.line_ids):
                if line.tax_id in choices:
                    code, as_line = (
                        choices[line.tax_id]
                        if isinstance(choices[line.tax_id], tuple)
                        else (choices[line.tax_id], False)
                    )
                    with form.line_ids.edit(index) as row:
                        row.as_line = as_line
                        if not as_line:
                            row.qbo_tax_code_id = code
        mapping.action_save()

    def _code(self, name):
        return self.env['qbo.tax.code'].search([('connection_id', '=', self.connection.id), ('name', '=', name)])

    def _stored(self, tax):
        return self.env['qbo.mapping'].sudo()._qbo_find(self.connection, tax, 'TaxCode', 'tax_code')

    def _bookkeeper_creates_code(self, name, rates):
        """A tax code made in QuickBooks by its bookkeeper: ``rates`` are new (name, %) or the
        names of existing QuickBooks tax rates."""
        client = self.connection._qbo_client()
        agency = client.query('SELECT * FROM TaxAgency')[0]['Id']
        existing = {rate['Name']: rate['Id'] for rate in client.query('SELECT * FROM TaxRate')}
        client.create_tax_code(
            {
                'TaxCode': name,
                'TaxRateDetails': [
                    {'TaxRateId': existing[rate]}
                    if isinstance(rate, str)
                    else {
                        'TaxRateName': rate[0],
                        'RateValue': str(rate[1]),
                        'TaxAgencyId': agency,
                        'TaxApplicableOn': 'Sales',
                    }
                    for rate in rates
                ],
            }
        )

    def _tax_item_lines(self, qbo_doc):
        item_id = self.connection.sudo().tax_item_qbo_id
        self.assertTrue(item_id, 'the tax item is kept')
        return [
            line for line in self._sales_lines(qbo_doc) if line['SalesItemLineDetail']['ItemRef']['value'] == item_id
        ]

    def _assert_books_agree_with_tax_lines(self, move, qbo_doc, expected_lines):
        """Odoo's total and balance are QuickBooks'; Odoo's tax is QuickBooks' tax plus the
        lines of the tax item, which are ``expected_lines`` [(description, amount)], untaxed;
        and the books check finds nothing to report."""
        self.assertEqual(move.qbo_sync_state, 'synced', move.qbo_sync_error)
        lines = self._tax_item_lines(qbo_doc)
        self.assertEqual([(line['Description'], line['Amount']) for line in lines], expected_lines)
        self.assertAlmostEqual(float(qbo_doc['TotalAmt']), move.amount_total, places=2)
        self.assertAlmostEqual(
            float(qbo_doc['TxnTaxDetail']['TotalTax']) + sum(a for _d, a in expected_lines), move.amount_tax, places=2
        )
        self.assertAlmostEqual(float(qbo_doc['Balance']), move.amount_residual, places=2)
        self.assertEqual(self._differences(), [])
        return lines


@tagged('post_install', '-at_install')
class TestTaxMappingUS(QboTaxMappingCommon):
    """A US company on Sandbox Company US (codes California 8 %, Tucson 7.1 % + 2 %)."""

    def test_missing_mapping_fails_then_is_mapped_in_the_screen(self):
        nevada = self.env['account.tax'].create(
            {
                'name': 'Nevada 7%',
                'amount': 7.0,
                'amount_type': 'percent',
                'type_tax_use': 'sale',
                'company_id': self.company.id,
            }
        )
        invoice, good = self._move([(self.product_a, 2, 100.0, nevada)]), self._invoice()
        self._run_queue()
        self.assertEqual(invoice.qbo_sync_state, 'failed')
        self.assertIn('Map the Odoo tax "Nevada 7%" to a QuickBooks tax code', invoice.qbo_sync_error)
        self.assertIn('QuickBooks Online → Tax Mapping', invoice.qbo_sync_error)
        self._assert_synced(good)

        mapping = self._open_mapping(self.connection)
        line = self._line(mapping, nevada)
        self.assertEqual(
            (line.status, line.qbo_tax_code_id, line.tax_amount), ('missing', self._code('California').browse(), '7 %')
        )
        self.assertFalse(self._code('Nevada'))
        # Meanwhile the bookkeeper makes QuickBooks' Nevada code, at this year's rate; Odoo's tax
        # still has the old one. Refresh offers it.
        self._bookkeeper_creates_code('Nevada', [('Nevada state', 7.25)])
        mapping.action_refresh()
        self.assertEqual(self._code('Nevada').rate, 7.25)
        self.assertEqual(self._line(mapping, nevada).status, 'missing', 'not the same rate: not suggested')
        self._choose(mapping, {nevada: self._code('Nevada')})
        self.assertEqual(self._stored(nevada).qbo_name, 'Nevada')
        self.assertEqual(self._line(mapping, nevada).status, 'mapped')

        self._jobs(invoice).action_retry()
        self._run_queue()
        (qbo_invoice,) = self._assert_synced(invoice)
        self.assertEqual(qbo_invoice['TxnTaxDetail']['TxnTaxCodeRef']['value'], self._code('Nevada').qbo_id)
        self.assertEqual(invoice.amount_tax, 14.0, "Odoo's 7 %, kept by QuickBooks")

    def test_suggestion_shown_and_another_code_chosen(self):
        """Opening the screen suggests the code of the tax's rate without storing it; the user
        picks another code of that rate, which is the invoice's tax code from then on."""
        self._bookkeeper_creates_code('California Retail', ['California'])
        resale = self.env['account.tax'].create(
            {
                'name': 'Resale 0%',
                'amount': 0.0,
                'amount_type': 'percent',
                'type_tax_use': 'sale',
                'company_id': self.company.id,
            }
        )
        mapping = self._open_mapping()  # the QuickBooks menu: the current company's connection
        self.assertEqual(mapping.connection_id, self.connection)
        line = self._line(mapping, self.tax_8)
        self.assertEqual((line.status, line.qbo_tax_code_id.name), ('suggested', 'California'))
        self.assertEqual(
            (self._line(mapping, resale).status, self._line(mapping, resale).qbo_tax_code_id.name),
            ('untaxed', False),
            'a US line at 0 % goes NON, whatever the mapping',
        )
        self.assertFalse(self._stored(self.tax_8), 'a suggestion is only shown')
        self.assertEqual(mapping.qbo_country_code, 'US')

        first = self._invoice()
        self._run_queue()
        self.assertEqual(self._assert_synced(first)[0]['TxnTaxDetail']['TxnTaxCodeRef']['name'], 'California')

        self._choose(mapping, {self.tax_8: self._code('California Retail')})
        self.assertEqual(self._line(mapping, self.tax_8).status, 'mapped')
        second = self._invoice()
        self._run_queue()
        (qbo_second,) = self._assert_synced(second)
        self.assertEqual(qbo_second['TxnTaxDetail']['TxnTaxCodeRef']['value'], self._code('California Retail').qbo_id)
        self.assertEqual(
            self._assert_synced(first)[0]['TxnTaxDetail']['TxnTaxCodeRef']['name'],
            'California',
            'documents already in QuickBooks stay as they went',
        )

    def test_opened_from_settings(self):
        settings = self.env['res.config.settings'].with_company(self.company).create({})
        self.assertEqual(settings.qbo_tax_item_name, 'Taxes and Fees')
        opened = settings.action_qbo_open_tax_mapping()
        mapping = self.env['qbo.tax.mapping'].browse(opened['res_id'])
        self.assertEqual(mapping.connection_id, self.connection)
        self.assertIn(self.tax_8, mapping.line_ids.tax_id)
        self.assertTrue(mapping.can_edit)

    def test_fixed_amount_tax_goes_as_a_line_of_the_tax_item(self):
        eco_fee = self.env['account.tax'].create(
            {
                'name': 'Eco-fee',
                'amount': 0.5,
                'amount_type': 'fixed',
                'type_tax_use': 'sale',
                'company_id': self.company.id,
            }
        )
        invoice = self._move(
            [
                (self.product_a, 2, 100.0, self.tax_8 | eco_fee),
                (self.product_b, 1, 55.5, self.tax_8),
                (self.product_b, 3, 10.0, eco_fee),
            ]
        )
        refund = self._move([(self.product_a, 1, 100.0, self.tax_8 | eco_fee)], move_type='out_refund')
        self.assertAlmostEqual(invoice.amount_tax, 16.0 + 4.44 + 2.5, places=2)
        self._run_queue()
        qbo_invoice = self._qbo_doc('Invoice', invoice.name)
        (eco_line,) = self._assert_books_agree_with_tax_lines(invoice, qbo_invoice, [('Eco-fee', 2.5)])
        self.assertEqual(eco_line['SalesItemLineDetail']['TaxCodeRef']['value'], 'NON')
        self.assertEqual(
            [line['SalesItemLineDetail']['TaxCodeRef']['value'] for line in self._sales_lines(qbo_invoice)],
            ['TAX', 'TAX', 'NON', 'NON'],
            'a line whose only tax goes as a line is untaxed',
        )
        self.assertEqual(qbo_invoice['TxnTaxDetail']['TxnTaxCodeRef']['name'], 'California')
        self._assert_books_agree_with_tax_lines(refund, self._qbo_doc('CreditMemo', refund.name), [('Eco-fee', 0.5)])
        # The tax item, created on demand, books what Odoo collects for others to a liability.
        item = next(i for i in self._qbo('Item') if i['Id'] == eco_line['SalesItemLineDetail']['ItemRef']['value'])
        self.assertEqual(item['Name'], 'Taxes and Fees')
        account = next(a for a in self._qbo('Account') if a['Id'] == item['IncomeAccountRef']['value'])
        self.assertEqual(
            (account['Name'], account['AccountType']), ('Taxes and Fees Collected', 'Other Current Liability')
        )
        # In the screen it is shown going as a line, which cannot be undone for a fixed amount.
        line = self._line(self._open_mapping(self.connection), eco_fee)
        self.assertEqual((line.status, line.as_line, line.tax_amount), ('line', True, '0.5 fixed'))

    def test_tax_item_named_in_settings_and_missing(self):
        eco_fee = self.env['account.tax'].create(
            {
                'name': 'Deposit',
                'amount': 0.1,
                'amount_type': 'fixed',
                'type_tax_use': 'sale',
                'company_id': self.company.id,
            }
        )
        settings = self.env['res.config.settings'].with_company(self.company).create({'qbo_tax_item_name': ''})
        settings.execute()
        invoice = self._move([(self.product_a, 10, 3.0, self.tax_8 | eco_fee)])
        self._run_queue()
        self.assertEqual(invoice.qbo_sync_state, 'failed')
        self.assertIn('Tax item', invoice.qbo_sync_error)
        self.assertFalse(self._qbo_doc('Invoice', invoice.name))
        # The bookkeeper's own item for deposits, named in Settings: used as it is.
        services = next(i for i in self._qbo('Item') if i['Name'] == 'Services')
        self.env['res.config.settings'].with_company(self.company).create({'qbo_tax_item_name': 'services'}).execute()
        self.assertEqual(self.connection.tax_item_name, 'services')
        self._jobs(invoice).action_retry()
        self._run_queue()
        (deposit,) = self._assert_books_agree_with_tax_lines(
            invoice, self._qbo_doc('Invoice', invoice.name), [('Deposit', 1.0)]
        )
        self.assertEqual(deposit['SalesItemLineDetail']['ItemRef']['value'], services['Id'])
        self.assertFalse(
            [a for a in self._qbo('Account') if a['Name'] == 'Taxes and Fees Collected'], 'no account made for it'
        )

    def _tax_item_setting(self, name):
        self.env['res.config.settings'].with_company(self.company).create({'qbo_tax_item_name': name}).execute()

    def test_every_tax_item_stays_tax_and_is_no_products_item(self):
        """The tax item renamed in Settings: documents sent under the old one still count its
        lines as tax. A product named like a tax item gets an item of its own, and a tax item
        named like a product's item does too, so that no product's sales count as tax (nor
        the other way round)."""
        deposit = self.env['account.tax'].create(
            {
                'name': 'Deposit',
                'amount': 0.1,
                'amount_type': 'fixed',
                'type_tax_use': 'sale',
                'company_id': self.company.id,
            }
        )
        self._tax_item_setting('Services')  # the bookkeeper's own item, at first
        first = self._move([(self.product_a, 10, 3.0, self.tax_8 | deposit)])
        self._run_queue()
        (old_line,) = self._assert_books_agree_with_tax_lines(
            first, self._qbo_doc('Invoice', first.name), [('Deposit', 1.0)]
        )
        services = next(i for i in self._qbo('Item') if i['Name'] == 'Services')
        self.assertEqual(old_line['SalesItemLineDetail']['ItemRef']['value'], services['Id'])

        self._tax_item_setting('Taxes and Fees')  # then the connector's own
        second = self._move([(self.product_b, 5, 3.0, self.tax_8 | deposit)])
        self._run_queue()
        (new_line,) = self._assert_books_agree_with_tax_lines(
            second, self._qbo_doc('Invoice', second.name), [('Deposit', 0.5)]
        )
        self.assertEqual(new_line['SalesItemLineDetail']['ItemRef']['name'], 'Taxes and Fees')
        self.assertEqual(
            self._differences(), [], 'the deposit of the first invoice, under the old tax item, is tax all the same'
        )

        # A product named like the old tax item is not sold under it.
        named_services = self.env['product.product'].create(
            {'name': 'Services', 'taxes_id': [Command.set(self.tax_8.ids)]}
        )
        third = self._move([(named_services, 1, 50.0, self.tax_8)])
        self._run_queue()
        (qbo_third,) = self._assert_synced(third)
        (product_line,) = self._sales_lines(qbo_third)
        self.assertNotIn(
            product_line['SalesItemLineDetail']['ItemRef']['value'],
            (services['Id'], new_line['SalesItemLineDetail']['ItemRef']['value']),
        )
        self.assertEqual(product_line['SalesItemLineDetail']['ItemRef']['name'], f'Services (Odoo {named_services.id})')

        # Nor does the tax item take a product's item.
        product_item = self.env['qbo.mapping'].sudo()._qbo_find(self.connection, self.product_a, 'Item')
        self._tax_item_setting(product_item.qbo_name)
        fourth = self._move([(self.product_a, 2, 3.0, self.tax_8 | deposit)])
        self._run_queue()
        (tax_line,) = self._assert_books_agree_with_tax_lines(
            fourth, self._qbo_doc('Invoice', fourth.name), [('Deposit', 0.2)]
        )
        self.assertNotEqual(tax_line['SalesItemLineDetail']['ItemRef']['value'], product_item.qbo_id)
        self.assertEqual(
            tax_line['SalesItemLineDetail']['ItemRef']['name'], f'{product_item.qbo_name} (Odoo {self.connection.id})'
        )
        (sale,) = [
            line
            for line in self._sales_lines(self._qbo_doc('Invoice', fourth.name))
            if line['SalesItemLineDetail']['ItemRef']['value'] == product_item.qbo_id
        ]
        self.assertEqual(sale['Amount'], 6.0)
        self.assertEqual(self._differences(), [])

    def test_lines_of_taxes_count_against_the_line_limit(self):
        """A taxable document whose product lines and lines of taxes sent as lines are more
        than QuickBooks takes goes aggregated; still too many once aggregated, it fails
        saying so, before its products are sent."""
        eco_fee = self.env['account.tax'].create(
            {
                'name': 'Eco-fee',
                'amount': 0.5,
                'amount_type': 'fixed',
                'type_tax_use': 'sale',
                'company_id': self.company.id,
            }
        )
        invoice = self._move(
            [(self.product_a if n % 2 else self.product_b, 1, 2.0, self.tax_8) for n in range(749)]
            + [(self.product_a, 1, 2.0, self.tax_8 | eco_fee)]
        )
        self._run_queue()
        qbo_invoice = self._qbo_doc('Invoice', invoice.name)
        self._assert_books_agree_with_tax_lines(invoice, qbo_invoice, [('Eco-fee', 0.5)])
        self.assertEqual(
            len(self._sales_lines(qbo_invoice)), 4, 'product A, product B, product A with the eco-fee, the eco-fee'
        )

        parts = self.env['product.product'].create([{'name': f'Part {n}'} for n in range(375)])
        too_long = self._move(
            [
                (part, 1, price, self.tax_8 | eco_fee if (part, price) == (parts[0], 3.0) else self.tax_8)
                for part in parts
                for price in (3.0, -1.0)
            ]
        )
        self._run_queue()
        self.assertEqual(too_long.qbo_sync_state, 'failed')
        self.assertIn('at most 750 lines on a taxable document, and this one has 751', too_long.qbo_sync_error)
        self.assertIn('split it into several documents', too_long.qbo_sync_error)
        self.assertFalse(self._qbo_doc('Invoice', too_long.name))
        self.assertFalse(
            [item for item in self._qbo('Item') if item['Name'].startswith('Part ')], 'no product of it sent'
        )


@tagged('post_install', '-at_install')
class TestTaxMappingCanada(QboTaxMappingCommon):
    """A Canadian company on Sandbox Company CA: GST 5 %, HST ON 13 %, Exempt and Zero-rated."""

    realm = CA_REALM

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._qbo_setup_canada()
        cls.gst, cls.hst = cls._ca_tax('GST 5%', 5), cls._ca_tax('HST 13% (ON)', 13)
        cls.levy, cls.eco_fee = cls._ca_tax('Tourism levy 3%', 3), cls._ca_tax('Eco-fee', 0.25, 'fixed')

    def setUp(self):
        super().setUp()
        self._qbo_connect_canada()

    def _settings(self, **values):
        settings = self.env['res.config.settings'].with_company(self.ca_company).create(values)
        settings.execute()
        return settings

    def test_untaxed_lines_take_the_code_of_the_setting(self):
        before = self._move([(self.maple, 1, 4.0, self.gst.browse()), (self.poutine, 1, 10.0, self.gst)])
        self._run_queue()
        (qbo_before,) = self._assert_synced(before)
        self.assertEqual(
            self._sales_lines(qbo_before)[0]['SalesItemLineDetail']['TaxCodeRef']['value'], self.codes['Exempt']
        )

        mapping = self._open_mapping(self.connection)  # reads QuickBooks' codes
        self.assertEqual(mapping.untaxed_suggested_id.name, 'Exempt', 'the code untaxed lines went to so far')
        self._settings(qbo_untaxed_tax_code_id=self._code('Zero-rated').id)
        self.assertEqual(self.connection.untaxed_tax_code_id.name, 'Zero-rated')
        self.assertEqual(
            self.env['res.config.settings'].with_company(self.ca_company).create({}).qbo_untaxed_tax_code_id,
            self._code('Zero-rated'),
        )
        after = self._move([(self.maple, 1, 4.0, self.gst.browse()), (self.poutine, 1, 10.0, self.gst)])
        self._run_queue()
        (qbo_after,) = self._assert_synced(after)
        self.assertEqual(
            [line['SalesItemLineDetail']['TaxCodeRef']['value'] for line in self._sales_lines(qbo_after)],
            [self.codes['Zero-rated'], self.codes['GST']],
        )

    def test_fixed_and_marked_taxes_go_as_lines(self):
        mapping = self._open_mapping(self.connection)
        self.assertEqual(self._line(mapping, self.levy).status, 'missing', 'no QuickBooks code of 3 %')
        self._choose(mapping, {self.levy: (None, True)})
        self.assertTrue(self.levy.qbo_as_line)
        self.assertEqual(self._line(mapping, self.levy).status, 'line')
        invoice = self._move(
            [
                (self.maple, 4, 10.0, self.gst | self.eco_fee),
                (self.poutine, 2, 12.5, self.hst | self.levy),
                (self.poutine, 1, 4.0, self.gst.browse()),
            ]
        )
        refund = self._move([(self.maple, 2, 10.0, self.gst | self.eco_fee)], move_type='out_refund')
        self.assertAlmostEqual(invoice.amount_tax, 2.0 + 1.0 + 3.25 + 0.75, places=2)
        self._run_queue()
        qbo_invoice = self._qbo_doc('Invoice', invoice.name)
        lines = self._assert_books_agree_with_tax_lines(
            invoice, qbo_invoice, [('Tourism levy 3%', 0.75), ('Eco-fee', 1.0)]
        )
        self.assertEqual(qbo_invoice['GlobalTaxCalculation'], 'TaxExcluded')
        self.assertEqual(
            [line['SalesItemLineDetail']['TaxCodeRef']['value'] for line in self._sales_lines(qbo_invoice)],
            [self.codes['GST'], self.codes['HST ON'], self.codes['Exempt'], self.codes['Exempt'], self.codes['Exempt']],
        )
        self.assertEqual({line['SalesItemLineDetail']['ItemRef']['name'] for line in lines}, {'Taxes and Fees'})
        self._assert_books_agree_with_tax_lines(refund, self._qbo_doc('CreditMemo', refund.name), [('Eco-fee', 0.5)])


@tagged('post_install', '-at_install')
class TestTaxMappingAccess(QboTaxMappingCommon):
    def test_a_quickbooks_user_reads_but_does_not_change(self):
        user = new_test_user(
            self.env,
            login='qbo_tax_reader',
            groups='base.group_user,qbo_connector.group_qbo_user',
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        mapping = self._open_mapping(self.connection, user=user)
        line = self._line(mapping, self.tax_8)
        self.assertEqual((line.status, line.qbo_tax_code_id.name), ('suggested', 'California'))
        self.assertFalse(mapping.can_edit)
        tucson = self._code('Tucson').with_user(user)
        line.qbo_tax_code_id = tucson  # their own screen's record; saving is what counts
        with self.assertRaises(AccessError):
            mapping.action_save()
        self.assertFalse(self._stored(self.tax_8))
        with self.assertRaises(AccessError):
            self.env['qbo.mapping'].with_user(user).create(
                {
                    'connection_id': self.connection.id,
                    'res_model': 'account.tax',
                    'res_id': self.tax_8.id,
                    'qbo_entity': 'TaxCode',
                    'role': 'tax_code',
                    'qbo_id': tucson.qbo_id,
                }
            )

    def test_companies_are_walls(self):
        other = self.setup_other_company(name='Other Co')['company']
        other_tax = self.env['account.tax'].create(
            {
                'name': 'Other 8%',
                'amount': 8.0,
                'amount_type': 'percent',
                'type_tax_use': 'sale',
                'company_id': other.id,
            }
        )
        mapping = self._open_mapping(self.connection)
        self.assertTrue(self.env['qbo.tax.code'].search([]), 'QuickBooks codes read for this company')
        self.assertIn(self.tax_8, mapping.line_ids.tax_id)
        self.assertNotIn(other_tax, mapping.line_ids.tax_id)
        self.assertEqual(mapping.line_ids.tax_id.company_id, self.company)
        with self.assertRaises(UserError):  # nor can it be slipped in
            mapping.write({'line_ids': [Command.create({'tax_id': other_tax.id, 'as_line': True})]})
        outsider = new_test_user(
            self.env,
            login='qbo_tax_outsider',
            groups='base.group_user,qbo_connector.group_qbo_admin',
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        with self.assertRaises(AccessError):
            self._open_mapping(self.connection, user=outsider)
        self.assertFalse(self.env['qbo.tax.code'].with_user(outsider).search([]), "another company's QuickBooks codes")

    def test_another_companys_user_does_not_read_the_screen(self):
        """The screens opened for one company's connection are that company's: a QuickBooks
        user of another company neither finds nor reads them (nor makes one for it)."""
        other = self.setup_other_company(name='Other Co')['company']
        mapping = self._open_mapping(self.connection)
        self.assertTrue(mapping.line_ids)
        insider = new_test_user(
            self.env,
            login='qbo_tax_insider',
            groups='base.group_user,qbo_connector.group_qbo_user',
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        outsider = new_test_user(
            self.env,
            login='qbo_tax_other_user',
            groups='base.group_user,qbo_connector.group_qbo_user',
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        screens, lines = self.env['qbo.tax.mapping'], self.env['qbo.tax.mapping.line']
        self.assertIn(mapping, screens.with_user(insider).search([]))
        self.assertEqual(lines.with_user(insider).search([('mapping_id', '=', mapping.id)]), mapping.line_ids)
        self.assertFalse(screens.with_user(outsider).search_read([], ['connection_id']))
        self.assertFalse(lines.with_user(outsider).search_read([], ['tax_id', 'status']))
        with self.assertRaises(AccessError):
            screens.with_user(outsider).browse(mapping.id).read(['connection_id'])
        with self.assertRaises(AccessError):
            lines.with_user(outsider).browse(mapping.line_ids.ids).read(['tax_id'])
        with self.assertRaises(AccessError):
            screens.with_user(outsider).create({'connection_id': self.connection.id})
