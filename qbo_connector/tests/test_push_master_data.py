"""Customers and items as documents take them to QuickBooks, through the queue: child contacts
as sub-customers (with their payments, credits and the books check), the item of lines
without a product, and the income account of new items."""

from odoo import Command
from odoo.tests import tagged

from .test_push_invoice import QboPushCommon


@tagged('post_install', '-at_install')
class TestPushSubCustomers(QboPushCommon):
    def setUp(self):
        super().setUp()
        self.connection.sub_customers = True
        self.works = self.env['res.partner'].create(
            {'name': 'Parent Works', 'is_company': True, 'email': 'office@works.example'}
        )
        self.pat, self.sam = self.env['res.partner'].create(
            [
                {'name': 'Pat Buyer', 'parent_id': self.works.id, 'email': 'pat@works.example'},
                {'name': 'Sam Buyer', 'parent_id': self.works.id, 'email': 'sam@works.example'},
            ]
        )

    def _customer(self, qbo_id):
        return self._qbo_by_id('Customer', qbo_id)

    def _receivable_line(self, move):
        return move.line_ids.filtered(lambda l: l.account_id.account_type == 'asset_receivable')

    def test_contact_invoice_goes_to_its_sub_customer_and_its_payment_too(self):
        invoice = self._invoice(partner_id=self.pat.id)
        self._run_queue()
        qbo_invoice = self._qbo_doc('Invoice', invoice.name)
        job = self._customer(qbo_invoice['CustomerRef']['value'])
        parent = self._customer(job['ParentRef']['value'])
        self.assertEqual((job['DisplayName'], job['Job'], job['BillWithParent']), ('Pat Buyer', True, True))
        self.assertEqual(parent['DisplayName'], 'Parent Works')
        self.assertEqual(invoice.qbo_customer_partner_id, self.pat)
        self._assert_books_agree(invoice, qbo_invoice)

        # Odoo's payment is the company's; QuickBooks' must be the contact's, whose invoice it settles.
        payment = self._register_payment(invoice, amount=100.0)
        self.assertEqual(payment.partner_id, self.works)
        self._run_queue()
        qbo_payment = self._qbo_by_id('Payment', payment.qbo_id)
        self.assertEqual(qbo_payment['CustomerRef']['value'], job['Id'])
        self.assertEqual(self._applied(qbo_payment), {('Invoice', invoice.qbo_id): 100.0})
        self._assert_books_agree(invoice, self._qbo_doc('Invoice', invoice.name))

        # The company owes what its contact was invoiced: QuickBooks has it on the sub-customer,
        # and the company's customer with its jobs; the books check agrees with Odoo.
        job, parent = self._customer(job['Id']), self._customer(parent['Id'])
        self.assertAlmostEqual(float(job['Balance']), invoice.amount_residual, places=2)
        self.assertEqual((float(parent['Balance']), float(parent['BalanceWithJobs'])), (0.0, float(job['Balance'])))
        self.assertEqual(self._differences(), [])

    def test_contact_credit_note_refunded_then_taken_off(self):
        """A contact's credit note refunded: the check goes to the contact's sub-customer, as
        the credit memo. Taken off each other, the check keeps that payee (QuickBooks changes
        no payee of a check a payment settles, and Odoo's refund is the company's): the link
        goes first, and the books agree."""
        credit_note = self._credit_note(self.pat)
        refund = self._register_payment(credit_note)
        self.assertEqual(refund.partner_id, self.works)
        self._run_queue()
        memo = self._qbo_doc('CreditMemo', credit_note.name)
        check = self._qbo_by_id('Purchase', refund.qbo_id)
        self.assertEqual(check['EntityRef']['value'], memo['CustomerRef']['value'])
        self.assertEqual(self._differences(), [])

        credit_note.js_remove_outstanding_partial(credit_note.line_ids.matched_debit_ids.id)
        self._run_queue()
        self.assertEqual(self._jobs(refund).sorted('id')[-1].state, 'done')
        self.assertEqual(self._qbo_by_id('Purchase', refund.qbo_id)['EntityRef']['value'], memo['CustomerRef']['value'])
        self.assertAlmostEqual(
            float(self._qbo_doc('CreditMemo', credit_note.name)['RemainingCredit']),
            credit_note.amount_residual,
            places=2,
        )
        self.assertEqual(self._differences(), [])

    def test_books_check_sees_the_jobs_receivable(self):
        invoice = self._invoice(partner_id=self.pat.id)
        own = self._invoice(partner_id=self.works.id)
        self._run_queue()
        self.assertEqual(self._differences(), [])
        # A document QuickBooks has and Odoo does not, on the job: the company's receivable differs.
        job_id = self._qbo_doc('Invoice', invoice.name)['CustomerRef']['value']
        item_id = self._qbo_doc('Invoice', own.name)['Line'][0]['SalesItemLineDetail']['ItemRef']['value']
        self.connection._qbo_client().create(
            'Invoice',
            {
                'CustomerRef': {'value': job_id},
                'Line': [
                    {
                        'DetailType': 'SalesItemLineDetail',
                        'Amount': 30.0,
                        'SalesItemLineDetail': {'ItemRef': {'value': item_id}, 'TaxCodeRef': {'value': 'NON'}},
                    }
                ],
            },
        )
        [difference] = self._differences()
        self.assertEqual(
            (difference['kind'], difference['record'], difference['field']), ('customer', self.works, 'receivable')
        )
        self.assertAlmostEqual(difference['qbo'] - difference['odoo'], 30.0, places=2)

    def test_credit_note_of_a_contact_applies_to_that_contacts_invoice(self):
        invoice = self._invoice(partner_id=self.pat.id)
        credit_note = self._credit_note(self.pat)
        self._run_queue()
        invoice.js_assign_outstanding_line(self._receivable_line(credit_note).id)
        self._run_queue()
        self.assertEqual(credit_note.qbo_sync_state, 'synced')
        [application] = self._qbo_payments_of(credit_note)
        job_id = self._qbo_doc('Invoice', invoice.name)['CustomerRef']['value']
        self.assertEqual(application['CustomerRef']['value'], job_id)
        self.assertEqual(self._qbo_doc('CreditMemo', credit_note.name)['CustomerRef']['value'], job_id)
        self.assertAlmostEqual(
            float(self._qbo_doc('Invoice', invoice.name)['Balance']), invoice.amount_residual, places=2
        )
        self.assertEqual(self._differences(), [])

    def test_one_payment_for_documents_of_two_contacts_fails_clearly(self):
        pat_invoice = self._invoice(partner_id=self.pat.id)
        sam_invoice = self._invoice(partner_id=self.sam.id)
        other = self._invoice()
        self._run_queue()
        payment = self._register_payment(pat_invoice + sam_invoice)
        other_payment = self._register_payment(other)
        self.assertEqual(len(payment), 1)
        self._run_queue()
        self.assertEqual(payment.qbo_sync_state, 'failed')
        self.assertIn('Pat Buyer', payment.qbo_sync_error)
        self.assertIn('Sam Buyer', payment.qbo_sync_error)
        self.assertFalse(self._qbo_payments_of(payment), 'nothing half-written')
        self.assertEqual(other_payment.qbo_sync_state, 'synced', 'the rest of the queue carries on')

    def test_credit_note_of_the_company_on_its_contacts_invoice_fails_clearly(self):
        invoice = self._invoice(partner_id=self.pat.id)
        credit_note = self._credit_note(self.works)
        invoice.js_assign_outstanding_line(self._receivable_line(credit_note).id)
        self._run_queue()
        self.assertEqual(invoice.qbo_sync_state, 'synced')
        self.assertEqual(credit_note.qbo_sync_state, 'failed')
        self.assertIn('Parent Works', credit_note.qbo_sync_error)
        self.assertIn('Pat Buyer', credit_note.qbo_sync_error)
        self.assertFalse(self._qbo_doc('CreditMemo', credit_note.name), 'refused before anything is written')

    def test_documents_sent_before_the_setting_keep_their_customer(self):
        self.connection.sub_customers = False
        before = self._invoice(partner_id=self.pat.id)
        self._run_queue()
        company_customer = self._qbo_doc('Invoice', before.name)['CustomerRef']['value']
        self.assertEqual(self._customer(company_customer)['DisplayName'], 'Parent Works')

        self.connection.sub_customers = True
        after = self._invoice(partner_id=self.pat.id)
        # Sent again (reset and posted), the old invoice stays with its customer.
        before.button_draft()
        before.action_post()
        self._run_queue()
        self.assertEqual(before.qbo_sync_state, 'synced')
        self.assertEqual(self._qbo_doc('Invoice', before.name)['CustomerRef']['value'], company_customer)
        self.assertEqual(
            self._customer(self._qbo_doc('Invoice', after.name)['CustomerRef']['value'])['DisplayName'], 'Pat Buyer'
        )
        # Its payment names that customer, as QuickBooks wants; the new invoice's, the sub-customer.
        payment = self._register_payment(before)
        after_payment = self._register_payment(after)
        self._run_queue()
        self.assertEqual(self._qbo_by_id('Payment', payment.qbo_id)['CustomerRef']['value'], company_customer)
        self.assertEqual(
            self._qbo_by_id('Payment', after_payment.qbo_id)['CustomerRef']['value'],
            self._qbo_doc('Invoice', after.name)['CustomerRef']['value'],
        )
        self.assertEqual(self._differences(), [])


