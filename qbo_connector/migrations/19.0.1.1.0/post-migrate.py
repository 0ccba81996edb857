"""19.0.1.1.0: the typed mapping.

Mappings were told apart by a string kind with ids inside ("TaxCode:12", "Customer:EUR",
"Account:Undeposited:7", "SalesReceipt:Payment") and connection-level choices were mappings
of the connection itself. They become an entity, a role and a currency on the mapping, and
fields of the connection. Runs after the ORM added the new columns and indexes; the old
indexes, which the new shared roles would violate, go first."""

import logging

from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# Old kind -> (entity, role), for the kinds held by an ordinary Odoo record.
RECORD_KINDS = {
    ('product.product', 'Item'): ('Item', 'record'),
    ('account.payment.term', 'Term'): ('Term', 'term'),
    ('account.account', 'Account:Income:Odoo'): ('Account', 'income_account'),
    ('account.journal', 'Account:Bank'): ('Account', 'bank_account'),
    ('account.move', 'Payment'): ('Payment', 'credit_application'),
    ('account.payment', 'SalesReceipt:Payment'): ('SalesReceipt', 'receipt'),
    ('account.payment', 'RefundReceipt:Payment'): ('RefundReceipt', 'receipt'),
    ('account.payment', 'Purchase'): ('Purchase', 'record'),
}
DOCUMENT_ENTITIES = ('Invoice', 'CreditMemo', 'SalesReceipt', 'RefundReceipt')
# Kinds of the connection itself -> the fields of the connection that keep them.
CONNECTION_FIELDS = {
    'Class': ('default_class_qbo_id', 'default_class_qbo_name'),
    'Item': ('unmatched_item_qbo_id', 'unmatched_item_qbo_name'),
    'Item:tax': ('tax_item_qbo_id', 'tax_item_qbo_name'),
    'Account:TaxItem': ('tax_item_account_qbo_id', 'tax_item_account_qbo_name'),
}


def migrate(cr, version):
    if not version:
        return
    cr.execute("DROP INDEX IF EXISTS qbo_mapping_odoo_unique")
    cr.execute("DROP INDEX IF EXISTS qbo_mapping_qbo_unique")
    _migrate_record_kinds(cr)
    _migrate_connection_kinds(cr)
    cr.execute(
        "SELECT id, qbo_entity FROM qbo_mapping WHERE qbo_entity NOT IN %s",
        [
            (
                'Customer',
                'Item',
                'Term',
                'PaymentMethod',
                'TaxCode',
                'Account',
                'Payment',
                'Purchase',
                *DOCUMENT_ENTITIES,
            )
        ],
    )
    for mapping_id, kind in cr.fetchall():
        _logger.warning('qbo_connector migration: mapping %s of unknown kind %r removed', mapping_id, kind)
        cr.execute("DELETE FROM qbo_mapping WHERE id = %s", [mapping_id])


def _migrate_record_kinds(cr):
    cr.execute("SELECT id, name FROM res_currency")
    currency_ids = {name: currency_id for currency_id, name in cr.fetchall()}
    cr.execute("SELECT id FROM account_payment WHERE payment_type = 'outbound'")
    refunds = {payment_id for (payment_id,) in cr.fetchall()}
    cr.execute("SELECT id, res_model, res_id, qbo_entity FROM qbo_mapping WHERE res_model != 'qbo.connection'")
    for mapping_id, model, res_id, kind in cr.fetchall():
        new = _new_kind(model, res_id, kind, currency_ids, refunds)
        if not new:
            continue
        entity, role, currency_id = new
        # A line mapped both as "PaymentMethod:<id>" and by the older "PaymentMethod" keeps the newer.
        cr.execute(
            """
            DELETE FROM qbo_mapping old USING qbo_mapping m
             WHERE m.id = %s AND old.id != m.id AND old.connection_id = m.connection_id AND old.res_model = m.res_model
               AND old.res_id = m.res_id AND old.qbo_entity = %s AND old.role = %s
               AND COALESCE(old.currency_id, 0) = COALESCE(%s, 0)
        """,
            [mapping_id, entity, role, currency_id],
        )
        cr.execute(
            "UPDATE qbo_mapping SET qbo_entity = %s, role = %s, currency_id = %s WHERE id = %s",
            [entity, role, currency_id, mapping_id],
        )
    # The document's QuickBooks id now comes from its mapping.
    cr.execute("ALTER TABLE account_move DROP COLUMN IF EXISTS qbo_id")
    cr.execute("ALTER TABLE account_payment DROP COLUMN IF EXISTS qbo_id")


