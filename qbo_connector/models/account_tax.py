from odoo import api, models
from odoo.tools import float_compare, float_is_zero

from ..exceptions import QboValidationError

RATE_DIGITS = 4
# Lines without tax still need a tax code outside the US: one code per connection,
# suggested among the 0 % codes, preferring this name.
UNTAXED_ENTITY = 'TaxCode:untaxed'
UNTAXED_HINT = 'Exempt'


class AccountTax(models.Model):
    _inherit = 'account.tax'

    # ------------------------------------------------------------------
    # Tax code references (called by the invoice push)
    # ------------------------------------------------------------------

    @api.model
    def _qbo_line_tax_code_ref(self, connection, client, taxes):
        """The TaxCodeRef of one invoice line with ``taxes``. US companies take the pseudo
        codes TAX / NON on lines (the rate comes from the invoice's TxnTaxCodeRef); other
        companies the mapped tax code of the line's tax."""
        if connection.qbo_country_code == 'US':
            return {'value': 'TAX' if self._qbo_charged(taxes) else 'NON'}
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
                'to different QuickBooks tax codes (%(taxes)s): invoice them separately.',
                taxes=', '.join(charged.mapped('name'))))
        return next(iter(refs.values()), None)

    @api.model
    def _qbo_charged(self, taxes):
        """The taxes that charge something (a 0 % tax is an untaxed line to QuickBooks)."""
        return taxes.filtered(lambda tax: tax.amount_type == 'fixed' and not float_is_zero(tax.amount, RATE_DIGITS)
                              or not float_is_zero(tax._qbo_rate() or 0.0, RATE_DIGITS))

    def _qbo_rate(self):
        """The percentage this tax charges, or None when it is not a rate (fixed amounts)."""
        self.ensure_one()
        if self.amount_type == 'group':
            rates = [child._qbo_rate() for child in self.children_tax_ids]
            return None if None in rates else sum(rates)
        if self.amount_type in ('percent', 'division'):
            return self.amount
        return None

    # ------------------------------------------------------------------
    # Tax mapping: Odoo tax -> QuickBooks TaxCode, suggested by rate
    # ------------------------------------------------------------------

    @api.model
    def _qbo_tax_code_ref(self, connection, client, tax):
        """The QuickBooks TaxCode ``tax`` (one tax, or none for untaxed lines) maps to.

        Odoo taxes map many to one (a price-included and a price-excluded 5 % both go to
        GST), so each tax has its own mapping kind, ``TaxCode:<tax id>``: the mapping's
        unique index allows one Odoo record per QuickBooks object and kind. An unmapped
        tax is mapped to the QuickBooks code of the same rate; none matching is an error
        telling the user to map it."""
        record = tax.sudo() if tax else connection.sudo()
        entity = f'TaxCode:{tax.id}' if tax else UNTAXED_ENTITY
        mappings = self.env['qbo.mapping'].sudo()
        mapping = mappings._qbo_find(connection, record, entity)
        if not mapping:
            rate = tax._qbo_rate() if tax else 0.0
            code = self._qbo_tax_code_by_rate(client, rate, tax.name if tax else UNTAXED_HINT) if rate is not None else None
            if not code:
                raise QboValidationError('tax_mapping', self.env._(
                    'Map the Odoo tax "%(tax)s" to a QuickBooks tax code: no QuickBooks tax code has its rate (%(rate)s).',
                    tax=tax.name, rate=f'{rate:g} %' if rate is not None else self.env._('a fixed amount'))
                    if tax else self.env._(
                        'Lines without tax need a QuickBooks tax code with a 0 % rate (e.g. "Exempt" or "Zero-rated"): '
                        'create one in QuickBooks, then send the document again.'))
            mapping = mappings._qbo_link(connection, record, entity, code)
        return {'value': mapping.qbo_id, 'name': mapping.qbo_name}

    @api.model
    def _qbo_tax_code_by_rate(self, client, rate, hint):
        """The active sales TaxCode whose rates add up to ``rate``; among several, the one
        named in ``hint`` (the Odoo tax's name), else the oldest."""
        rates = {str(r['Id']): float(r.get('RateValue') or 0.0) for r in client.query('SELECT * FROM TaxRate')}
        matching = []
        for code in client.query('SELECT * FROM TaxCode'):
            details = (code.get('SalesTaxRateList') or {}).get('TaxRateDetail') or []
            # TAX / NON (US pseudo codes) and purchase-only codes carry no sales rate.
            rate_ids = [str((detail.get('TaxRateRef') or {}).get('value')) for detail in details]
            if not rate_ids or any(rate_id not in rates for rate_id in rate_ids):
                continue
            if float_compare(sum(rates[rate_id] for rate_id in rate_ids), rate, precision_digits=RATE_DIGITS) == 0:
                matching.append(code)
        hint = (hint or '').casefold()
        return min(matching, default=None, key=lambda code: (
            not (code.get('Name') and code['Name'].casefold() in hint),
            int(code['Id']) if str(code['Id']).isdigit() else 0))