@tagged('post_install', '-at_install')
class TestPushItems(QboPushCommon):
    def test_the_settings_page_edits_the_settings(self):
        page = self.env['res.config.settings'].with_company(self.company)
        settings = page.create({})
        self.assertEqual(
            (settings.qbo_sub_customers, settings.qbo_unmatched_item_name, settings.qbo_default_income_account_name),
            (False, 'Odoo item', False),
        )
        page.create(
            {
                'qbo_sub_customers': True,
                'qbo_unmatched_item_name': 'Sundries',
                'qbo_default_income_account_name': 'Services',
            }
        ).execute()
        self.connection.invalidate_recordset()
        self.assertEqual(
            (
                self.connection.sub_customers,
                self.connection.unmatched_item_name,
                self.connection.default_income_account_name,
            ),
            (True, 'Sundries', 'Services'),
        )
        self.assertEqual(page.create({}).qbo_unmatched_item_name, 'Sundries')
        # Saved with its defaults, the page of a company without QuickBooks creates no connection.
        other = self.setup_other_company(name='No QuickBooks Co')['company']
        self.env['res.config.settings'].with_company(other).create({}).execute()
        self.assertFalse(self.env['qbo.connection']._qbo_for_company(other, create=False))

    def test_lines_without_product_and_new_products_items(self):
        """The item lines without a product go to, and the income account of a new item: the
        QuickBooks one named like the product's Odoo income account, else the default."""
        self.connection.write({'unmatched_item_name': 'Sundries', 'default_income_account_name': 'Services'})
        landscaping = self.env['account.account'].create(
            {
                'name': 'Landscaping Services',
                'code': '400700',
                'account_type': 'income',
                'company_ids': [Command.set(self.company.ids)],
            }
        )
        category = self.env['product.category'].create(
            {'name': 'Gardens', 'property_account_income_categ_id': landscaping.id}
        )
        hedge = self.env['product.product'].create(
            {
                'name': 'Hedge trim',
                'type': 'service',
                'categ_id': category.id,
                'taxes_id': [Command.set(self.tax_8.ids)],
            }
        )
        plain = self.env['product.product'].create(
            {'name': 'Plain thing', 'type': 'consu', 'categ_id': False, 'taxes_id': [Command.set(self.tax_8.ids)]}
        )
        invoice = self._invoice(
            invoice_line_ids=[
                self._prepare_invoice_line(product_id=hedge, quantity=1, price_unit=80.0),
                self._prepare_invoice_line(product_id=plain, quantity=2, price_unit=5.0),
                self._prepare_invoice_line(name='Travel costs', price_unit=12.0, tax_ids=self.tax_8),
            ]
        )
        self._run_queue()
        self.assertEqual(invoice.qbo_sync_state, 'synced')
        qbo_invoice = self._qbo_doc('Invoice', invoice.name)
        items = {i['Id']: i for i in self._qbo('Item')}
        accounts = {a['Id']: a['Name'] for a in self._qbo('Account')}
        lines = [
            (items[line['SalesItemLineDetail']['ItemRef']['value']]['Name'], line['Description'])
            for line in qbo_invoice['Line']
            if line.get('DetailType') == 'SalesItemLineDetail'
        ]
        self.assertEqual(
            lines, [('Hedge trim', 'Hedge trim'), ('Plain thing', 'Plain thing'), ('Sundries', 'Travel costs')]
        )
        booked = {
            items[line['SalesItemLineDetail']['ItemRef']['value']]['Name']: accounts[
                items[line['SalesItemLineDetail']['ItemRef']['value']]['IncomeAccountRef']['value']
            ]
            for line in qbo_invoice['Line']
            if line.get('DetailType') == 'SalesItemLineDetail'
        }
        self.assertEqual(
            booked, {'Hedge trim': 'Landscaping Services', 'Plain thing': 'Services', 'Sundries': 'Services'}
        )
        self._assert_books_agree(invoice, qbo_invoice)
