import os

from odoo import api, models

from ..exceptions import QboDuplicateError, QboValidationError
from ..tools.qbo_client import qbo_quote
from ..tools.qbo_names import qbo_name, qbo_name_with_suffix, qbo_same_name

# QuickBooks' length limits (2050 beyond them).
ITEM_NAME_MAX = 100
SKU_MAX = 100
DESCRIPTION_MAX = 4000
# Lines without a product still need an ItemRef: they all go to one item, this one unless
# the connection names another.
UNMATCHED_ITEM_NAME = 'Odoo item'


class ProductProduct(models.Model):
    _inherit = 'product.product'

    # ------------------------------------------------------------------
    # Item reference (called by the invoice push)
    # ------------------------------------------------------------------

    def _qbo_item_ref(self, connection, client):
        """The QuickBooks item of this product, as a reference; an empty recordset (a line
        without product) gets the connection's item for unmatched lines. No request once found."""
        if not self:
            values = {
                'Name': qbo_name(connection.unmatched_item_name, ITEM_NAME_MAX) or UNMATCHED_ITEM_NAME,
                'Type': 'Service',
            }
            return connection._qbo_found_ref(
                'unmatched_item',
                lambda: self._qbo_match_or_create_item(connection, client, connection.sudo(), values, use='unmatched'),
            )
        self.ensure_one()
        product = self.sudo()
        return self.env['qbo.mapping']._qbo_resolve(
            connection,
            product,
            'Item',
            lambda: self._qbo_match_or_create_item(connection, client, product, product._qbo_prepare_values()),
        )

    def _qbo_prepare_values(self):
        """The mapper: this product as a QuickBooks Item (without its income account)."""
        self.ensure_one()
        values = {
            'Name': qbo_name(self.with_context(display_default_code=False).display_name, ITEM_NAME_MAX)
            or f'Odoo product {self.id}',
            'Type': 'Service' if self.type == 'service' else 'NonInventory',
            'Sku': (self.default_code or '').strip()[:SKU_MAX],
            'Description': (self.description_sale or '')[:DESCRIPTION_MAX],
            'UnitPrice': self.lst_price,
        }
        return {key: value for key, value in values.items() if value}

    # ------------------------------------------------------------------
    # The item matcher
    # ------------------------------------------------------------------

    @api.model
    def _qbo_match_or_create_item(self, connection, client, record, values, income_account=None, use='product'):
        """The QuickBooks item for ``record`` (a product, or the connection for the unmatched
        item): by Sku, then by Name (case-insensitive, as QuickBooks keeps names unique),
        else created. Inactive items count (QuickBooks keeps their names taken) and are
        made active again. An item another Odoo record is bound to, a category, or one of
        the same name but another Sku (both having one) is a different product: this one
        is then created under its name followed by its Odoo id, a name it is found by
        again should its mapping be lost. A new item books to the account ``income_account``
        (a function of connection and client) gives, by default the connection's income account.
        ``use``: what the item is for, 'product', 'unmatched' or 'tax' (_qbo_taken_item_ids)."""
        name, sku = values['Name'], values.get('Sku')
        names = item_names(name, record)

        def usable(items):
            taken = self._qbo_taken_item_ids(connection, record, use, [item['Id'] for item in items])
            return sorted(
                (item for item in items if item.get('Type') != 'Category' and str(item['Id']) not in taken),
                key=lambda item: item.get('Active') is False,
            )

        found = (
            usable(client.query(f'SELECT * FROM Item WHERE Sku = {qbo_quote(sku)} AND Active IN (true, false)'))
            if sku
            else []
        )
        if not found:
            prefix = os.path.commonprefix(names)
            found = usable(
                [
                    item
                    for item in client.query(
                        f'SELECT * FROM Item WHERE Name LIKE {qbo_quote(prefix + "%")} AND Active IN (true, false)'
                    )
                    if any(qbo_same_name(item.get('Name'), n) for n in names)
                    and not (sku and item.get('Sku') and not qbo_same_name(item['Sku'], sku))
                ]
            )
        if found:
            return client.activate('Item', found[0])
        values = dict(
            values,
            IncomeAccountRef=income_account(connection, client)
            if income_account
            else self.env['account.account']._qbo_new_item_income_account_ref(connection, client, record),
        )
        for candidate in names:
            try:
                return client.create('Item', dict(values, Name=candidate))
            except QboDuplicateError as error:
                duplicate = error
        raise QboValidationError(
            duplicate.code,
            self.env._(
                'QuickBooks already uses the names %(names)s for other products and services: rename the product '
                '%(product)s, or the QuickBooks items holding these names.',
                names=', '.join(names),
                product=record.display_name,
            ),
            duplicate.detail,
        )

    @api.model
    def _qbo_taken_item_ids(self, connection, record, use, qbo_ids):
        """Those of ``qbo_ids`` that ``record`` may not go under in ``use``: an item is one
        product's, or the item of unmatched lines, or a tax item (current or former), never two of
        these, so that the books check counts as tax exactly the tax items' lines."""
        conn = connection.sudo()
        qbo_ids = [str(qbo_id) for qbo_id in qbo_ids]
        products = (
            self.env['qbo.mapping']
            .sudo()
            .search(
                [
                    ('connection_id', '=', conn.id),
                    ('qbo_entity', '=', 'Item'),
                    ('role', '=', 'record'),
                    ('qbo_id', 'in', qbo_ids),
                    ('res_model', '=', self._name),
                ]
            )
        )
        taken = {
            mapping.qbo_id for mapping in products if (mapping.res_model, mapping.res_id) != (record._name, record.id)
        }
        if use != 'unmatched' and conn.unmatched_item_qbo_id:
            taken.add(conn.unmatched_item_qbo_id)
        if use != 'tax':
            taken |= conn._qbo_tax_item_ids()
        return taken

    def _qbo_odoo_income_account(self, connection):
        """The product's income account in the connection's company: its own, else the first
        of its category and the category's parents. Not the company's default income
        account, which Odoo would also fall back on: that is what the connection's default
        income account stands for in QuickBooks."""
        self.ensure_one()
        product = self.with_company(connection.company_id).sudo()
        return product.property_account_income_id or product.product_tmpl_id._get_category_account(
            'property_account_income_categ_id'
        )

    def _qbo_purchase_item_ref(self, connection, client):
        """The QuickBooks item of this product on a bill: its item (_qbo_item_ref); one created
        for a bill also says what buying it costs, the QuickBooks account of the product's Odoo
        expense account (ExpenseAccountRef), where QuickBooks books its bill lines. An item
        found in QuickBooks, or created for an invoice, keeps the accounts it has there."""
        self.ensure_one()
        product = self.sudo()
        mappings = self.env['qbo.mapping']
        if mappings._qbo_find(connection, product, 'Item'):
            return product._qbo_item_ref(connection, client)
        values = product._qbo_prepare_values()
        expense = product.with_company(connection.company_id)._qbo_odoo_expense_account()
        expense_ref = expense._qbo_expense_account_ref(connection, client, required=False) if expense else None
        if expense_ref:
            values['ExpenseAccountRef'] = expense_ref
        return mappings._qbo_resolve(
            connection,
            product,
            'Item',
            lambda: self._qbo_match_or_create_item(connection, client, product, values),
        )

    def _qbo_odoo_expense_account(self):
        """The product's expense account: its own, else its category's."""
        self.ensure_one()
        return self.property_account_expense_id or self.product_tmpl_id._get_category_account(
            'property_account_expense_categ_id'
        )


def item_names(name, record):
    """The names an item of ``record`` is found by: its own, then followed by its Odoo id (the
    name it is created under when its own is taken). Not translated: the name must come out the
    same whoever runs the job."""
    return [name, qbo_name_with_suffix(name, f'Odoo {record.id}', ITEM_NAME_MAX)]
