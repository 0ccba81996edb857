from odoo import models

from ..exceptions import QboValidationError
from .account_account import oldest, qbo_accounts


class ResCurrency(models.Model):
    _inherit = 'res.currency'

    def _qbo_receivable_account_ref(self, connection, client):
        """The QuickBooks Accounts Receivable account a refund in this currency books to, chosen
        once per connection and currency (role receivable): the oldest in this currency.
        QuickBooks (multicurrency) makes one per currency with the first foreign document; where
        it has none in this currency, the home one is sent and QuickBooks decides."""
        self.ensure_one()
        home = connection._qbo_home_currency()
        code = self.name if connection.qbo_multicurrency else home
        currency = (
            self.sudo()
            if code == self.name
            else self.sudo().with_context(active_test=False).search([('name', '=', home)], limit=1)
        )

        def find():
            accounts = qbo_accounts(client, ['Accounts Receivable'])
            in_currency = {
                c: [a for a in accounts if (a.get('CurrencyRef') or {}).get('value', home) == c] for c in (code, home)
            }
            candidates = in_currency[code] or in_currency[home]
            if not candidates:
                raise QboValidationError(
                    'no_receivable_account',
                    self.env._('The QuickBooks company has no Accounts Receivable account for refunds to book to.'),
                )
            return oldest(candidates)

        return self.env['qbo.mapping']._qbo_resolve(connection, currency, 'Account', find, role='receivable')
