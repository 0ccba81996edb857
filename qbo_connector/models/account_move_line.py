from odoo import models
from odoo.tools import float_compare, float_is_zero, float_round

# QuickBooks refuses longer line descriptions (2050): they are cut, never refused.
LINE_DESCRIPTION_MAX = 4000
# QuickBooks keeps unit prices to this many decimals.
UNIT_PRICE_DIGITS = 7
QUANTITY_DIGITS = 6


class AccountMoveLine(models.Model):
    _inherit = 'account.move.line'

    def _qbo_prepare_line(self, connection, client, tax_included=False):
        """These invoice lines as one QuickBooks SalesItemLine: a single line, or (aggregated
        mode) several lines of one product, unit and tax, whose amounts and quantities add up.

        Amount is Odoo's subtotal (after discount): before tax, or tax included when the
        document goes to QuickBooks as TaxInclusive, where QuickBooks takes the line's gross
        amount and carves the tax out of it. A negative amount (a discount or a returned
        item) stays a negative SalesItemLine under its own item and tax code, so that the
        tax it takes off is the tax of its own rate, as in Odoo; a DiscountLineDetail would
        be spread over all tax codes in proportion to their amounts instead, and in the US
        would not lower the tax at all (ApplyTaxAfterDiscount is off by default there)."""
        first = self[:1]
        currency = first.move_id.currency_id
        amount = currency.round(sum(self.mapped('price_total' if tax_included else 'price_subtotal')))
        quantity, unit_price = quantity_and_unit_price(self, amount)
        detail = {
            'ItemRef': first.product_id._qbo_item_ref(connection, client),
            'Qty': quantity,
            'UnitPrice': unit_price,
        }
        if tax_included:
            # Said twice: QuickBooks reads the gross from TaxInclusiveAmt when there is one
            # (and answers with the net in Amount), so an update never taxes a net again.
            detail['TaxInclusiveAmt'] = amount
        tax_code = self.env['account.tax']._qbo_line_tax_code_ref(connection, client, first.tax_ids)
        if tax_code:
            detail['TaxCodeRef'] = tax_code
        if len(self) == 1:
            description = first.name or first.product_id.display_name or ''
        else:
            description = self.env._(
                '%(product)s: %(count)s lines of the Odoo document together',
                product=first.product_id.display_name or first.name or '',
                count=len(self),
            )
        return {
            'DetailType': 'SalesItemLineDetail',
            'Amount': amount,
            'Description': description[:LINE_DESCRIPTION_MAX],
            'SalesItemLineDetail': detail,
        }

    def _qbo_prepare_expense_line(self, connection, client, amount, us):
        """This vendor bill line as a QuickBooks expense line of ``amount``: an item line for a
        product, an account line otherwise; outside the US with the tax code of its tax."""
        self.ensure_one()
        if self.product_id:
            quantity, unit_price = quantity_and_unit_price(self, amount)
            kind = 'ItemBasedExpenseLineDetail'
            detail = {
                'ItemRef': self.product_id._qbo_purchase_item_ref(connection, client),
                'Qty': quantity,
                'UnitPrice': unit_price,
            }
        else:
            kind = 'AccountBasedExpenseLineDetail'
            detail = {'AccountRef': self.account_id._qbo_expense_account_ref(connection, client)}
        if not us:
            detail['TaxCodeRef'] = self.env['account.tax']._qbo_line_tax_code_ref(connection, client, self.tax_ids)
        description = self.name or self.product_id.display_name or ''
        line = {'DetailType': kind, 'Amount': amount, kind: detail}
        if description:
            line['Description'] = description[:LINE_DESCRIPTION_MAX]
        return line


def quantity_and_unit_price(lines, amount):
    """Qty and UnitPrice for a line of ``amount``, such that QuickBooks' check
    round(Qty x UnitPrice, 2) = Amount holds (6070 otherwise).

    The unit price is derived from the amount, not Odoo's price_unit, which is before
    discount and may include taxes. A quantity of 0 (an amount of 0) keeps its unit
    price: 0 x price is 0. When no unit price of QuickBooks' precision gives back the
    amount (huge quantities, or aggregated lines whose quantities cancel out), the line
    goes as 1 x amount: the amount is what the books need."""
    currency = lines[:1].move_id.currency_id
    quantity = sum(lines.mapped('quantity'))
    if float_is_zero(quantity, precision_digits=QUANTITY_DIGITS):
        if currency.is_zero(amount):
            first = lines[:1]
            return 0.0, float_round(
                first.price_unit * (1 - (first.discount or 0.0) / 100), precision_digits=UNIT_PRICE_DIGITS
            )
        return 1.0, amount
    unit_price = float_round(amount / quantity, precision_digits=UNIT_PRICE_DIGITS)
    if float_compare(
        float_round(quantity * unit_price, precision_rounding=currency.rounding),
        amount,
        precision_rounding=currency.rounding,
    ):
        return 1.0, amount
    return quantity, unit_price
