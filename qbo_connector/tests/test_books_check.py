"""The books check: QuickBooks and Odoo compared, document by document and customer by customer."""

from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import Form, new_test_user, tagged

from .. import const
from .test_push_invoice import QboPushCommon


@tagged('post_install', '-at_install')
class TestBooksCheck(QboPushCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Who checks the books from the UI: a QuickBooks user who may see invoices.
        cls.checker = new_test_user(
            cls.env,
            login='qbo_books_checker',
            groups='base.group_user,account.group_account_invoice,qbo_connector.group_qbo_user',
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )

    def _pushed(self, count=1, **values):
        invoices = self.env['account.move'].concat(*(self._invoice(**values) for _ in range(count)))
        self._run_queue()
        self.assertEqual(set(invoices.mapped('qbo_sync_state')), {'synced'})
        return invoices

    def _qbo_customer_balance(self, move):
        qbo_doc = self._qbo_doc('Invoice', move.name)
        customer = [c for c in self._qbo('Customer') if c['Id'] == qbo_doc['CustomerRef']['value']][0]
        return float(customer['Balance'])

    def test_pushed_books_agree(self):
        invoices = self._pushed(2)
        refund = self._pushed(move_type='out_refund')
        self.assertEqual(self._differences(), [])
        check = self.env['qbo.books.check'].with_user(self.checker).create({'connection_id': self.connection.id})
        check.action_run()
        self.assertEqual((check.document_count, check.customer_count, check.difference_count), (3, 1, 0))
        # Something to agree on: the customer owes the invoices less the credit note.
        self.assertAlmostEqual(
            self._qbo_customer_balance(invoices[0]),
            sum(invoices.mapped('amount_total')) - refund.amount_total,
            places=2,
        )

    def test_payments_count_in_the_receivable(self):
        """QuickBooks takes a payment applied to nothing off the customer's balance; Odoo
        keeps it as an open receivable journal item of the customer: they agree."""
        invoice = self._pushed()
        self._register_payment(invoice, amount=100.0)
        unapplied = self.env['account.payment'].create(
            {
                'payment_type': 'inbound',
                'partner_type': 'customer',
                'partner_id': self.partner_a.id,
                'amount': 300.0,
                'journal_id': self.company_data['default_journal_bank'].id,
            }
        )
        unapplied.action_post()
        self._run_queue()
        self.assertEqual(self._differences(), [])
        self.assertAlmostEqual(self._qbo_customer_balance(invoice), invoice.amount_total - 100.0 - 300.0, places=2)

    def _raise_first_line_in_quickbooks(self, invoice):
        """Someone in QuickBooks changes the first line from 2 x 100.00 to 2 x 150.00: the
        default invoice's 255.50 + 8 % = 275.94 becomes 355.50 + 8 % = 383.94."""
        client = self.connection._qbo_client()
        qbo_invoice = client.read('Invoice', invoice.qbo_id)
        lines = [line for line in qbo_invoice['Line'] if line['DetailType'] == 'SalesItemLineDetail']
        lines[0]['SalesItemLineDetail']['UnitPrice'] = 150.0
        lines[0]['Amount'] = 300.0
        client.update(
            'Invoice', {'Id': qbo_invoice['Id'], 'SyncToken': qbo_invoice['SyncToken'], 'Line': lines}, sparse=True
        )

    def test_document_changed_in_quickbooks(self):
        invoice, other = self._pushed(2)
        self._pushed(move_type='out_refund')
        self._raise_first_line_in_quickbooks(invoice)
        receivable_before = self._qbo_customer_balance(other)

        differences = self._differences()
        by_field = {d['field']: d for d in differences}
        self.assertEqual(sorted(by_field), ['balance', 'receivable', 'tax', 'total'])
        self.assertEqual(len(differences), 4)
        for field, odoo, qbo in (('total', 275.94, 383.94), ('tax', 20.44, 28.44), ('balance', 275.94, 383.94)):
            with self.subTest(field=field):
                difference = by_field[field]
                self.assertEqual(
                    (difference['kind'], difference['record'], difference['qbo_id']),
                    ('invoice', invoice, invoice.qbo_id),
                )
                self.assertAlmostEqual(difference['odoo'], odoo, places=2)
                self.assertAlmostEqual(difference['qbo'], qbo, places=2)
        self.assertEqual((invoice.amount_total, invoice.amount_tax), (275.94, 20.44))
        receivable = by_field['receivable']
        self.assertEqual((receivable['kind'], receivable['record']), ('customer', self.partner_a))
        self.assertAlmostEqual(receivable['qbo'], receivable_before, places=2)
        self.assertAlmostEqual(receivable['qbo'] - receivable['odoo'], 108.0, places=2)

    def _delete_in_quickbooks(self, invoice):
        """The connector never deletes: someone in QuickBooks does, through its API."""
        client = self.connection._qbo_client()
        qbo_invoice = client.read('Invoice', invoice.qbo_id)
        client.delete('Invoice', {'Id': qbo_invoice['Id'], 'SyncToken': qbo_invoice['SyncToken']})

    def test_foreign_currency_customer_compared_in_its_currency(self):
        """With multicurrency, a customer's euro documents go to its euro customer, whose
        Balance QuickBooks keeps in euros: compared with Odoo's receivable in euros."""
        realm = self.emu.add_company(template='us', multicurrency=True)['realm_id']
        self.connection.sudo().unlink()
        self.connection = self._qbo_connect(self.env, self.company, realm)
        eur = self.setup_other_currency('EUR')
        self._pushed()
        eur_invoice, _other = self._pushed(2, currency_id=eur.id)
        self.assertNotEqual(eur_invoice.amount_total, eur_invoice.amount_total_signed)
        result = self.env['qbo.books.check']._qbo_compare(self.connection)
        self.assertEqual((result['differences'], result['document_count'], result['customer_count']), ([], 3, 2))

        self._raise_first_line_in_quickbooks(eur_invoice)
        receivable = [d for d in self._differences() if d['field'] == 'receivable']
        self.assertEqual(len(receivable), 1)
        self.assertEqual(
            (receivable[0]['record'], receivable[0]['qbo_entity'], receivable[0]['currency']),
            (self.partner_a, 'Customer', eur),
        )
        self.assertAlmostEqual(receivable[0]['odoo'], 2 * eur_invoice.amount_total, places=2)
        self.assertAlmostEqual(receivable[0]['qbo'] - receivable[0]['odoo'], 108.0, places=2)

    def test_document_deleted_in_quickbooks(self):
        invoice, _other = self._pushed(2)
        self._delete_in_quickbooks(invoice)
        differences = self._differences()
        missing = [d for d in differences if d['kind'] == 'missing']
        self.assertEqual(len(missing), 1)
        self.assertEqual(
            (missing[0]['record'], missing[0]['qbo_id'], missing[0]['field']), (invoice, invoice.qbo_id, 'exists')
        )
        self.assertEqual((missing[0]['odoo'], missing[0]['qbo']), (1.0, 0.0))
        # QuickBooks no longer counts it in what the customer owes.
        receivable = [d for d in differences if d['kind'] == 'customer']
        self.assertEqual(len(receivable), 1)
        self.assertAlmostEqual(receivable[0]['odoo'] - receivable[0]['qbo'], invoice.amount_total, places=2)
        self.assertEqual(len(differences), 2)

    def test_cancelled_documents_and_inactive_customer_agree(self):
        invoices = self._pushed(2)
        for invoice in invoices:
            invoice.button_draft()
            invoice.button_cancel()
        self._run_queue()
        self.assertEqual(self._differences(), [])
        # Owed nothing, the customer is made inactive in QuickBooks: still there, not missing.
        client = self.connection._qbo_client()
        customer = client.read('Customer', client.read('Invoice', invoices[0].qbo_id)['CustomerRef']['value'])
        client.update('Customer', {'Id': customer['Id'], 'SyncToken': customer['SyncToken'], 'Active': False})
        self.assertEqual(self._differences(), [])

    def test_check_the_books_from_the_connection(self):
        """A QuickBooks user with invoicing rights clicks Check the Books and sees the line."""
        invoice, _other = self._pushed(2)
        user = self.checker
        self._delete_in_quickbooks(invoice)

        connection = self.connection.with_user(user)
        server_action = self.env.ref('qbo_connector.action_qbo_books_check_run')
        arch = connection.get_views([(False, 'form')])['views']['form']['arch']
        self.assertIn(f'name="{server_action.id}"', arch, 'the button is on the connection form')
        action = (
            server_action.with_user(user)
            .with_context(active_model='qbo.connection', active_id=connection.id, active_ids=connection.ids)
            .run()
        )
        self.assertEqual((action['res_model'], action['view_mode']), ('qbo.books.check', 'form'))
        check = self.env['qbo.books.check'].with_user(user).browse(action['res_id'])
        form = Form(check)
        self.assertEqual((form.difference_count, len(form.line_ids)), (2, 2))
        lines = check.line_ids
        missing = lines.filtered(lambda line: line.kind == 'missing')
        self.assertEqual(
            (missing.move_id, missing.qbo_id, missing.compared, missing.missing_in),
            (invoice, invoice.qbo_id, 'exists', 'qbo'),
        )
        customer = lines - missing
        self.assertEqual((customer.partner_id, customer.compared), (self.partner_a, 'receivable'))
        self.assertAlmostEqual(customer.difference, -invoice.amount_total, places=2)

        # Pushed again, the books agree, and the same check says so.
        self.env['qbo.mapping'].sudo().search(
            [('res_model', '=', 'account.move'), ('res_id', '=', invoice.id)]
        ).unlink()
        invoice.action_qbo_push()
        self._run_queue()
        check.action_run()
        self.assertFalse(check.line_ids)
        self.assertEqual(check.document_count, 2)
        # Not connected any more: said in words, not as a traceback.
        self.connection.sudo().state = 'disconnected'
        with self.assertRaisesRegex(UserError, 'not connected to QuickBooks'):
            check.action_run()

    def test_requests_do_not_grow_with_documents(self):
        def requests_to_check():
            before = len(self._api_requests())
            self.assertEqual(self._differences(), [])
            return len(self._api_requests()) - before

        self._pushed(2)
        self._pushed(move_type='out_refund')
        few = requests_to_check()
        self._pushed(8)
        self.assertEqual(requests_to_check(), few)
        self.assertEqual(few, 3, 'one page each of invoices, credit memos and customers')

    def test_pages_through_quickbooks(self):
        """More documents than a page holds: each page is read, none is reported missing."""
        self._pushed(10)
        before = len(self._api_requests())
        with patch.object(const, 'QUERY_PAGE', 4):
            self.assertEqual(self._differences(), [])
        queries = [r for r in self._api_requests()[before:] if r['path'].endswith('/query')]
        # Pages are read until one comes back short (the sandbox's documents and customers count too).
        self.assertEqual(len(queries), len(self._qbo('Invoice')) // 4 + 1 + len(self._qbo('Customer')) // 4 + 1)
