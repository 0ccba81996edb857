import importlib.util
from pathlib import Path

from odoo.tests import tagged

from .common import QboConnectedCase
from .test_push_invoice import QboPushCommon

MIGRATION = Path(__file__).parent.parent / 'migrations' / '19.0.1.1.0' / 'post-migrate.py'
RETENTION_MIGRATION = Path(__file__).parent.parent / 'migrations' / '19.0.1.2.0' / 'post-migrate.py'
RECEIPTS_MIGRATION = Path(__file__).parent.parent / 'migrations' / '19.0.1.3.0' / 'post-migrate.py'
UNDO_MIGRATION = Path(__file__).parent.parent / 'migrations' / '19.0.1.4.0' / 'post-migrate.py'


def run_migration(env, path, version):
    """Run the post-migrate script at ``path`` as an upgrade from ``version`` does."""
    spec = importlib.util.spec_from_file_location('qbo_post_migrate', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    env.flush_all()
    module.migrate(env.cr, version)
    env.invalidate_all()


@tagged('post_install', '-at_install')
class TestTypedMappingMigration(QboPushCommon):
    """A database of 19.0.1.0.0 keeps every link when upgraded: the string kinds of its
    mappings become entity, role and currency, and the connection's own mappings its fields."""

    def _old_row(self, record, kind, qbo_id, name=None):
        self.env.cr.execute(
            """
            INSERT INTO qbo_mapping (connection_id, company_id, res_model, res_id, qbo_entity, role, qbo_id, qbo_name)
            VALUES (%s, %s, %s, %s, %s, 'record', %s, %s)
        """,
            [self.connection.id, self.company.id, record._name, record.id, kind, qbo_id, name or f'QBO {qbo_id}'],
        )

    def _mapping(self, record, entity, role='record', currency=None):
        return self.env['qbo.mapping'].sudo()._qbo_find(self.connection, record, entity, role, currency)

    def _upgrade(self):
        run_migration(self.env, MIGRATION, '19.0.1.0.0')

    def test_old_kinds_become_typed_mappings_and_connection_fields(self):
        eur = self.setup_other_currency('EUR')
        contact = self.env['res.partner'].create({'name': 'Pat Contact', 'parent_id': self.partner_a.id})
        tax_b = self.tax_8.copy({'name': 'California 8% (b)'})
        bank, cash = self.company_data['default_journal_bank'], self.company_data['default_journal_cash']
        line, legacy_line = bank.inbound_payment_method_line_ids[:1], cash.inbound_payment_method_line_ids[:1]
        invoice = self._invoice()
        credit_note = self._credit_note()
        received, refund = self.env['account.payment'].create(
            [
                {
                    'payment_type': payment_type,
                    'partner_type': 'customer',
                    'partner_id': self.partner_a.id,
                    'amount': 10.0,
                    'journal_id': bank.id,
                }
                for payment_type in ('inbound', 'outbound')
            ]
        )
        income = self.company_data['default_account_revenue']
        rows = [
            (self.partner_a, 'Customer', '1'),
            (self.partner_a, 'Customer:EUR', '2'),
            (contact, 'Job', '3'),
            (contact, 'Job:EUR', '4'),
            (self.product_a, 'Item', '10'),
            (self.tax_8, f'TaxCode:{self.tax_8.id}', '20'),
            (tax_b, f'TaxCode:{tax_b.id}', '20'),
            (line, f'PaymentMethod:{line.id}', '30'),
            (legacy_line, 'PaymentMethod', '30'),
            (bank, 'Account:Bank', '40'),
            (cash, f'Account:Undeposited:{cash.id}', '41'),
            (income, 'Account:Income:Odoo', '42'),
            (invoice, 'Invoice', '100'),
            (credit_note, 'CreditMemo', '101'),
            (credit_note, 'Payment', '102'),
            (received, 'Payment', '103'),
            (received, 'SalesReceipt:Payment', '104'),
            (refund, 'Purchase', '105'),
            (refund, 'Payment', '106'),
            (self.connection, 'Class', '50', 'Landscaping'),
            (self.connection, 'Item', '51', 'Odoo item'),
            (self.connection, 'Item:tax', '52', 'Taxes and Fees'),
            (self.connection, 'Item:tax:53', '53', 'Old Fees'),
            (self.connection, 'Account:TaxItem', '54'),
            (self.connection, 'Account:Income', '55', 'Sales'),
            (self.connection, 'Account:Receivable', '56'),
            (self.connection, 'Account:Receivable:EUR', '57'),
            (self.connection, 'Account:Refund:Credit Card', '58', 'Visa'),
            (self.connection, 'TaxCode:untaxed', '59'),
        ]
        for row in rows:
            self._old_row(*row)
        self._upgrade()

        self.assertEqual(self._mapping(self.partner_a, 'Customer').qbo_id, '1')
        self.assertEqual(self._mapping(self.partner_a, 'Customer', currency=eur).qbo_id, '2')
        self.assertEqual(self._mapping(contact, 'Customer', 'sub_customer').qbo_id, '3')
        self.assertEqual(self._mapping(contact, 'Customer', 'sub_customer', eur).qbo_id, '4')
        self.assertEqual(self._mapping(self.product_a, 'Item').qbo_id, '10')
        self.assertEqual(
            [self._mapping(tax, 'TaxCode', 'tax_code').qbo_id for tax in (self.tax_8, tax_b)], ['20', '20']
        )
        self.assertEqual(
            [self._mapping(method, 'PaymentMethod', 'payment_method').qbo_id for method in (line, legacy_line)],
            ['30', '30'],
        )
        self.assertEqual(self._mapping(bank, 'Account', 'bank_account').qbo_id, '40')
        self.assertEqual(self._mapping(cash, 'Account', 'undeposited').qbo_id, '41')
        self.assertEqual(self._mapping(income, 'Account', 'income_account').qbo_id, '42')
        self.assertEqual((invoice.qbo_id, credit_note.qbo_id), ('100', '101'))
        self.assertEqual(self._mapping(credit_note, 'Payment', 'credit_application').qbo_id, '102')
        self.assertEqual(self._mapping(received, 'Payment').qbo_id, '103')
        self.assertEqual(self._mapping(received, 'SalesReceipt', 'receipt').qbo_id, '104')
        self.assertEqual((refund.qbo_id, self._mapping(refund, 'Payment', 'refund_link').qbo_id), ('105', '106'))
        self.assertEqual(self._mapping(self.company.currency_id, 'Account', 'receivable').qbo_id, '56')
        self.assertEqual(self._mapping(eur, 'Account', 'receivable').qbo_id, '57')

        connection = self.connection.sudo()
        self.assertEqual(
            [
                connection[name]
                for name in (
                    'default_class_qbo_id',
                    'default_class_qbo_name',
                    'unmatched_item_qbo_id',
                    'tax_item_qbo_id',
                    'tax_item_qbo_name',
                    'tax_item_account_qbo_id',
                    'income_account_qbo_id',
                    'refund_account_qbo_id',
                    'refund_account_qbo_name',
                    'refund_account_qbo_type',
                )
            ],
            ['50', 'Landscaping', '51', '52', 'Taxes and Fees', '54', '55', '58', 'Visa', 'Credit Card'],
        )
        self.assertEqual(connection._qbo_tax_item_ids(), {'52', '53'}, 'a former tax item stays tax')
        self.assertFalse(
            self.env['qbo.mapping'].sudo().search([('res_model', '=', 'qbo.connection')]),
            'the connection holds its own choices',
        )
        self.assertFalse(self.env['qbo.mapping'].sudo().search([('qbo_entity', 'like', ':')]), 'no ids inside strings')

    def test_upgraded_documents_are_updated_not_sent_again(self):
        """After the upgrade the push finds what the old rows bound: an invoice sent before is
        updated in place, its customer and items reused."""
        invoice = self._invoice()
        self._run_queue()
        qbo_invoice = self._qbo_doc('Invoice', invoice.name)
        customers, items = len(self._qbo('Customer')), len(self._qbo('Item'))
        # The same links, as 19.0.1.0.0 kept them.
        mappings = self.env['qbo.mapping'].sudo().search([('connection_id', '=', self.connection.id)])
        old_kind = {
            'record': lambda m: m.qbo_entity,
            'tax_code': lambda m: f'TaxCode:{m.res_id}',
            'income_account': lambda m: 'Account:Income:Odoo',
            'term': lambda m: 'Term',
        }
        old = [(self.env[m.res_model].browse(m.res_id), old_kind[m.role](m), m.qbo_id, m.qbo_name) for m in mappings]
        mappings.unlink()
        for row in old:
            self._old_row(*row)
        self._upgrade()
        invoice.button_draft()
        invoice.ref = 'After the upgrade'
        invoice.action_post()
        self._run_queue()
        updated = self._qbo_doc('Invoice', invoice.name)
        self.assertEqual((updated['Id'], updated['CustomerMemo']['value']), (qbo_invoice['Id'], 'After the upgrade'))
        self.assertEqual((len(self._qbo('Customer')), len(self._qbo('Item'))), (customers, items))
        self._assert_books_agree(invoice, updated)


@tagged('post_install', '-at_install')
class TestLogRetentionMigration(QboConnectedCase):
    """A database of 19.0.1.1.0 keeps the call log as long as its system parameter said, now on
    every connection, and the parameter is gone."""

    def _upgrade(self, param):
        other = (
            self.env['qbo.connection'].sudo().create({'company_id': self.env['res.company'].create({'name': 'B'}).id})
        )
        connections = self.connection | other
        # What the ORM leaves before the script runs: the new column, at its default.
        self.assertEqual(connections.mapped('log_retention_days'), [90, 90])
        params = self.env['ir.config_parameter'].sudo()
        if param is not None:
            params.set_param('qbo_connector.log_retention_days', param)
        run_migration(self.env, RETENTION_MIGRATION, '19.0.1.1.0')
        self.assertFalse(params.get_param('qbo_connector.log_retention_days'), 'the parameter is gone')
        return connections.mapped('log_retention_days')

    def test_the_system_parameter_goes_to_every_connection(self):
        self.assertEqual(self._upgrade('30'), [30, 30])

    def test_keep_everything_stays_so(self):
        self.assertEqual(self._upgrade('0'), [0, 0])

    def test_no_parameter_keeps_the_default(self):
        self.assertEqual(self._upgrade(None), [90, 90])

    def test_a_parameter_that_is_no_number_keeps_the_default(self):
        self.assertEqual(self._upgrade('ninety'), [90, 90])


@tagged('post_install', '-at_install')
class TestReceiptsUsedMigration(QboConnectedCase):
    """A database of 19.0.1.2.0: the connections that may hold receipts in QuickBooks (receipts
    on, a receipt linked, or one sent according to the call log) look receipts up after a lost
    answer; the others no longer do."""

    def test_connections_that_may_hold_receipts_are_marked(self):
        def connection(name):
            company = self.env['res.company'].create({'name': name})
            return self.env['qbo.connection'].sudo().create({'company_id': company.id})

        on, linked, logged, never = (connection(n) for n in ('On', 'Linked', 'Logged', 'Never'))
        self.env.cr.execute(
            "UPDATE qbo_connection SET receipts_paid_at_once = (id = %s), receipts_used = FALSE WHERE id IN %s",
            [on.id, (on.id, linked.id, logged.id, never.id)],
        )
        self.env['qbo.mapping'].sudo().create(
            {
                'connection_id': linked.id,
                'res_model': 'res.partner',
                'res_id': self.env.user.partner_id.id,
                'qbo_entity': 'SalesReceipt',
                'qbo_id': '77',
            }
        )
        self.env['qbo.sync.log'].sudo().create(
            {'connection_id': logged.id, 'method': 'POST', 'endpoint': '/v3/company/1/refundreceipt', 'http_status': 0}
        )
        run_migration(self.env, RECEIPTS_MIGRATION, '19.0.1.2.0')
        self.assertEqual([c.receipts_used for c in (on, linked, logged, never)], [True, True, True, False])


@tagged('post_install', '-at_install')
class TestInitialSyncMarkMigration(QboConnectedCase):
    """A database of 19.0.1.3.0: the customers and items its initial syncs created (those of
    their time window, as the undo listed them then) are marked as theirs; others are not."""

    def test_the_windows_created_names_become_the_syncs(self):
        sync = self.env['qbo.initial.sync'].sudo().create({'connection_id': self.connection.id})
        partners = self.env['res.partner'].create([{'name': n} for n in ('In window', 'Found', 'Later')])
        mappings = (
            self.env['qbo.mapping']
            .sudo()
            .create(
                [
                    {
                        'connection_id': self.connection.id,
                        'res_model': 'res.partner',
                        'res_id': partner.id,
                        'qbo_entity': 'Customer',
                        'qbo_id': str(90 + index),
                        'origin': origin,
                    }
                    for index, (partner, origin) in enumerate(zip(partners, ('created', 'found', 'created')))
                ]
            )
        )
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE qbo_initial_sync SET started_at = now() AT TIME ZONE 'UTC' - interval '2 hours', "
            "finished_at = now() AT TIME ZONE 'UTC' - interval '1 hour' WHERE id = %s",
            [sync.id],
        )
        for interval, mapping in zip(('90 minutes', '90 minutes', '10 minutes'), mappings):
            self.env.cr.execute(
                "UPDATE qbo_mapping SET initial_sync_id = NULL, "
                "create_date = now() AT TIME ZONE 'UTC' - %s::interval WHERE id = %s",
                [interval, mapping.id],
            )
        run_migration(self.env, UNDO_MIGRATION, '19.0.1.3.0')
        self.assertEqual(mappings.mapped('initial_sync_id.id'), [sync.id])
        self.assertEqual(mappings[0].initial_sync_id, sync)
