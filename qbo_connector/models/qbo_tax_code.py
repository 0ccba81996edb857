from odoo import api, fields, models
from odoo.tools import float_compare

# Rates are compared to this many decimals (QuickBooks keeps e.g. 9.975 %).
RATE_DIGITS = 4


class QboTaxCode(models.Model):
    """The sales tax codes of a connection's QuickBooks company, as last read from it: what
    the tax mapping offers and what a tax is suggested by rate from. QuickBooks is the truth;
    this is a copy, refreshed when the tax mapping opens, by its Refresh button, and when a
    document needs the code of an unmapped tax."""

    _name = 'qbo.tax.code'
    _inherit = ['qbo.list.cache']
    _description = 'QuickBooks Online Tax Code'
    _order = 'connection_id, rate, name, id'

    description = fields.Char(readonly=True)
    rate = fields.Float(digits=(16, RATE_DIGITS), readonly=True, help='The sum of the sales rates of the code, in %.')
    rate_names = fields.Char(string='Rates', readonly=True)

    _qbo_unique = models.UniqueIndex('(connection_id, qbo_id)', 'A QuickBooks tax code is read once per connection.')

    @api.depends('name', 'rate')
    def _compute_display_name(self):
        for code in self:
            code.display_name = f'{code.name} ({code.rate:g} %)'

    # ------------------------------------------------------------------
    # Reading QuickBooks
    # ------------------------------------------------------------------

    @api.model
    def _qbo_refresh(self, connection, client):
        """Read the sales tax codes of the QuickBooks company again (a query of each list) and return
        the active ones. Codes carrying no sales rate (the US pseudo codes TAX and NON,
        purchase-only codes) are no sales tax to map to and are left out; codes QuickBooks
        no longer answers are kept, archived, so that a mapping to one still reads."""
        connection.check_access('read')
        rates = {str(rate['Id']): rate for rate in client.query_all('SELECT * FROM TaxRate')}
        found = {}
        for code in client.query_all('SELECT * FROM TaxCode'):
            details = (code.get('SalesTaxRateList') or {}).get('TaxRateDetail') or []
            rate_ids = [str((detail.get('TaxRateRef') or {}).get('value')) for detail in details]
            if not rate_ids or any(rate_id not in rates for rate_id in rate_ids):
                continue
            found[str(code['Id'])] = {
                'name': code.get('Name') or str(code['Id']),
                'description': code.get('Description') or False,
                'rate': sum(float(rates[rate_id].get('RateValue') or 0.0) for rate_id in rate_ids),
                'rate_names': ' + '.join(
                    f"{rates[rate_id].get('Name')} {float(rates[rate_id].get('RateValue') or 0.0):g} %"
                    for rate_id in rate_ids
                ),
            }
        return self._qbo_store_read(connection, found)

    # ------------------------------------------------------------------
    # Suggestion by rate
    # ------------------------------------------------------------------

    def _qbo_suggest(self, rate, hint):
        """Among these codes, the active one whose rates add up to ``rate``; of several, the
        one whose name is in ``hint`` (the Odoo tax's name), else the oldest. None when
        ``rate`` is None (a fixed amount is not a rate) or no code has it."""
        if rate is None:
            return self.browse()
        hint = (hint or '').casefold()
        matching = self.filtered(
            lambda code: code.active and float_compare(code.rate, rate, precision_digits=RATE_DIGITS) == 0
        )
        return min(
            matching,
            default=self.browse(),
            key=lambda code: (code.name.casefold() not in hint, int(code.qbo_id) if code.qbo_id.isdigit() else 0),
        )
