from odoo import Command
from odoo.tests import tagged

from .test_push_invoice import QboPushCommon


@tagged('post_install', '-at_install')
class TestTerms(QboPushCommon):
    """Payment terms: matched by name, created when QuickBooks can say the same thing."""

    def _client(self):
        return self.connection._qbo_client()

    def _terms(self):
        return self._qbo('Term')

    def test_matched_by_name(self):
        net30 = [t for t in self._terms() if t['Name'] == 'Net 30'][0]
        term = self.env['account.payment.term'].create(
            {'name': 'NET 30', 'line_ids': [Command.create({'value': 'percent', 'value_amount': 100, 'nb_days': 30})]}
        )
        before = len(self._terms())
        ref = term._qbo_term_ref(self.connection, self._client())
        self.assertEqual(ref['value'], net30['Id'])
        self.assertEqual(len(self._terms()), before)
        requests_before = len(self._api_requests())
        self.assertEqual(term._qbo_term_ref(self.connection, self._client())['value'], net30['Id'])
        self.assertEqual(len(self._api_requests()), requests_before, 'mapped: no request')

    def test_terms_named_alike_share_the_quickbooks_term(self):
        """Two Odoo terms whose names differ only in case are one QuickBooks term (names are
        unique whatever their case there): invoices with either go, and neither fails."""
        terms = self.env['account.payment.term'].create(
            [
                {
                    'name': name,
                    'line_ids': [Command.create({'value': 'percent', 'value_amount': 100, 'nb_days': 30})],
                }
                for name in ('Net 30', 'NET 30')
            ]
        )
        invoices = [self._invoice(invoice_payment_term_id=term.id) for term in terms]
        self._run_queue()
        net30 = [t for t in self._terms() if t['Name'] == 'Net 30']
        self.assertEqual(len(net30), 1)
        for invoice in invoices:
            self.assertEqual(invoice.qbo_sync_state, 'synced')
            self.assertEqual(self._qbo_doc('Invoice', invoice.name)['SalesTermRef']['value'], net30[0]['Id'])

    def test_created_when_expressible(self):
        term = self.env['account.payment.term'].create(
            {
                'name': 'Odoo 45 days',
                'line_ids': [Command.create({'value': 'percent', 'value_amount': 100, 'nb_days': 45})],
            }
        )
        ref = term._qbo_term_ref(self.connection, self._client())
        created = [t for t in self._terms() if t['Id'] == ref['value']][0]
        self.assertEqual((created['Name'], int(created['DueDays'])), ('Odoo 45 days', 45))

    def test_instalments_are_not_a_quickbooks_term(self):
        term = self.env['account.payment.term'].create(
            {
                'name': 'Half now, half in 30 days',
                'line_ids': [
                    Command.create({'value': 'percent', 'value_amount': 50, 'nb_days': 0}),
                    Command.create({'value': 'percent', 'value_amount': 50, 'nb_days': 30}),
                ],
            }
        )
        client = self._client()
        before = len(self._api_requests())
        self.assertIsNone(term._qbo_term_ref(self.connection, client))
        self.assertEqual(len(self._api_requests()), before, 'no request for what QuickBooks cannot express')

    def test_invoice_carries_its_term(self):
        term = self.env.ref('account.account_payment_term_30days')
        invoice = self._invoice(invoice_payment_term_id=term.id)
        self._run_queue()
        qbo_invoice = self._qbo_doc('Invoice', invoice.name)
        qbo_term = [t for t in self._terms() if t['Id'] == qbo_invoice['SalesTermRef']['value']][0]
        self.assertEqual(int(qbo_term['DueDays']), 30)
        self.assertEqual(str(qbo_invoice['DueDate']), str(invoice.invoice_date_due))
        self._assert_books_agree(invoice, qbo_invoice)

    def test_inactive_term_made_active_again(self):
        """A term someone made inactive in QuickBooks is matched and made active again:
        QuickBooks refuses invoices naming an inactive term, which would fail for ever."""
        client = self._client()
        net30 = [t for t in self._terms() if t['Name'] == 'Net 30'][0]
        client.update('Term', {'Id': net30['Id'], 'SyncToken': net30['SyncToken'], 'Active': False})
        term = self.env['account.payment.term'].create(
            {'name': 'Net 30', 'line_ids': [Command.create({'value': 'percent', 'value_amount': 100, 'nb_days': 30})]}
        )
        invoice = self._invoice(invoice_payment_term_id=term.id)
        self._run_queue()
        self.assertEqual(invoice.qbo_sync_state, 'synced', invoice.qbo_sync_error)
        qbo_invoice = self._qbo_doc('Invoice', invoice.name)
        self.assertEqual(qbo_invoice['SalesTermRef']['value'], net30['Id'])
        self.assertIs(client.read('Term', net30['Id']).get('Active'), True)
