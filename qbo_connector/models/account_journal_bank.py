from odoo import api, fields, models

from ..exceptions import QboDuplicateError, QboValidationError
from ..tools.qbo_client import qbo_quote
from ..tools.qbo_names import qbo_name, qbo_same_name

# The QuickBooks AccountSubType of the Bank account a journal is created as.
TRUST_SUBTYPE = 'TrustAccounts'
SUBTYPE_BY_JOURNAL_TYPE = {'bank': 'Checking', 'cash': 'CashOnHand'}
# The liability trust receipts book to when the Settings name none.
TRUST_LIABILITY_NAME = 'Client Trust Liability'
TRUST_LIABILITY_TYPE = 'Other Current Liability'
TRUST_LIABILITY_SUBTYPE = 'TrustAccountsLiabilities'
# QuickBooks' limit on an account's name.
ACCOUNT_NAME_MAX = 100


class AccountJournal(models.Model):
    """Bank and cash journals as QuickBooks Bank accounts (issue 12, item 6): the account each
    maps to (found by the name set on the journal, else by its own name, else created with the
    subtype of its kind), and trust journals, whose money is the clients' (docs/bank-and-matters.md)."""

    # A file of its own: account_journal.py decides where payments go.
    _inherit = 'account.journal'  # pylint: disable=consider-merging-classes-inherited

    qbo_trust_account = fields.Boolean(
        string='Trust Account',
        groups='qbo_connector.group_qbo_user',
        help='Money held for clients (IOLTA, client trust). In QuickBooks this journal is a Bank account of subtype '
        'Trust Accounts, and its customer receipts are deposits booked to the client trust liability account, '
        'never payments of invoices.',
    )
    qbo_bank_account_name = fields.Char(
        string='QuickBooks Bank Account',
        groups='qbo_connector.group_qbo_user',
        help='The QuickBooks Bank account this journal is (found by this name, else created). Empty: the journal\'s '
        'name or bank account number.',
    )
    qbo_bank_account_qbo_id = fields.Char(
        string='QuickBooks Account Id',
        compute='_compute_qbo_bank_account_qbo_id',
        groups='qbo_connector.group_qbo_user',
    )

    @api.depends('qbo_bank_account_name', 'qbo_trust_account')
    def _compute_qbo_bank_account_qbo_id(self):
        mappings = (
            self.env['qbo.mapping']
            .sudo()
            .search([('res_model', '=', self._name), ('res_id', 'in', self.ids), ('role', '=', 'bank_account')])
        )
        by_journal = {m.res_id: m for m in mappings}
        for journal in self:
            mapping = by_journal.get(journal.id)
            journal.qbo_bank_account_qbo_id = mapping and f'{mapping.qbo_name} ({mapping.qbo_id})'

    def write(self, vals):
        keys = {'qbo_bank_account_name', 'qbo_trust_account'} & set(vals)
        changed = self.filtered(lambda j: any((j[k] or False) != (vals[k] or False) for k in keys))
        if changed:
            # Mapped anew by the next document that needs it (found by the new name, or created).
            self.env['qbo.mapping'].sudo().search(
                [('res_model', '=', self._name), ('res_id', 'in', changed.ids), ('role', '=', 'bank_account')]
            ).unlink()
        return super().write(vals)

    def _qbo_deposit_account_ref(self, connection, client, currency, refund=False):
        """With deposits on, money received waits in Undeposited Funds until the statement line
        it is reconciled with deposits it; a trust journal's money goes straight to its trust
        bank account."""
        if not refund and self.sudo().qbo_trust_account and connection.sync_trust:
            return self._qbo_bank_account_ref(connection, client, currency)
        if not refund and connection.sync_deposits:
            return self._qbo_undeposited_ref(connection, client)
        return super()._qbo_deposit_account_ref(connection, client, currency, refund=refund)

    def _qbo_undeposited_ref(self, connection, client):
        """QuickBooks' Undeposited Funds account (shared role undeposited)."""
        self.ensure_one()

        def find():
            found = client.query("SELECT * FROM Account WHERE AccountSubType = 'UndepositedFunds'")
            if not found:
                raise QboValidationError(
                    'no_undeposited_funds',
                    self.env._('The QuickBooks company has no Undeposited Funds account, which deposits need.'),
                )
            return found[0]

        return self.env['qbo.mapping'].sudo()._qbo_resolve(connection, self.sudo(), 'Account', find, 'undeposited')

    def _qbo_bank_account_ref(self, connection, client, currency):
        """The QuickBooks Bank account this journal is: its mapping (role bank_account), else
        the Bank account named as the journal says (its QuickBooks name, else its own name or
        bank account number) no other journal holds, else one created with that name, AccountType
        Bank and the subtype of its kind (TrustAccounts for a trust journal, Checking for a bank,
        CashOnHand for a cash journal), in ``currency`` when it is not the home currency."""
        self.ensure_one()
        journal = self.sudo()
        mappings = self.env['qbo.mapping'].sudo()
        trust = journal.qbo_trust_account
        subtype = TRUST_SUBTYPE if trust else SUBTYPE_BY_JOURNAL_TYPE.get(journal.type, 'Checking')
        names = [journal.qbo_bank_account_name] if journal.qbo_bank_account_name else []
        names += [journal.name, journal.bank_account_id.acc_number]

        def find():
            banks = client.query_all("SELECT * FROM Account WHERE AccountType = 'Bank'")
            candidates = [
                a
                for a in mappings._qbo_unclaimed(connection, journal, 'Account', banks, 'bank_account')
                if not trust or a.get('AccountSubType') == TRUST_SUBTYPE
            ]
            for name in names:
                found = next((a for a in candidates if name and qbo_same_name(a.get('Name'), name)), None)
                if found:
                    return found
            values = {'Name': qbo_name(names[0], ACCOUNT_NAME_MAX), 'AccountType': 'Bank', 'AccountSubType': subtype}
            home = connection._qbo_home_currency()
            if connection.qbo_multicurrency and currency and currency.name != home:
                values['CurrencyRef'] = {'value': currency.name}
            try:
                return client.create('Account', values)
            except QboDuplicateError as error:
                raise QboValidationError(
                    'bank_account',
                    self.env._(
                        'QuickBooks has an account named %(name)s that is not a free %(kind)s Bank account '
                        '(another type, or held by another journal): name the QuickBooks bank account of the '
                        'journal %(journal)s in the bank account mapping, then retry.',
                        name=values['Name'],
                        kind=subtype,
                        journal=journal.display_name,
                    ),
                ) from error

        return mappings._qbo_resolve(connection, journal, 'Account', find, 'bank_account')

    @api.model
    def _qbo_trust_liability_ref(self, connection, client):
        """The client trust liability account of the Settings (found by name, else created as
        an Other Current Liability of subtype TrustAccountsLiabilities), kept on the connection
        (role trust_liability) until the setting changes."""
        name = connection.sudo().trust_liability_account_name or TRUST_LIABILITY_NAME

        def find():
            found = client.query(f'SELECT * FROM Account WHERE Name = {qbo_quote(name)}')
            if found:
                if found[0].get('AccountType') != TRUST_LIABILITY_TYPE:
                    raise QboValidationError(
                        'trust_liability',
                        self.env._(
                            'The QuickBooks account %(name)s is a %(type)s account; trust receipts book to a liability '
                            '(Other Current Liability): name another account in the QuickBooks settings, then retry.',
                            name=name,
                            type=found[0].get('AccountType'),
                        ),
                    )
                return found[0]
            return client.create(
                'Account',
                {
                    'Name': qbo_name(name, ACCOUNT_NAME_MAX),
                    'AccountType': TRUST_LIABILITY_TYPE,
                    'AccountSubType': TRUST_LIABILITY_SUBTYPE,
                },
            )

        return (
            self.env['qbo.mapping']
            .sudo()
            ._qbo_resolve(connection, connection.sudo(), 'Account', find, 'trust_liability')
        )
