import os

from odoo import api, models

from ..exceptions import QboDuplicateError, QboValidationError
from ..tools.qbo_client import qbo_quote
from ..tools.qbo_names import qbo_name, qbo_name_with_suffix, qbo_same_name, qbo_unclaimed

# QuickBooks' length limits (2050 beyond them).
ITEM_NAME_MAX = 100
SKU_MAX = 100
DESCRIPTION_MAX = 4000
# Lines without a product still need an ItemRef: they all go to one item, this one unless
# the connection names another.
UNMATCHED_ITEM_NAME = 'Odoo item'
# The income account new items book to when none is named like the product's Odoo income
# account and the connection names none: the first of these names QuickBooks companies are
# created with, else the oldest income account.
INCOME_ACCOUNT_NAMES = ('Sales', 'Sales of Product Income', 'Services')
INCOME_ACCOUNT_ENTITY = 'Account:Income'
# The income account the connection's "Default income account" names, once found.
NAMED_INCOME_ACCOUNT_ENTITY = 'Account:Income:Default'
# The QuickBooks income account named like an Odoo income account (mapped from account.account).
ODOO_INCOME_ACCOUNT_ENTITY = 'Account:Income:Odoo'


class ProductProduct(models.Model):
    _inherit = 'product.product'

    # ------------------------------------------------------------------
    # Item reference (called by the invoice push)
    # ------------------------------------------------------------------

    def _qbo_item_ref(self, connection, client):
        """The QuickBooks item of this product, as a reference; an empty recordset (a line
        without product) gets the connection's "item for unmatched lines". Once mapped, no
        request is made (unless that setting names another item since)."""
        mappings = self.env['qbo.mapping'].sudo()
        if self:
            self.ensure_one()
            record = self.sudo()
            mapping = mappings._qbo_find(connection, record, 'Item')
            if not mapping:
                # Read only when the product is not mapped yet: the usual line costs no query
                # of the product.
                item = {
                    'Name': qbo_name(record.with_context(display_default_code=False).display_name, ITEM_NAME_MAX)
                    or f'Odoo product {record.id}',
                    'Type': 'Service' if record.type == 'service' else 'NonInventory',
                    'Sku': (record.default_code or '').strip()[:SKU_MAX],
                    'Description': (record.description_sale or '')[:DESCRIPTION_MAX],
                    'UnitPrice': record.lst_price,
                }
        else:
            record = connection.sudo()
            item = {'Name': qbo_name(record.unmatched_item_name, ITEM_NAME_MAX) or UNMATCHED_ITEM_NAME, 'Type': 'Service'}
            mapping = mappings._qbo_find(connection, record, 'Item')
            if mapping and not any(qbo_same_name(mapping.qbo_name, name) for name in self._qbo_item_names(item['Name'], record)):
                mapping = None  # the setting names another item now
        if not mapping:
            found = self._qbo_match_or_create_item(connection, client, record, {k: v for k, v in item.items() if v})
            mapping = mappings._qbo_link(connection, record, 'Item', found)
        return {'value': mapping.qbo_id, 'name': mapping.qbo_name}

    # ------------------------------------------------------------------
    # The item matcher
    # ------------------------------------------------------------------

    @api.model
    def _qbo_match_or_create_item(self, connection, client, record, values, income_account=None, kind='Item'):
        """The QuickBooks item for ``record`` (a product, or the connection for the unmatched
        item): by Sku, then by Name (case-insensitive, as QuickBooks keeps names unique),
        else created. Inactive items count (QuickBooks keeps their names taken) and are
        made active again. An item another Odoo record is bound to, a category, or one of
        the same name but another Sku (both having one) is a different product: this one
        is then created under its name followed by its Odoo id, a name it is found by
        again should its mapping be lost. A new item books to the account ``income_account``
        (a function of connection and client) gives, by default the connection's income account.
        ``kind``: the mapping kind the item is for, Item or the tax item's (which never share
        an item, see qbo_unclaimed)."""
        name, sku = values['Name'], values.get('Sku')
        names = self._qbo_item_names(name, record)

        def usable(items):
            items = [item for item in items if item.get('Type') != 'Category']
            return sorted(qbo_unclaimed(self.env, connection, kind, record, items), key=lambda item: item.get('Active') is False)

        found = usable(client.query(f'SELECT * FROM Item WHERE Sku = {qbo_quote(sku)} AND Active IN (true, false)')) if sku else []
        if not found:
            prefix = os.path.commonprefix(names)
            found = usable([
                item for item in client.query(
                    f'SELECT * FROM Item WHERE Name LIKE {qbo_quote(prefix + "%")} AND Active IN (true, false)')
                if any(qbo_same_name(item.get('Name'), n) for n in names)
                and not (sku and item.get('Sku') and not qbo_same_name(item['Sku'], sku))
            ])
        if found:
            return client.activate('Item', found[0])
        values = dict(values, IncomeAccountRef=income_account(connection, client) if income_account
                      else self._qbo_item_income_account_ref(connection, client, record))
        for candidate in names:
            try:
                return client.create('Item', dict(values, Name=candidate))
            except QboDuplicateError as error:
                duplicate = error
        raise QboValidationError(duplicate.code, self.env._(
            'QuickBooks already uses the names %(names)s for other products and services: rename the product '
            '%(product)s, or the QuickBooks items holding these names.',
            names=', '.join(names), product=record.display_name), duplicate.detail)

    @api.model
    def _qbo_item_names(self, name, record):
        """The names an item is found by: its own, then followed by its Odoo id (the name it
        is created under when its own is taken). Not translated: the name must come out the
        same whoever runs the job."""
        return [name, qbo_name_with_suffix(name, f'Odoo {record.id}', ITEM_NAME_MAX)]

    # ------------------------------------------------------------------
    # Income account of new items
    # ------------------------------------------------------------------

    @api.model
    def _qbo_item_income_account_ref(self, connection, client, record):
        """The income account a new item for ``record`` books to: the QuickBooks Income
        account named like the product's income account in Odoo (its own, else its
        category's), with or without the Odoo code and in any case; else the connection's
        default income account. Found once per Odoo account, then mapped; an Odoo account
        QuickBooks has no namesake for costs one query per new item."""
        account = record._qbo_odoo_income_account(connection) if record._name == self._name else None
        if not account:
            return self._qbo_income_account_ref(connection, client)
        mappings = self.env['qbo.mapping'].sudo()
        mapping = mappings._qbo_find(connection, account, ODOO_INCOME_ACCOUNT_ENTITY)
        if mapping:
            return {'value': mapping.qbo_id, 'name': mapping.qbo_name}
        accounts = self._qbo_income_accounts(client)
        code = account.with_company(connection.company_id).code
        names = [account.name, f'{code} {account.name}' if code else None]
        named = [a for a in accounts if any(name and qbo_same_name(a.get('Name'), name) for name in names)]
        if not named:
            return self._qbo_income_account_ref(connection, client, accounts)
        # Another Odoo account of the same name took the mapping: this one uses it all the same.
        unclaimed = qbo_unclaimed(self.env, connection, ODOO_INCOME_ACCOUNT_ENTITY, account, named)
        if unclaimed:
            mapping = mappings._qbo_link(connection, account, ODOO_INCOME_ACCOUNT_ENTITY, unclaimed[0])
            return {'value': mapping.qbo_id, 'name': mapping.qbo_name}
        return {'value': named[0]['Id'], 'name': named[0].get('Name')}

    def _qbo_odoo_income_account(self, connection):
        """The product's income account in the connection's company: its own, else the first
        of its category and the category's parents. Not the company's default income
        account, which Odoo would also fall back on: that is what the connection's default
        income account stands for in QuickBooks."""
        self.ensure_one()
        product = self.with_company(connection.company_id).sudo()
        return product.property_account_income_id or product.product_tmpl_id._get_category_account(
            'property_account_income_categ_id')

    @api.model
    def _qbo_income_accounts(self, client):
        return client.query("SELECT * FROM Account WHERE AccountType = 'Income' MAXRESULTS 1000")

    @api.model
    def _qbo_income_account_ref(self, connection, client, accounts=None):
        """The connection's default income account: the one its "Default income account"
        names, else the first of INCOME_ACCOUNT_NAMES QuickBooks has, else the oldest income
        account. Chosen once (and again when the setting names another one), then mapped.
        ``accounts``: QuickBooks' income accounts, when they were just read."""
        record = connection.sudo()
        name = record.default_income_account_name
        entity = NAMED_INCOME_ACCOUNT_ENTITY if name else INCOME_ACCOUNT_ENTITY
        mappings = self.env['qbo.mapping'].sudo()
        mapping = mappings._qbo_find(connection, record, entity)
        if mapping and name and not qbo_same_name(mapping.qbo_name, name):
            mapping = None
        if not mapping:
            if accounts is None:
                accounts = self._qbo_income_accounts(client)
            if name:
                account = next((a for a in accounts if qbo_same_name(a.get('Name'), name)), None)
                if not account:
                    raise QboValidationError('no_income_account', self.env._(
                        'QuickBooks has no income account named "%(name)s", the default income account of the '
                        'QuickBooks settings: create it in QuickBooks or change the setting, then send the document '
                        'again.', name=name))
            else:
                accounts = [a for a in accounts if a.get('AccountSubType') != 'DiscountsRefundsGiven']
                if not accounts:
                    raise QboValidationError('no_income_account', self.env._(
                        'The QuickBooks company has no active income account to book new products and services to: '
                        'create one in QuickBooks (e.g. "Sales"), then send the document again.'))
                rank = {n.casefold(): index for index, n in enumerate(INCOME_ACCOUNT_NAMES)}
                account = min(accounts, key=lambda a: (
                    rank.get(a.get('Name', '').casefold(), len(rank)),
                    int(a['Id']) if str(a['Id']).isdigit() else 0))
            mapping = mappings._qbo_link(connection, record, entity, account)
        return {'value': mapping.qbo_id, 'name': mapping.qbo_name}
