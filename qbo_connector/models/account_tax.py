from odoo import api, fields, models
from odoo.tools import float_is_zero

from ..exceptions import QboValidationError
from ..tools.qbo_client import qbo_quote
from ..tools.qbo_names import TAX_ITEM_ENTITY, qbo_name, qbo_name_with_suffix, qbo_same_name
from .qbo_tax_code import RATE_DIGITS

# Lines without tax still need a tax code outside the US: the connection's "Tax code for
# untaxed lines", else one suggested among the 0 % codes, preferring this name.
UNTAXED_ENTITY = 'TaxCode:untaxed'
UNTAXED_HINT = 'Exempt'
# The item taxes travelling as lines of their own go under (mapped as TAX_ITEM_ENTITY, and
# every item it was before as TAX_ITEM_ENTITY:<item id>), and the account it books to when
# the connector creates it: what Odoo collects for others is owed, not earned.
TAX_ITEM_NAME = 'Taxes and Fees'
TAX_ITEM_ACCOUNT_ENTITY = 'Account:TaxItem'
TAX_ITEM_ACCOUNT_NAME = 'Taxes and Fees Collected'
ITEM_NAME_MAX = 100


class AccountTax(models.Model):
    _inherit = 'account.tax'

    qbo_as_line = fields.Boolean(
        string='QuickBooks: Send as a Line', copy=False,
        help='Send the amount of this tax to QuickBooks as a line of its own, under the tax item, rather than '
             'as a QuickBooks tax code. Fixed-amount taxes always go this way.')

    # ------------------------------------------------------------------
    # Tax code references (called by the invoice push)
    # ------------------------------------------------------------------

    @api.model
    def _qbo_line_tax_code_ref(self, connection, client, taxes):
        """The TaxCodeRef of one invoice line with ``taxes``. US companies take the pseudo
        codes TAX / NON on lines (the rate comes from the invoice's TxnTaxCodeRef); other
        companies the mapped tax code of the line's tax. Taxes sent as lines of their own
        are not the line's: it goes as if they were not there."""
        if connection.qbo_country_code == 'US':
            return {'value': 'TAX' if self._qbo_charged(taxes) else 'NON'}
        taxes -= taxes._qbo_sent_as_line()
        if len(taxes) > 1:
            raise QboValidationError('tax_mapping', self.env._(
                'A line with several taxes (%(taxes)s) cannot go to QuickBooks, which takes one tax code per line: '
                'use one Odoo tax (a group of taxes if needed) mapped to a QuickBooks tax code.',
                taxes=', '.join(taxes.mapped('name'))))
        return self._qbo_tax_code_ref(connection, client, taxes)

    @api.model
    def _qbo_txn_tax_code_ref(self, connection, client, taxes):
        """The rate-bearing TaxCode of a US invoice whose lines carry ``taxes`` (QuickBooks
        applies one to all its taxable lines), or None when nothing is taxed. None outside
        the US (line codes carry the rates) and with Automated Sales Tax (QuickBooks
        computes the tax itself)."""
        if connection.qbo_country_code != 'US' or connection.qbo_automated_sales_tax:
            return None
        charged = self._qbo_charged(taxes)
        refs = {}
        for tax in charged:
            ref = self._qbo_tax_code_ref(connection, client, tax)
            refs.setdefault(ref['value'], ref)
        if len(refs) > 1:
            raise QboValidationError('tax_mapping', self.env._(
                'QuickBooks applies one sales tax rate to a whole invoice in the US, but this one has taxes going '
                'to different QuickBooks tax codes (%(taxes)s): invoice them separately, or map them to one code '
                'in QuickBooks Online → Tax Mapping.',
                taxes=', '.join(charged.mapped('name'))))
        return next(iter(refs.values()), None)

    @api.model
    def _qbo_charged(self, taxes):
        """The taxes that charge something through a tax code: a 0 % tax is an untaxed line
        to QuickBooks, and a tax sent as a line of its own is on no tax code."""
        taxes -= taxes._qbo_sent_as_line()
        return taxes.filtered(lambda tax: tax._qbo_rate() is None or not float_is_zero(tax._qbo_rate(), RATE_DIGITS))

    def _qbo_rate(self):
        """The percentage this tax charges, or None when it is not a rate (fixed amounts)."""
        self.ensure_one()
        if self.amount_type == 'group':
            rates = [child._qbo_rate() for child in self.children_tax_ids]
            return None if None in rates else sum(rates)
        if self.amount_type in ('percent', 'division'):
            return self.amount
        return None

    def _qbo_sent_as_line(self):
        """Those of these taxes that go to QuickBooks as lines of their own: the fixed amounts
        (eco-fees, deposits), which no QuickBooks tax code can carry, and the taxes marked so."""
        return self.filtered(lambda tax: tax.amount_type == 'fixed' or tax.qbo_as_line)

    # ------------------------------------------------------------------
    # Tax mapping: Odoo tax -> QuickBooks TaxCode, suggested by rate
    # ------------------------------------------------------------------

    @api.model
    def _qbo_tax_code_ref(self, connection, client, tax):
        """The QuickBooks TaxCode ``tax`` (one tax, or none for untaxed lines) maps to.

        Odoo taxes map many to one (a price-included and a price-excluded 5 % both go to
        GST), so each tax has its own mapping kind, ``TaxCode:<tax id>``: the mapping's
        unique index allows one Odoo record per QuickBooks object and kind. The mapping is
        the user's (the tax mapping screen) or, for a tax first met, the QuickBooks code of
        the same rate; none matching is an error telling the user where to map it. Lines
        without tax take the connection's tax code for untaxed lines, else a 0 % code."""
        if not tax and connection.untaxed_tax_code_id:
            code = connection.untaxed_tax_code_id.sudo()
            return {'value': code.qbo_id, 'name': code.name}
        record = tax.sudo() if tax else connection.sudo()
        entity = f'TaxCode:{tax.id}' if tax else UNTAXED_ENTITY
        mappings = self.env['qbo.mapping'].sudo()
        mapping = mappings._qbo_find(connection, record, entity)
        if not mapping:
            rate = tax._qbo_rate() if tax else 0.0
            codes = self.env['qbo.tax.code'].sudo()._qbo_refresh(connection, client)
            code = codes._qbo_suggest(rate, tax.name if tax else UNTAXED_HINT)
            if not code:
                raise QboValidationError('tax_mapping', self.env._(
                    'Map the Odoo tax "%(tax)s" to a QuickBooks tax code: no QuickBooks tax code has its rate '
                    '(%(rate)s). Choose its code in Invoicing → Configuration → QuickBooks Online → Tax Mapping '
                    '(or Settings → QuickBooks Online → Tax Mapping), or send it as a line there; then retry '
                    'the document.',
                    tax=tax.name, rate=f'{rate:g} %' if rate is not None else self.env._('not a percentage'))
                    if tax else self.env._(
                        'Lines without tax need a QuickBooks tax code with a 0 % rate (e.g. "Exempt" or "Zero-rated"): '
                        'create one in QuickBooks (it may then be chosen as the tax code for untaxed lines in '
                        'Settings → QuickBooks Online), then retry the document.'))
            mapping = mappings._qbo_link(connection, record, entity, {'Id': code.qbo_id, 'Name': code.name})
        return {'value': mapping.qbo_id, 'name': mapping.qbo_name}

    # ------------------------------------------------------------------
    # Taxes sent as lines (called by the invoice push)
    # ------------------------------------------------------------------

    def _qbo_prepare_as_line(self, connection, client, amount):
        """This tax, of ``amount`` on a document, as a QuickBooks line of the tax item: untaxed
        itself, so that QuickBooks' total is Odoo's (the document's TotalTax leaves it out)."""
        self.ensure_one()
        return {
            'DetailType': 'SalesItemLineDetail',
            'Amount': amount,
            'Description': self.invoice_label or self.name,
            'SalesItemLineDetail': {
                'ItemRef': self._qbo_tax_item_ref(connection, client),
                'Qty': 1,
                'UnitPrice': amount,
                'TaxCodeRef': self._qbo_line_tax_code_ref(connection, client, self.browse()),
            },
        }

    @api.model
    def _qbo_tax_item_ref(self, connection, client):
        """The connection's tax item as a QuickBooks reference: the item named in Settings,
        found by name (or created, booking to TAX_ITEM_ACCOUNT_NAME), then mapped. Never a
        product's item, nor the item of unmatched lines (qbo_unclaimed). When the setting
        names another item, the one used so far stays mapped as TAX_ITEM_ENTITY:<its id>:
        the lines of documents already sent under it are tax in the books check."""
        name = qbo_name(connection.tax_item_name, ITEM_NAME_MAX)
        if not name:
            raise QboValidationError('tax_item', self.env._(
                'Some taxes of this document go to QuickBooks as lines of their own (fixed amounts, or taxes marked '
                'so in the tax mapping), which needs a tax item: name one in Settings → QuickBooks Online → Tax item, '
                'then retry the document.'))
        record = connection.sudo()
        mappings = self.env['qbo.mapping'].sudo()
        mapping = mappings._qbo_find(connection, record, TAX_ITEM_ENTITY)
        # Created under "<name> (Odoo <id>)" when another product held the name: that is still it.
        names = (name, qbo_name_with_suffix(name, f'Odoo {record.id}', ITEM_NAME_MAX))
        if not mapping or not any(qbo_same_name(mapping.qbo_name, candidate) for candidate in names):
            item = self.env['product.product']._qbo_match_or_create_item(
                connection, client, record, {'Name': name, 'Type': 'Service'},
                income_account=self._qbo_tax_item_account_ref, kind=TAX_ITEM_ENTITY)
            if mapping:
                mappings._qbo_link(connection, record, f'{TAX_ITEM_ENTITY}:{mapping.qbo_id}',
                                   {'Id': mapping.qbo_id, 'Name': mapping.qbo_name})
            mapping = mappings._qbo_link(connection, record, TAX_ITEM_ENTITY, item)
        return {'value': mapping.qbo_id, 'name': mapping.qbo_name}

    @api.model
    def _qbo_tax_item_account_ref(self, connection, client):
        """The account a tax item created by the connector books to: an Other Current
        Liability named TAX_ITEM_ACCOUNT_NAME, found (made active again) or created. Not
        QuickBooks' own sales tax liability, which its tax centre keeps."""
        record = connection.sudo()
        mappings = self.env['qbo.mapping'].sudo()
        mapping = mappings._qbo_find(connection, record, TAX_ITEM_ACCOUNT_ENTITY)
        if not mapping:
            found = client.query(
                f'SELECT * FROM Account WHERE Name = {qbo_quote(TAX_ITEM_ACCOUNT_NAME)} AND Active IN (true, false)')
            account = client.activate('Account', found[0]) if found else None
            if not account:
                account = client.create('Account', {
                    'Name': TAX_ITEM_ACCOUNT_NAME, 'AccountType': 'Other Current Liability',
                    'AccountSubType': 'OtherCurrentLiabilities',
                    'Description': 'Taxes and fees invoiced in Odoo for others (eco-fees, deposits), sent as lines.'})
            mapping = mappings._qbo_link(connection, record, TAX_ITEM_ACCOUNT_ENTITY, account)
        return {'value': mapping.qbo_id, 'name': mapping.qbo_name}