def _new_kind(model, res_id, kind, currency_ids, refunds):
    """(entity, role, currency id) of a mapping of an Odoo record of 19.0.1.0.0, or None
    when it is unknown (removed) or already typed."""
    base, _sep, qualifier = kind.partition(':')
    if model == 'res.partner' and base in ('Customer', 'Job'):
        role = 'sub_customer' if base == 'Job' else 'record'
        return 'Customer', role, currency_ids.get(qualifier) if qualifier else None
    if model == 'account.tax' and base == 'TaxCode':
        return 'TaxCode', 'tax_code', None
    if model == 'account.payment.method.line' and base == 'PaymentMethod':
        return 'PaymentMethod', 'payment_method', None
    if model == 'account.journal' and kind.startswith('Account:Undeposited:'):
        return 'Account', 'undeposited', None
    if model == 'account.payment' and kind == 'Payment' and res_id in refunds:
        return 'Payment', 'refund_link', None
    if (model, kind) in RECORD_KINDS:
        return (*RECORD_KINDS[model, kind], None)
    if model in ('account.move', 'account.payment') and kind in (*DOCUMENT_ENTITIES, 'Payment', 'Purchase'):
        return kind, 'record', None
    return None


def _migrate_connection_kinds(cr):
    cr.execute("""
        SELECT m.id, m.connection_id, m.qbo_entity, m.qbo_id, m.qbo_name,
               c.default_income_account_name, c.qbo_currency_code, company_currency.name
          FROM qbo_mapping m
          JOIN qbo_connection c ON c.id = m.connection_id
          JOIN res_company company ON company.id = c.company_id
          JOIN res_currency company_currency ON company_currency.id = company.currency_id
         WHERE m.res_model = 'qbo.connection'
    """)
    for mapping_id, connection_id, kind, qbo_id, qbo_name, income_name, home, company_currency in cr.fetchall():
        fields = CONNECTION_FIELDS.get(kind)
        if kind.startswith('Item:tax:'):
            # A former tax item: its lines stay tax.
            cr.execute(
                """
                INSERT INTO qbo_tax_item (connection_id, company_id, qbo_id, name, create_date, write_date)
                SELECT c.id, c.company_id, %s, COALESCE(%s, %s), now() at time zone 'UTC', now() at time zone 'UTC'
                  FROM qbo_connection c WHERE c.id = %s
                ON CONFLICT DO NOTHING
            """,
                [qbo_id, qbo_name, qbo_id, connection_id],
            )
        elif kind.startswith('Account:Receivable'):
            code = kind.removeprefix('Account:Receivable').removeprefix(':') or home or company_currency
            cr.execute(
                """
                INSERT INTO qbo_mapping (connection_id, company_id, res_model, res_id, qbo_entity, role, qbo_id,
                                         sync_token, qbo_name, create_date, write_date)
                SELECT m.connection_id, m.company_id, 'res.currency', cur.id, 'Account', 'receivable', m.qbo_id,
                       m.sync_token, m.qbo_name, m.create_date, m.write_date
                  FROM qbo_mapping m, res_currency cur
                 WHERE m.id = %s AND cur.name = %s
            """,
                [mapping_id, code],
            )
        elif kind.startswith('Account:Refund:'):
            cr.execute(
                """
                UPDATE qbo_connection SET refund_account_qbo_id = %s, refund_account_qbo_name = %s,
                                          refund_account_qbo_type = %s WHERE id = %s
            """,
                [qbo_id, qbo_name, kind.removeprefix('Account:Refund:'), connection_id],
            )
        elif kind == ('Account:Income:Default' if income_name else 'Account:Income'):
            fields = ('income_account_qbo_id', 'income_account_qbo_name')
        if fields:
            cr.execute(
                SQL(
                    "UPDATE qbo_connection SET %s = %s, %s = %s WHERE id = %s",
                    SQL.identifier(fields[0]),
                    qbo_id,
                    SQL.identifier(fields[1]),
                    qbo_name,
                    connection_id,
                )
            )
        # "TaxCode:untaxed" (the suggested code for untaxed lines) is suggested anew from the
        # tax codes kept; "Account:Income" beside a named default income account is not used.
        cr.execute("DELETE FROM qbo_mapping WHERE id = %s", [mapping_id])
