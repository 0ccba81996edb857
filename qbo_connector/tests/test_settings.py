from odoo import Command
from odoo.tests import tagged

from .test_push_invoice import QboPushCommon


@tagged('post_install', '-at_install')
class TestSettings(QboPushCommon):
    """The QuickBooks Online section of Settings, as an administrator uses it."""

    def _settings(self, **values):
        settings = self.env['res.config.settings'].with_company(self.company).create(values)
        settings.execute()
        self.connection.invalidate_recordset()
        return settings

    def test_settings_write_the_connection(self):
        method = self.company_data['default_journal_bank'].inbound_payment_method_line_ids[:1]
        settings = self.env['res.config.settings'].with_company(self.company).create({})
        self.assertEqual(settings.qbo_state, 'connected')
        self.assertEqual(settings.qbo_environment, 'custom')
        self.assertFalse(settings.qbo_client_secret, 'the secret is not sent back to the page')
        self.connection.state = 'disconnected'  # the keys are locked while connected
        self._settings(qbo_sync_mode='manual', qbo_invoice_prefix='OD-', qbo_client_secret='a-new-secret',
                       qbo_payment_method_line_ids=[Command.set(method.ids)])
        self.assertEqual(self.connection.sudo().client_secret, 'a-new-secret')
        self.assertEqual(self.connection.sync_mode, 'manual')
        self.assertEqual(self.connection.invoice_prefix, 'OD-')
        self.assertEqual(self.connection.payment_method_line_ids, method)
        self.env.cr.execute("SELECT count(*) FROM res_config_settings WHERE qbo_client_secret IS NOT NULL")
        self.assertEqual(self.env.cr.fetchone()[0], 0, 'no copy of the secret stays behind')

    def test_payment_method_filter(self):
        bank = self.company_data['default_journal_bank']
        allowed, other = bank.inbound_payment_method_line_ids[:1], self.company_data['default_journal_cash'].inbound_payment_method_line_ids[:1]
        self.connection.payment_method_line_ids = allowed
        invoice = self._invoice()
        kept = self._register_payment(invoice, amount=100.0, journal_id=bank.id, payment_method_line_id=allowed.id)
        left = self._register_payment(invoice, amount=50.0, journal_id=other.journal_id.id, payment_method_line_id=other.id)
        self.assertTrue(self._jobs(kept))
        self.assertFalse(self._jobs(left))

    def test_aggregated_lines(self):
        self.connection.line_mode = 'aggregated'
        invoice = self._invoice(invoice_line_ids=[
            self._prepare_invoice_line(product_id=self.product_a, quantity=1, price_unit=10.0),
            self._prepare_invoice_line(product_id=self.product_a, quantity=2, price_unit=12.5),
            self._prepare_invoice_line(product_id=self.product_b, quantity=1, price_unit=7.0),
        ])
        self._run_queue()
        qbo_invoice = self._qbo_doc('Invoice', invoice.name)
        sales_lines = [line for line in qbo_invoice['Line'] if line.get('DetailType') == 'SalesItemLineDetail']
        self.assertEqual(len(sales_lines), 2, 'one line per product and tax')
        self._assert_books_agree(invoice, qbo_invoice)

    def test_entity_switches(self):
        self.connection.write({'sync_invoices': False, 'sync_payments': False})
        invoice = self._invoice()
        refund = self._invoice(move_type='out_refund')
        self.assertFalse(self._jobs(invoice))
        self.assertTrue(self._jobs(refund))
        payment = self._register_payment(invoice, amount=10.0)
        self.assertFalse(self._jobs(payment))
        invoice.action_qbo_push()  # a person may still send one by hand
        self.assertTrue(self._jobs(invoice))

    def _track_classes(self, per_line=False):
        """The QuickBooks company's bookkeeper turns class tracking on (QuickBooks' Preferences)."""
        client = self.connection._qbo_client()
        prefs = client.preferences()
        flag = 'ClassTrackingPerTxnLine' if per_line else 'ClassTrackingPerTxn'
        client.update('Preferences', {'Id': prefs['Id'], 'SyncToken': prefs['SyncToken'],
                                      'AccountingInfoPrefs': {**prefs['AccountingInfoPrefs'], flag: True}})
        self.connection.action_test_connection()  # what Test Connection (or a reconnect) reads

    def test_default_class(self):
        self.connection.default_class_name = 'Landscaping'
        untracked = self._invoice()
        self._run_queue()
        self.assertNotIn('ClassRef', self._qbo_doc('Invoice', untracked.name), 'not tracked: not sent')
        self._track_classes()
        self.assertTrue(self.connection.qbo_class_tracking)
        landscaping = [c for c in self._qbo('Class') if c['Name'] == 'Landscaping'][0]
        invoice = self._invoice()
        self._run_queue()
        qbo_invoice = self._qbo_doc('Invoice', invoice.name)
        self.assertEqual(qbo_invoice['ClassRef']['value'], landscaping['Id'])
        self._assert_books_agree(invoice, qbo_invoice)

    def test_default_class_per_line(self):
        self._track_classes(per_line=True)
        self.assertTrue(self.connection.qbo_class_per_line)
        self.connection.default_class_name = 'Maintenance'
        invoice = self._invoice()
        self._run_queue()
        qbo_invoice = self._qbo_doc('Invoice', invoice.name)
        classes = {line['SalesItemLineDetail'].get('ClassRef', {}).get('name') for line in qbo_invoice['Line']
                   if line.get('DetailType') == 'SalesItemLineDetail'}
        self.assertEqual(classes, {'Maintenance'})
        self.assertNotIn('ClassRef', qbo_invoice)

    def test_unknown_default_class_fails_clearly(self):
        self._track_classes()
        self.connection.default_class_name = 'No Such Class'
        invoice = self._invoice()
        self._run_queue()
        self.assertEqual(invoice.qbo_sync_state, 'failed')
        self.assertIn('No Such Class', invoice.qbo_sync_error)
