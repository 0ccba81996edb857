import os

from odoo import api, models

from ..exceptions import QboDuplicateError, QboValidationError
from ..tools.qbo_client import qbo_quote
from ..tools.qbo_names import qbo_name, qbo_name_with_suffix, qbo_same_name, qbo_unclaimed

# QuickBooks' length limits (2050 beyond them).
ITEM_NAME_MAX = 100
SKU_MAX = 100
DESCRIPTION_MAX = 4000
# Lines without a product still need an ItemRef: they all go to this one item.
UNMATCHED_ITEM_NAME = 'Odoo item'
# The income account new items book to: the first of these names QuickBooks companies
# are created with, else the oldest income account.
INCOME_ACCOUNT_NAMES = ('Sales', 'Sales of Product Income', 'Services')
INCOME_ACCOUNT_ENTITY = 'Account:Income'


class ProductProduct(models.Model):
    _inherit = 'product.product'

    # ------------------------------------------------------------------
    # Item reference (called by the invoice push)
    # ------------------------------------------------------------------

    def _qbo_item_ref(self, connection, client):
        """The QuickBooks item of this product, as a reference; an empty recordset (a line
        without product) gets the connection's "unmatched item". Once mapped, no request
        is made."""
        if self:
            self.ensure_one()
            record = self.sudo()
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
            item = {'Name': UNMATCHED_ITEM_NAME, 'Type': 'Service'}
        mappings = self.env['qbo.mapping'].sudo()
        mapping = mappings._qbo_find(connection, record, 'Item')
        if not mapping:
            found = self._qbo_match_or_create_item(connection, client, record, {k: v for k, v in item.items() if v})
            mapping = mappings._qbo_link(connection, record, 'Item', found)
        return {'value': mapping.qbo_id, 'name': mapping.qbo_name}

    # ------------------------------------------------------------------
    # The item matcher
    # ------------------------------------------------------------------

    @api.model
    def _qbo_match_or_create_item(self, connection, client, record, values, income_account=None):
        """The QuickBooks item for ``record`` (a product, or the connection for the unmatched
        item): by Sku, then by Name (case-insensitive, as QuickBooks keeps names unique),
        else created. Inactive items count (QuickBooks keeps their names taken) and are
        made active again. An item another Odoo record is bound to, a category, or one of
        the same name but another Sku (both having one) is a different product: this one
        is then created under its name followed by its Odoo id, a name it is found by
        again should its mapping be lost. A new item books to the account ``income_account``
        (a function of connection and client) gives, by default the connection's income account."""
        name, sku = values['Name'], values.get('Sku')
        # Not translated: the name must come out the same whoever runs the job.
        names = [name, qbo_name_with_suffix(name, f'Odoo {record.id}', ITEM_NAME_MAX)]

        def usable(items):
            items = [item for item in items if item.get('Type') != 'Category']
            return sorted(qbo_unclaimed(self.env, connection, 'Item', record, items), key=lambda item: item.get('Active') is False)

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
            item = found[0]
            if item.get('Active') is False:
                item = client.update('Item', {'Id': item['Id'], 'SyncToken': item['SyncToken'], 'Active': True})
            return item
        values = dict(values, IncomeAccountRef=(income_account or self._qbo_income_account_ref)(connection, client))
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
    def _qbo_income_account_ref(self, connection, client):
        """The income account new items book to, chosen once per connection."""
        record = connection.sudo()
        mappings = self.env['qbo.mapping'].sudo()
        mapping = mappings._qbo_find(connection, record, INCOME_ACCOUNT_ENTITY)
        if not mapping:
            accounts = [
                account for account in client.query("SELECT * FROM Account WHERE AccountType = 'Income'")
                if account.get('AccountSubType') != 'DiscountsRefundsGiven'
            ]
            if not accounts:
                raise QboValidationError('no_income_account', self.env._(
                    'The QuickBooks company has no active income account to book new products and services to: '
                    'create one in QuickBooks (e.g. "Sales"), then send the document again.'))
            rank = {name.casefold(): index for index, name in enumerate(INCOME_ACCOUNT_NAMES)}
            account = min(accounts, key=lambda account: (
                rank.get(account.get('Name', '').casefold(), len(rank)),
                int(account['Id']) if str(account['Id']).isdigit() else 0))
            mapping = mappings._qbo_link(connection, record, INCOME_ACCOUNT_ENTITY, account)
        return {'value': mapping.qbo_id, 'name': mapping.qbo_name}
