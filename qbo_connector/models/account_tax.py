from odoo import api, fields, models
from odoo.tools import float_is_zero

from ..exceptions import QboValidationError
from ..tools.qbo_names import qbo_name
from .product_product import ITEM_NAME_MAX
from .qbo_tax_code import RATE_DIGITS

# Lines without tax still need a tax code outside the US: the connection's "Tax code for
# untaxed lines", else the one suggested among the 0 % codes, preferring this name.
UNTAXED_HINT = 'Exempt'
# The item taxes travelling as lines of their own go under, unless the connection names another.
TAX_ITEM_NAME = 'Taxes and Fees'


class AccountTax(models.Model):
    _inherit = 'account.tax'

    qbo_as_line = fields.Boolean(
        string='QuickBooks: Send as a Line',
        copy=False,
        help='Send the amount of this tax to QuickBooks as a line of its own, under the tax item, rather than '
        'as a QuickBooks tax code. Fixed-amount taxes always go this way.',
    )

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
            raise QboValidationError(
                'tax_mapping',
                self.env._(
                    'A line with several taxes (%(taxes)s) cannot go to QuickBooks, which takes one tax code per line: '
                    'use one Odoo tax (a group of taxes if needed) mapped to a QuickBooks tax code.',
                    taxes=', '.join(taxes.mapped('name')),
                ),
            )
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
            raise QboValidationError(
                'tax_mapping',
                self.env._(
                    'QuickBooks applies one sales tax rate to a whole invoice in the US, but this one has taxes going '
                    'to different QuickBooks tax codes (%(taxes)s): invoice them separately, or map them to one code '
                    'in QuickBooks Online → Tax Mapping.',
                    taxes=', '.join(charged.mapped('name')),
                ),
            )
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
        """The QuickBooks TaxCode ``tax`` (one tax, or none for untaxed lines) goes to.

        A tax's code is the one chosen on the tax mapping screen, else, for a tax first met, the
        code of the same rate (taxes map many to one: role tax_code); none matching is an error
        telling the user where to map it. Lines without tax take the connection's tax code for
        untaxed lines, else the 0 % code suggested among the codes last read."""
        codes = self.env['qbo.tax.code'].sudo()
        if not tax:
            code = (
                connection.untaxed_tax_code_id.sudo()
                or codes._qbo_of_connection(connection)._qbo_suggest(0.0, UNTAXED_HINT)
                or codes._qbo_refresh(connection, client)._qbo_suggest(0.0, UNTAXED_HINT)
            )
            if not code:
                raise QboValidationError(
                    'tax_mapping',
                    self.env._(
                        'Lines without tax need a QuickBooks tax code with a 0 % rate (e.g. "Exempt" or "Zero-rated"): '
                        'create one in QuickBooks (it may then be chosen as the tax code for untaxed lines in '
                        'Settings → QuickBooks Online), then retry the document.'
                    ),
                )
            return {'value': code.qbo_id, 'name': code.name}

        def find():
            rate = tax._qbo_rate()
            code = codes._qbo_refresh(connection, client)._qbo_suggest(rate, tax.name)
            if not code:
                raise QboValidationError(
                    'tax_mapping',
                    self.env._(
                        'Map the Odoo tax "%(tax)s" to a QuickBooks tax code: no QuickBooks tax code has its rate '
                        '(%(rate)s). Choose its code in Invoicing → Configuration → QuickBooks Online → Tax Mapping '
                        '(or Settings → QuickBooks Online → Tax Mapping), or send it as a line there; then retry '
                        'the document.',
                        tax=tax.name,
                        rate=f'{rate:g} %' if rate is not None else self.env._('not a percentage'),
                    ),
                )
            return {'Id': code.qbo_id, 'Name': code.name}

        return self.env['qbo.mapping']._qbo_resolve(connection, tax.sudo(), 'TaxCode', find, role='tax_code')

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
        """The connection's tax item as a QuickBooks reference: the item named in Settings, found
        by name (or created, booking to a liability account), then kept. Never a product's item,
        nor the item of unmatched lines (product.product._qbo_taken_item_ids)."""
        name = qbo_name(connection.tax_item_name, ITEM_NAME_MAX)
        if not name:
            raise QboValidationError(
                'tax_item',
                self.env._(
                    'Some taxes of this document go to QuickBooks as lines of their own (fixed amounts, or taxes '
                    'marked '
                    'so in the tax mapping), which needs a tax item: name one in Settings → QuickBooks Online → Tax '
                    'item, '
                    'then retry the document.'
                ),
            )
        return connection._qbo_found_ref(
            'tax_item',
            lambda: self.env['product.product']._qbo_match_or_create_item(
                connection,
                client,
                connection.sudo(),
                {'Name': name, 'Type': 'Service'},
                income_account=self.env['account.account']._qbo_tax_item_account_ref,
                use='tax',
            ),
        )
