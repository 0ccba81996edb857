from odoo import models
from odoo.tools import float_is_zero, float_round


class AccountMoveLine(models.Model):
    _inherit = 'account.move.line'

    def _qbo_prepare_line(self, connection, client, taxes):
        """One invoice line as a QuickBooks SalesItemLine. Amount is Odoo's subtotal (after
        discount, before tax); UnitPrice is derived from it, so that Qty x UnitPrice = Amount
        as QuickBooks checks."""
        self.ensure_one()
        quantity = self.quantity or 1.0
        amount = self.price_subtotal
        detail = {
            'ItemRef': self.product_id._qbo_item_ref(connection, client),
            'Qty': quantity,
            'UnitPrice': float_round(amount / quantity, precision_digits=7) if not float_is_zero(quantity, 6) else amount,
        }
        tax_code = taxes._qbo_line_tax_code_ref(connection, client, self.tax_ids)
        if tax_code:
            detail['TaxCodeRef'] = tax_code
        return {
            'DetailType': 'SalesItemLineDetail',
            'Amount': amount,
            'Description': (self.name or self.product_id.display_name or '')[:4000],
            'SalesItemLineDetail': detail,
        }
