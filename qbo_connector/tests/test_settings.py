from urllib.parse import parse_qs, urlsplit

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .common import CLIENT_ID, CLIENT_SECRET
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
        self._settings(
            qbo_sync_mode='manual',
            qbo_invoice_prefix='OD-',
            qbo_client_secret='a-new-secret',
            qbo_payment_method_line_ids=[Command.set(method.ids)],
        )
        self.assertEqual(self.connection.sudo().client_secret, 'a-new-secret')
        self.assertEqual(self.connection.sync_mode, 'manual')
        self.assertEqual(self.connection.invoice_prefix, 'OD-')
        self.assertEqual(self.connection.payment_method_line_ids, method)
        self.env.cr.execute("SELECT count(*) FROM res_config_settings WHERE qbo_client_secret IS NOT NULL")
        self.assertEqual(self.env.cr.fetchone()[0], 0, 'no copy of the secret stays behind')

    def _company_without_quickbooks(self):
        company = self.env['res.company'].create({'name': 'No QuickBooks Yet'})
        self.env.user.company_ids |= company
        return company

    def _page(self, company):
        """The Settings page as a QuickBooks administrator's browser opens it: every field it
        shows, saved together."""
        self.env.user.group_ids |= self.env.ref('qbo_connector.group_qbo_admin')
        return Form(self.env['res.config.settings'].with_company(company))

    def test_page_saved_untouched_creates_no_connection(self):
        company = self._company_without_quickbooks()
        with self._page(company) as page:
            # What a connection would start with, not blanks.
            self.assertEqual(
                (page.qbo_state, page.qbo_environment, page.qbo_sync_mode, page.qbo_line_mode),
                ('not_connected', 'sandbox', 'automatic', 'individual'),
            )
            self.assertEqual(
                (page.qbo_sync_invoices, page.qbo_sync_credit_notes, page.qbo_sync_payments), (True, True, True)
            )
            self.assertEqual((page.qbo_unmatched_item_name, page.qbo_tax_item_name), ('Odoo item', 'Taxes and Fees'))
        page.record.execute()
        self.assertFalse(self.env['qbo.connection']._qbo_for_company(company, create=False))

    def test_first_save_creates_the_connection_and_connect_follows(self):
        """The first save of a page that sets something creates the connection, with what was
        set (the keys and a custom environment with its URL, in one save) and the defaults for
        the rest; Connect then goes to Intuit's consent page with those keys."""
        company = self._company_without_quickbooks()
        with self._page(company) as page:
            page.qbo_environment = 'custom'
            page.qbo_custom_base_url = self.emulator.base_url
            page.qbo_client_id = CLIENT_ID
            page.qbo_client_secret = CLIENT_SECRET
            page.qbo_invoice_prefix = 'NQ-'
        settings = page.record
        settings.execute()
        connection = self.env['qbo.connection']._qbo_for_company(company, create=False).sudo()
        self.assertEqual(
            (connection.environment, connection.custom_base_url, connection.client_id, connection.client_secret),
            ('custom', self.emulator.base_url, CLIENT_ID, CLIENT_SECRET),
        )
        self.assertEqual(
            (connection.invoice_prefix, connection.sync_mode, connection.sync_invoices, connection.unmatched_item_name),
            ('NQ-', 'automatic', True, 'Odoo item'),
        )
        self.assertFalse(settings.qbo_client_secret, 'the secret is not sent back to the page')
        self.assertEqual(settings.qbo_connection_id, connection)
        authorize_url = settings.action_qbo_connect()['url']
        self.assertTrue(authorize_url.startswith(self.emulator.base_url + '/connect/oauth2'))
        self.assertEqual(parse_qs(urlsplit(authorize_url).query)['client_id'], [CLIENT_ID])

    def test_keys_saved_after_connect_was_refused(self):
        """Connect clicked before the keys are in: the page is saved and Intuit is not called.
        The keys typed afterwards are saved on the page as it stands, and reach the
        connection, created for them."""
        company = self._company_without_quickbooks()
        with self._page(company) as page:
            pass
        with self.assertRaises(UserError) as refused:  # rolled back, as the button's request would be
            page.record.action_qbo_connect()
        self.assertIn('Client ID', str(refused.exception))
        self.assertFalse(self.env['qbo.connection']._qbo_for_company(company, create=False))
        # Saved, the page still shows what the connection would start with.
        self.assertEqual(
            (page.record.qbo_sync_mode, page.record.qbo_sync_invoices, page.record.qbo_state),
            ('automatic', True, 'not_connected'),
        )
        # What the browser sends for the page saved before: the fields typed since.
        page.record.web_save({'qbo_client_id': CLIENT_ID, 'qbo_client_secret': CLIENT_SECRET}, {})
        page.record.execute()
        connection = self.env['qbo.connection']._qbo_for_company(company, create=False).sudo()
        self.assertEqual(
            (connection.client_id, connection.client_secret, connection.sync_invoices), (CLIENT_ID, CLIENT_SECRET, True)
        )
        self.env.cr.execute("SELECT count(*) FROM res_config_settings WHERE qbo_client_secret IS NOT NULL")
        self.assertEqual(self.env.cr.fetchone()[0], 0, 'no copy of the secret stays behind')

    def test_page_shows_the_connection_as_it_is(self):
        """Changed on the connection's own form, a setting shows on the page; saved again, the
        page changes what was changed on it and nothing else."""
        company = self._company_without_quickbooks()
        connection = self.env['qbo.connection'].create({'company_id': company.id})
        connection.write({'sync_mode': 'manual', 'line_mode': 'aggregated', 'sync_payments': False})
        with self._page(company) as page:
            self.assertEqual(page.qbo_state, 'not_connected')
            self.assertEqual(
                (page.qbo_sync_mode, page.qbo_line_mode, page.qbo_sync_payments), ('manual', 'aggregated', False)
            )
            page.qbo_line_mode = 'individual'
        page.record.execute()
        self.assertEqual(
            (connection.sync_mode, connection.line_mode, connection.sync_payments), ('manual', 'individual', False)
        )
        self.assertEqual(self.env['qbo.connection']._qbo_for_company(company, create=False), connection)

    def test_settings_are_for_system_administrators(self):
        """Odoo lets system administrators alone save Settings: a QuickBooks administrator who
        is not one changes the sync settings on the connection's form instead."""
        qbo_admin = new_test_user(
            self.env,
            login='qbo_admin_settings',
            groups='base.group_user,qbo_connector.group_qbo_admin',
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        with self.assertRaises(AccessError):
            self.env['res.config.settings'].with_user(qbo_admin).with_company(self.company).create(
                {'qbo_invoice_prefix': 'QA-'}
            )
        self.connection.with_user(qbo_admin).invoice_prefix = 'QA-'
        self.assertEqual(self.connection.invoice_prefix, 'QA-')

    def test_call_log_retention_is_for_system_administrators(self):
        """Settings shows and writes the connection's call log retention (Advanced options). The
        call log is what an auditor reads: a QuickBooks administrator who is not a system
        administrator can neither read nor shorten it, as with the system parameter it replaces."""
        self.assertEqual(
            self.env['res.config.settings'].with_company(self.company).create({}).qbo_log_retention_days, 90
        )
        self._settings(qbo_log_retention_days=30)
        self.assertEqual(self.connection.log_retention_days, 30)
        qbo_admin = new_test_user(
            self.env,
            login='qbo_admin_retention',
            groups='base.group_user,qbo_connector.group_qbo_admin',
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        with self.assertRaises(AccessError):
            self.connection.with_user(qbo_admin).log_retention_days = 1
        with self.assertRaises(AccessError):
            self.connection.with_user(qbo_admin).read(['log_retention_days'])
        self.connection.with_user(qbo_admin).invoice_prefix = 'QA-'  # the other sync settings stay theirs
        self.assertEqual(self.connection.log_retention_days, 30)

    def test_payment_method_filter(self):
        bank = self.company_data['default_journal_bank']
        allowed, other = (
            bank.inbound_payment_method_line_ids[:1],
            self.company_data['default_journal_cash'].inbound_payment_method_line_ids[:1],
        )
        self.connection.payment_method_line_ids = allowed
        invoice = self._invoice()
        kept = self._register_payment(invoice, amount=100.0, journal_id=bank.id, payment_method_line_id=allowed.id)
        left = self._register_payment(
            invoice, amount=50.0, journal_id=other.journal_id.id, payment_method_line_id=other.id
        )
        self.assertTrue(self._jobs(kept))
        self.assertFalse(self._jobs(left))

    def test_aggregated_lines(self):
        self.connection.line_mode = 'aggregated'
        invoice = self._invoice(
            invoice_line_ids=[
                self._prepare_invoice_line(product_id=self.product_a, quantity=1, price_unit=10.0),
                self._prepare_invoice_line(product_id=self.product_a, quantity=2, price_unit=12.5),
                self._prepare_invoice_line(product_id=self.product_b, quantity=1, price_unit=7.0),
            ]
        )
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
        flag = 'ClassTrackingPerTxnLine' if per_line else 'ClassTrackingPerTxn'
        self._quickbooks_preferences(AccountingInfoPrefs={flag: True})

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
        classes = {
            line['SalesItemLineDetail'].get('ClassRef', {}).get('name')
            for line in qbo_invoice['Line']
            if line.get('DetailType') == 'SalesItemLineDetail'
        }
        self.assertEqual(classes, {'Maintenance'})
        self.assertNotIn('ClassRef', qbo_invoice)

    def test_unknown_default_class_fails_clearly(self):
        self._track_classes()
        self.connection.default_class_name = 'No Such Class'
        invoice = self._invoice()
        self._run_queue()
        self.assertEqual(invoice.qbo_sync_state, 'failed')
        self.assertIn('No Such Class', invoice.qbo_sync_error)
