"""Vendor bills and vendor credit notes → QuickBooks Bills and VendorCredits, their vendors →
QuickBooks Vendors (issue 12, items 1, 2 and 9): through the queue to the emulator, for a US
company (no tax on purchases in QuickBooks US) and a Canadian one (purchase tax codes)."""

from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import CA_REALM
from .test_push_edge import QboPushEdgeCommon


class QboBillsCommon(QboPushEdgeCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vendor = cls.env['res.partner'].create(
            {
                'name': 'Paper Mill Supplies',
                'is_company': True,
                'email': 'billing@papermill.example.com',
                'street': '1 Mill Road',
                'city': 'Springfield',
                'zip': '62701',
                'vat': '12-3456789',
            }
        )

    def setUp(self):
        super().setUp()
        self.connection.sync_bills = True

    def _bill(self, lines, move_type='in_invoice', partner=None, ref='PM-1001', post=True, **values):
        """A vendor bill (credit note) of the connected company: ``lines`` are (product or
        account, quantity, price, taxes)."""
        company = self.connection.company_id
        env = self.env(context=dict(self.env.context, allowed_company_ids=(company | self.env.user.company_ids).ids))
        line_values = []
        for what, quantity, price, taxes in lines:
            line = {'quantity': quantity, 'price_unit': price, 'tax_ids': [Command.set(taxes.ids)]}
            if what._name == 'product.product':
                line['product_id'] = what.id
            else:
                line.update(name=f'{what.name} costs', account_id=what.id)
            line_values.append(Command.create(line))
        bill = env['account.move'].create(
            {
                'move_type': move_type,
                'company_id': company.id,
                'partner_id': (partner or self.vendor).id,
                'invoice_date': fields.Date.today(),
                'ref': ref,
                'invoice_line_ids': line_values,
                **values,
            }
        )
        if post:
            bill.action_post()
        return bill

    def _qbo_of(self, bill):
        entity = 'Bill' if bill.move_type == 'in_invoice' else 'VendorCredit'
        self.assertEqual(bill.qbo_sync_state, 'synced', bill.qbo_sync_error)
        found = [o for o in self._qbo(entity) if bill._qbo_reference() in (o.get('PrivateNote') or '')]
        self.assertEqual(len(found), 1, f'{bill.name} is {len(found)} times in QuickBooks')
        self.assertEqual(found[0]['Id'], bill.qbo_id)
        return found[0]

    def _assert_payable_agrees(self, bill, qbo_bill):
        self.assertAlmostEqual(float(qbo_bill['TotalAmt']), bill.amount_total, places=2)
        self.assertAlmostEqual(float(qbo_bill['Balance']), bill.amount_residual, places=2)

    def _drop_next_answer(self, entity):
        self.emu.lose_answer(entity)

    def _vendor_of(self, qbo_bill):
        return next(v for v in self._qbo('Vendor') if v['Id'] == qbo_bill['VendorRef']['value'])


@tagged('post_install', '-at_install')
class TestPushBills(QboBillsCommon):
    """A US company: QuickBooks US keeps no tax on purchases, a bill's tax is part of its cost."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.purchase_tax = cls.env['account.tax'].create(
            {
                'name': 'Use tax 8%',
                'amount': 8.0,
                'amount_type': 'percent',
                'type_tax_use': 'purchase',
                'company_id': cls.company.id,
            }
        )
        # Named like the emulator's US expense account.
        cls.advertising = cls.env['account.account'].create(
            {'name': 'Advertising', 'code': '610100', 'account_type': 'expense', 'company_ids': [cls.company.id]}
        )
        cls.mystery = cls.env['account.account'].create(
            {'name': 'Mystery costs', 'code': '610200', 'account_type': 'expense', 'company_ids': [cls.company.id]}
        )

    def test_bill_with_item_and_account_lines(self):
        before = len(self._api_requests())
        bill = self._bill(
            [(self.product_a, 2, 100.0, self.purchase_tax), (self.advertising, 1, 49.99, self.purchase_tax)],
            invoice_date_due=fields.Date.today() + timedelta(days=30),
        )
        self.assertEqual(len(self._api_requests()), before, 'posting sends nothing')
        self.assertEqual(bill.qbo_sync_state, 'pending')
        self._run_queue()
        qbo_bill = self._qbo_of(bill)
        self._assert_payable_agrees(bill, qbo_bill)
        self.assertEqual(qbo_bill['DocNumber'], 'PM-1001')
        self.assertEqual(qbo_bill['DueDate'], fields.Date.to_string(bill.invoice_date_due))
        self.assertIn(bill.name, qbo_bill['PrivateNote'])
        item_line, account_line = qbo_bill['Line']
        self.assertEqual(item_line['DetailType'], 'ItemBasedExpenseLineDetail')
        self.assertEqual(item_line['Amount'], 216.0, 'the tax is part of the cost in the US')
        item_id = item_line['ItemBasedExpenseLineDetail']['ItemRef']['value']
        item = next(i for i in self._qbo('Item') if i['Id'] == item_id)
        self.assertEqual(item['Sku'], 'QBO-A')
        self.assertEqual(account_line['DetailType'], 'AccountBasedExpenseLineDetail')
        account_id = account_line['AccountBasedExpenseLineDetail']['AccountRef']['value']
        self.assertEqual(account_id, self._account_named('Advertising')['Id'])
        self.assertEqual(account_line['Amount'], 53.99)
        self.assertNotIn('TxnTaxDetail', qbo_bill)
        vendor = self._vendor_of(qbo_bill)
        self.assertEqual(vendor['DisplayName'], 'Paper Mill Supplies')
        self.assertEqual(vendor['PrimaryEmailAddr']['Address'], 'billing@papermill.example.com')
        self.assertEqual(vendor['BillAddr']['City'], 'Springfield')
        self.assertEqual(vendor['TaxIdentifier'], '123456789')
        # A second bill of the vendor: nothing looked up again, one request.
        before = len(self._api_requests())
        self._run_queue()
        second = self._bill([(self.product_a, 1, 10.0, self.purchase_tax)], ref='PM-1002')
        self._run_queue()
        self._qbo_of(second)
        self.assertEqual([r['method'] for r in self._api_requests()[before:]], ['POST'])

    def test_push_button_takes_the_quickbooks_group(self):
        """No new public method: a bill is pushed by hand with the invoices' button, which takes the
        QuickBooks group (test_rpc_security proves it over RPC), whatever the Vendor bills switch."""
        self.connection.write({'sync_mode': 'manual', 'sync_bills': False})
        bill = self._bill([(self.product_a, 1, 10.0, self.purchase_tax)])
        self.assertFalse(self._jobs(bill))
        clerk = self.env['res.users'].create(
            {
                'name': 'Billing clerk',
                'login': 'billing.clerk',
                'company_id': self.company.id,
                'company_ids': [Command.set(self.company.ids)],
                'group_ids': [Command.set(self.env.ref('account.group_account_invoice').ids)],
            }
        )
        with self.assertRaises(AccessError):
            bill.with_user(clerk).action_qbo_push()
        self.assertFalse(self._jobs(bill))
        bill.action_qbo_push()
        self.assertEqual(self._jobs(bill).state, 'pending')
        self._run_queue()
        self._qbo_of(bill)

    def test_vendor_credit(self):
        credit = self._bill([(self.advertising, 1, 30.0, self.purchase_tax)], move_type='in_refund', ref='PM-CR-7')
        self._run_queue()
        qbo_credit = self._qbo_of(credit)
        self._assert_payable_agrees(credit, qbo_credit)
        self.assertEqual(qbo_credit['DocNumber'], 'PM-CR-7')
        self.assertEqual(qbo_credit['TotalAmt'], 32.4)

    def test_switched_off_by_default_and_start_date(self):
        self.assertFalse(self.env['qbo.connection'].new({'company_id': self.company.id}).sync_bills)
        self.connection.sync_bills = False
        off = self._bill([(self.product_a, 1, 10.0, self.purchase_tax)])
        self.connection.write({'sync_bills': True, 'sync_start_date': fields.Date.today() + timedelta(days=1)})
        early = self._bill([(self.product_a, 1, 10.0, self.purchase_tax)], ref='PM-EARLY')
        self.assertFalse(self._jobs(off) | self._jobs(early))
        self.connection.sync_start_date = fields.Date.today()
        on_time = self._bill([(self.product_a, 1, 10.0, self.purchase_tax)], ref='PM-ON-TIME')
        self.assertTrue(self._jobs(on_time))
        # The settings page shows and writes the switch.
        settings = self.env['res.config.settings'].with_company(self.company).create({'qbo_sync_bills': False})
        settings.execute()
        self.assertFalse(self.connection.sync_bills)

    def test_vendor_who_is_also_a_customer(self):
        """One partner, a customer and a vendor: QuickBooks keeps display names unique across
        customers and vendors, so its vendor is "<name> (Vendor)" beside its customer."""
        invoice = self._invoice()
        self._run_queue()
        customer_id = self._qbo_doc('Invoice', invoice.name)['CustomerRef']['value']
        bill = self._bill([(self.product_a, 1, 10.0, self.purchase_tax)], partner=self.partner_a)
        self._run_queue()
        vendor = self._vendor_of(self._qbo_of(bill))
        self.assertEqual(vendor['DisplayName'], f'{self.partner_a.name} (Vendor)')
        customers = [c for c in self._qbo('Customer') if c['Id'] == customer_id]
        self.assertEqual(customers[0]['DisplayName'], self.partner_a.name)

    def test_vendor_named_like_another_partys_customer_or_matched_by_email(self):
        """A vendor named like a QuickBooks customer of another party goes as "<name> (Vendor)";
        a QuickBooks vendor with the partner's email is linked, not created again."""
        cool = self.env['res.partner'].create({'name': 'Cool Cars', 'email': 'repairs@coolcars.example.com'})
        bessie = self.env['res.partner'].create({'name': 'Bessie Books', 'email': 'books@intuit.com'})
        vendors_before = len(self._qbo('Vendor'))
        emily = self.env['res.partner'].create({'name': 'Emily Platt'})  # an employee's name in QuickBooks
        cool_bill = self._bill([(self.product_a, 1, 10.0, self.purchase_tax)], partner=cool, ref='CC-1')
        bessie_bill = self._bill([(self.product_a, 1, 20.0, self.purchase_tax)], partner=bessie, ref='BB-1')
        emily_bill = self._bill([(self.product_a, 1, 30.0, self.purchase_tax)], partner=emily, ref='EP-1')
        self._run_queue()
        self.assertEqual(self._vendor_of(self._qbo_of(cool_bill))['DisplayName'], 'Cool Cars (Vendor)')
        self.assertEqual(self._vendor_of(self._qbo_of(bessie_bill))['DisplayName'], 'Books by Bessie')
        self.assertEqual(self._vendor_of(self._qbo_of(emily_bill))['DisplayName'], 'Emily Platt (Vendor)')
        self.assertEqual(len(self._qbo('Vendor')), vendors_before + 2)

    def test_bill_in_another_currency(self):
        """A multicurrency QuickBooks company: a bill in euros goes to the vendor's euro Vendor
        (QuickBooks fixes a vendor's currency), at Odoo's rate; the dollar bill to its dollar Vendor."""
        self.connection.sudo().unlink()
        self.realm = self.emu.add_company(template='us', multicurrency=True)['realm_id']
        self.connection = self._qbo_connect(self.env, self.company, self.realm)
        self.connection.write({'sync_bills': True, 'default_expense_account_name': 'Advertising'})
        eur = self.setup_other_currency('EUR', rates=[('2000-01-01', 3.0)])
        usd_bill = self._bill([(self.mystery, 1, 10.0, self.purchase_tax)], ref='US-1')
        self._run_queue()
        eur_bill = self._bill([(self.product_a, 2, 100.0, self.purchase_tax)], currency_id=eur.id, ref='EU-1')
        self._run_queue()
        qbo_eur, qbo_usd = self._qbo_of(eur_bill), self._qbo_of(usd_bill)
        self._assert_payable_agrees(eur_bill, qbo_eur)
        self._assert_payable_agrees(usd_bill, qbo_usd)
        self.assertEqual(qbo_eur['CurrencyRef']['value'], 'EUR')
        self.assertAlmostEqual(qbo_eur['ExchangeRate'], 1 / 3, places=9)
        self.assertEqual(self._vendor_of(qbo_eur)['CurrencyRef']['value'], 'EUR')
        self.assertEqual(self._vendor_of(qbo_usd)['CurrencyRef']['value'], 'USD')
        self.assertEqual(self._vendor_of(qbo_usd)['DisplayName'], 'Paper Mill Supplies')
        self.assertEqual(self._vendor_of(qbo_eur)['DisplayName'], 'Paper Mill Supplies (EUR)')
        self.assertFalse(self._differences())

    def test_reset_and_repost_updates(self):
        bill = self._bill([(self.product_a, 2, 100.0, self.purchase_tax)])
        self._run_queue()
        first = self._qbo_of(bill)
        bill.button_draft()
        bill.invoice_line_ids[0].price_unit = 150.0
        bill.ref = 'PM-1001-B'
        bill.action_post()
        self._run_queue()
        updated = self._qbo_of(bill)
        self.assertEqual(updated['Id'], first['Id'])
        self.assertGreater(int(updated['SyncToken']), int(first['SyncToken']))
        self.assertEqual(updated['DocNumber'], 'PM-1001-B')
        self._assert_payable_agrees(bill, updated)

    def test_a_bill_quickbooks_holds_is_not_deleted(self):
        bill = self._bill([(self.product_a, 1, 10.0, self.purchase_tax)])
        self._run_queue()
        self._qbo_of(bill)
        bill.button_draft()
        with self.assertRaises(UserError):
            bill.unlink()
        bill.button_cancel()
        self._run_queue()
        bill.unlink()  # deleted in QuickBooks first

    def test_cancel_deletes(self):
        bill = self._bill([(self.product_a, 2, 100.0, self.purchase_tax)])
        credit = self._bill([(self.advertising, 1, 30.0, self.purchase_tax)], move_type='in_refund', ref='CR-1')
        self._run_queue()
        ids = {self._qbo_of(bill)['Id'], self._qbo_of(credit)['Id']}
        (bill | credit).button_cancel()
        self._run_queue()
        self.assertFalse(ids & {b['Id'] for b in self._qbo('Bill')})
        self.assertFalse(ids & {c['Id'] for c in self._qbo('VendorCredit')})
        self.assertFalse(bill.qbo_id or credit.qbo_id)
        self.assertEqual(self._jobs(bill).filtered(lambda j: j.operation == 'void').state, 'done')
        # Posted again, a new Bill.
        bill.button_draft()
        bill.action_post()
        self._run_queue()
        self._assert_payable_agrees(bill, self._qbo_of(bill))

    def test_performed_then_dropped_is_not_duplicated(self):
        with_ref = self._bill([(self.product_a, 2, 100.0, self.purchase_tax)])
        self._drop_next_answer('Bill')
        self._run_queue()
        job = self._jobs(with_ref)
        self.assertTrue(job.outcome_unknown)
        job.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual(job.state, 'done')
        self._assert_payable_agrees(with_ref, self._qbo_of(with_ref))  # exactly one

    def test_dropped_then_its_reference_changed_is_not_duplicated(self):
        """The answer lost, the bill reset and its vendor reference corrected before the retry:
        not found by its new number, it is found by its date and memo, and updated."""
        bill = self._bill([(self.product_a, 2, 100.0, self.purchase_tax)], ref='PM-TYPO')
        self._drop_next_answer('Bill')
        self._run_queue()
        job = self._jobs(bill)
        self.assertTrue(job.outcome_unknown)
        bill.button_draft()
        bill.ref = 'PM-1009'
        bill.action_post()
        job.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual(job.state, 'done')
        self.assertEqual(self._qbo_of(bill)['DocNumber'], 'PM-1009')  # exactly one

    def test_bill_without_vendor_reference(self):
        """A bill without a vendor reference goes without a number (QuickBooks takes bills
        without one), its Odoo number in its memo; its answer lost, it is found by date and memo."""
        bill = self._bill([(self.product_a, 1, 80.0, self.purchase_tax)], ref=False)
        self._drop_next_answer('Bill')
        self._run_queue()
        job = self._jobs(bill)
        self.assertTrue(job.outcome_unknown)
        job.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        qbo_bill = self._qbo_of(bill)  # exactly one
        self.assertFalse(qbo_bill.get('DocNumber'))
        self.assertIn(bill.name, qbo_bill['PrivateNote'])

    def test_cancelled_while_its_push_is_lost(self):
        bill = self._bill([(self.product_a, 1, 80.0, self.purchase_tax)])
        self._drop_next_answer('Bill')
        self._run_queue()
        job = self._jobs(bill)
        self.assertTrue(job.outcome_unknown)
        bill.button_cancel()
        job.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual(job.state, 'done')
        self.assertFalse([b for b in self._qbo('Bill') if bill._qbo_reference() in (b.get('PrivateNote') or '')])

    def test_bad_input_fails_clearly_and_the_queue_carries_on(self):
        long_ref = self._bill([(self.product_a, 1, 10.0, self.purchase_tax)], ref='R' * 30)
        unmapped = self._bill([(self.mystery, 1, 10.0, self.purchase_tax)], ref='PM-2')
        good = self._bill([(self.product_a, 1, 10.0, self.purchase_tax)], ref='PM-3')
        self._run_queue()
        self._qbo_of(good)
        self.assertEqual(long_ref.qbo_sync_state, 'failed')
        self.assertIn('vendor reference', long_ref.qbo_sync_error)
        self.assertEqual(unmapped.qbo_sync_state, 'failed')
        self.assertIn('Mystery costs', unmapped.qbo_sync_error)
        self.assertIn('default expense account', unmapped.qbo_sync_error)
        # A default expense account in Settings, and the bill goes.
        self.connection.default_expense_account_name = 'advertising'
        self._jobs(unmapped).action_retry()
        self._run_queue()
        qbo_bill = self._qbo_of(unmapped)
        self.assertEqual(
            qbo_bill['Line'][0]['AccountBasedExpenseLineDetail']['AccountRef']['value'],
            self._account_named('Advertising')['Id'],
        )
        self.connection.default_expense_account_name = 'Nowhere'
        other = self._bill([(self.mystery, 1, 5.0, self.purchase_tax)], ref='PM-4')
        self._run_queue()
        self.assertEqual(other.qbo_sync_state, 'failed')
        self.assertIn('Nowhere', other.qbo_sync_error)

    def test_books_check_agrees(self):
        bill = self._bill([(self.product_a, 2, 100.0, self.purchase_tax)])
        self._bill([(self.advertising, 1, 30.0, self.purchase_tax)], move_type='in_refund', ref='CR-2')
        self._run_queue()
        self.assertFalse(self._differences())
        # Changed in QuickBooks behind Odoo's back: the check says so.
        qbo_bill = self._qbo_of(bill)
        client = self.connection._qbo_client()
        line = dict(qbo_bill['Line'][0], Amount=1.0)
        line['ItemBasedExpenseLineDetail'] = dict(line['ItemBasedExpenseLineDetail'], Qty=1, UnitPrice=1.0)
        client.update('Bill', {'Id': qbo_bill['Id'], 'SyncToken': qbo_bill['SyncToken'], 'Line': [line]})
        differences = self._differences()
        self.assertEqual(
            {(d['kind'], d['record'], d['field'], d['qbo']) for d in differences},
            # The vendor's balance moves with the bill's: what it is owed, less its credit of 32.40.
            {('bill', bill, 'total', 1.0), ('bill', bill, 'balance', 1.0), ('vendor', self.vendor, 'payable', -31.4)},
        )


@tagged('post_install', '-at_install')
class TestPushBillsCanada(QboBillsCommon):
    """A Canadian company: each line carries its purchase tax code, the bill Odoo's tax."""

    realm = CA_REALM

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._qbo_setup_canada()
        cls.gst = cls.env['account.tax'].create(
            {
                'name': 'GST 5% (purchases)',
                'amount': 5.0,
                'amount_type': 'percent',
                'type_tax_use': 'purchase',
                'company_id': cls.ca_company.id,
            }
        )
        cls.cogs = cls.env['account.account'].create(
            {
                'name': 'Cost of Goods Sold',
                'code': '500100',
                'account_type': 'expense',
                'company_ids': [cls.ca_company.id],
            }
        )

    def setUp(self):
        super().setUp()
        self._qbo_connect_canada()
        self.connection.sync_bills = True

    def test_bill_and_vendor_credit_with_purchase_tax(self):
        bill = self._bill(
            [
                (self.maple, 3, 19.99, self.gst),
                (self.cogs, 1, 40.0, self.gst),
                (self.poutine, 1, 5.0, self.gst.browse()),
            ]
        )
        credit = self._bill([(self.maple, 1, 19.99, self.gst)], move_type='in_refund', ref='NS-CR-1')
        self._run_queue()
        qbo_bill = self._qbo_of(bill)
        self._assert_payable_agrees(bill, qbo_bill)
        self.assertAlmostEqual(float(qbo_bill['TxnTaxDetail']['TotalTax']), bill.amount_tax, places=2)
        self.assertEqual(qbo_bill['GlobalTaxCalculation'], 'TaxExcluded')
        codes = [line[line['DetailType']]['TaxCodeRef']['value'] for line in qbo_bill['Line']]
        self.assertEqual(codes, [self.codes['GST'], self.codes['GST'], self.codes['Exempt']])
        self.assertEqual([line['Amount'] for line in qbo_bill['Line']], [59.97, 40.0, 5.0])
        self._assert_payable_agrees(credit, self._qbo_of(credit))
        self.assertEqual(self._vendor_of(qbo_bill)['DisplayName'], 'Paper Mill Supplies')
        self.assertFalse(self._differences())
