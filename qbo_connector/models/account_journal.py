from odoo import models

from ..exceptions import QboValidationError
from ..tools.qbo_names import qbo_same_name
from .account_account import qbo_accounts


class AccountJournal(models.Model):
    _inherit = 'account.journal'

    def _qbo_deposit_account_ref(self, connection, client, currency, refund=False):
        """The QuickBooks account money of this journal goes to (or, ``refund``, leaves from):
        the Bank account named like the journal or its bank account number (role bank_account,
        one journal's), matched once.

        Without one, money received goes to Undeposited Funds (QuickBooks' default, where it
        waits to be grouped into a bank deposit), remembered as well (role undeposited), so that
        a payment in steady state costs one request; a refund leaves from the first Bank account
        in ``currency``, and fails, saying so, when there is none."""
        self.ensure_one()
        journal = self.sudo()
        mappings = self.env['qbo.mapping'].sudo()
        mapping = mappings._qbo_find(connection, journal, 'Account', 'bank_account') or (
            not refund and mappings._qbo_find(connection, journal, 'Account', 'undeposited')
        )
        if mapping:
            return mapping._qbo_ref()
        accounts = qbo_accounts(client, ('Bank', 'Other Current Asset'))
        banks = sorted(
            (a for a in accounts if a.get('AccountType') == 'Bank'),
            key=lambda a: int(a['Id']) if str(a['Id']).isdigit() else 0,
        )
        names = [journal.name, journal.bank_account_id.acc_number]
        matched = [
            a
            for a in mappings._qbo_unclaimed(connection, journal, 'Account', banks, 'bank_account')
            if any(name and qbo_same_name(a.get('Name'), name) for name in names)
        ]
        if matched:
            return mappings._qbo_link(connection, journal, 'Account', matched[0], 'bank_account')._qbo_ref()
        if not refund:
            undeposited = next((a for a in accounts if a.get('AccountSubType') == 'UndepositedFunds'), None)
            if not undeposited:
                return None  # QuickBooks' own default, whatever it is
            return mappings._qbo_link(connection, journal, 'Account', undeposited, 'undeposited')._qbo_ref()
        home = connection._qbo_home_currency()
        banks = [a for a in banks if (a.get('CurrencyRef') or {}).get('value', home) == currency.name]
        if not banks:
            raise QboValidationError(
                'no_bank_account',
                self.env._(
                    'QuickBooks needs the bank account a refund is paid from, and the QuickBooks company has no Bank '
                    'account in %(currency)s: create one named like the journal %(journal)s (or set the refund account '
                    'in the QuickBooks settings), then retry.',
                    currency=currency.name,
                    journal=journal.display_name,
                ),
            )
        return {'value': banks[0]['Id'], 'name': banks[0].get('Name')}
