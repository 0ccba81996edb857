from odoo import api, models

from ..exceptions import QboValidationError
from ..tools.qbo_client import qbo_quote
from ..tools.qbo_names import qbo_same_name

# The income account new items book to when none is named like the product's Odoo income
# account and the connection names none: the first of these names QuickBooks companies are
# created with, else the oldest income account.
INCOME_ACCOUNT_NAMES = ('Sales', 'Sales of Product Income', 'Services')
# The account a tax item created by the connector books to: what Odoo collects for others is
# owed, not earned.
TAX_ITEM_ACCOUNT_NAME = 'Taxes and Fees Collected'
# The QuickBooks account types a bill line without a product may book to: costs, and what
# is bought to keep (assets).
EXPENSE_ACCOUNT_TYPES = (
    'Expense',
    'Other Expense',
    'Cost of Goods Sold',
    'Fixed Asset',
    'Other Current Asset',
    'Other Asset',
)
# The QuickBooks account types money can be paid from.
PAYING_ACCOUNT_TYPES = ('Bank', 'Credit Card')


def qbo_accounts(client, account_types):
    """The active QuickBooks accounts of ``account_types``, every page of them."""
    types = ', '.join(qbo_quote(account_type) for account_type in account_types)
    return client.query_all(f'SELECT * FROM Account WHERE AccountType IN ({types})')


def oldest(qbo_objects):
    """The QuickBooks object created first (the lowest Id)."""
    return min(qbo_objects, key=lambda obj: int(obj['Id']) if str(obj['Id']).isdigit() else 0)


class AccountAccount(models.Model):
    """QuickBooks Accounts: the income account of an Odoo income account (mapping, role
    income_account) and the accounts the connection's settings name."""

    _inherit = 'account.account'

    # ------------------------------------------------------------------
    # Income accounts of new items
    # ------------------------------------------------------------------

    @api.model
    def _qbo_new_item_income_account_ref(self, connection, client, record):
        """The income account a new item for ``record`` (a product, or the connection for the
        item of unmatched lines) books to: the one of the product's income account in Odoo,
        else the connection's default income account."""
        account = record._qbo_odoo_income_account(connection) if record._name == 'product.product' else self
        if not account:
            return self._qbo_default_income_account_ref(connection, client)
        income_accounts = []

        def find():
            income_accounts.extend(qbo_accounts(client, ['Income']))
            code = account.with_company(connection.company_id).code
            names = [account.name, f'{code} {account.name}' if code else None]
            return next(
                (a for a in income_accounts if any(name and qbo_same_name(a.get('Name'), name) for name in names)), None
            )

        ref = self.env['qbo.mapping']._qbo_resolve(connection, account.sudo(), 'Account', find, role='income_account')
        return ref or self._qbo_default_income_account_ref(connection, client, income_accounts)

    @api.model
    def _qbo_default_income_account_ref(self, connection, client, income_accounts=None):
        """The connection's default income account: the one its setting names, else the first
        of INCOME_ACCOUNT_NAMES QuickBooks has, else the oldest income account. ``income_accounts``:
        QuickBooks' income accounts, when they were just read."""
        name = connection.sudo().default_income_account_name

        def find():
            accounts = income_accounts or qbo_accounts(client, ['Income'])
            if name:
                account = next((a for a in accounts if qbo_same_name(a.get('Name'), name)), None)
                if not account:
                    raise QboValidationError(
                        'no_income_account',
                        self.env._(
                            'QuickBooks has no income account named "%(name)s", the default income account of the '
                            'QuickBooks settings: create it in QuickBooks or change the setting, then send the '
                            'document '
                            'again.',
                            name=name,
                        ),
                    )
                return account
            accounts = [a for a in accounts if a.get('AccountSubType') != 'DiscountsRefundsGiven']
            if not accounts:
                raise QboValidationError(
                    'no_income_account',
                    self.env._(
                        'The QuickBooks company has no active income account to book new products and services to: '
                        'create one in QuickBooks (e.g. "Sales"), then send the document again.'
                    ),
                )
            rank = {n.casefold(): index for index, n in enumerate(INCOME_ACCOUNT_NAMES)}
            return min(
                accounts,
                key=lambda a: (
                    rank.get(a.get('Name', '').casefold(), len(rank)),
                    int(a['Id']) if str(a['Id']).isdigit() else 0,
                ),
            )

        return connection._qbo_found_ref('income_account', find)

    # ------------------------------------------------------------------
    # Expense accounts of bill lines without a product
    # ------------------------------------------------------------------

    def _qbo_expense_account_ref(self, connection, client, required=True):
        """The QuickBooks account a bill line booked to this Odoo account goes to: the one
        named like it (its name, or its code and name; any case) among QuickBooks' expense,
        cost and asset accounts (EXPENSE_ACCOUNT_TYPES), else the connection's default expense
        account; neither is an error naming this account. Many Odoo accounts may share one
        QuickBooks account (role expense_account). No request once mapped."""
        self.ensure_one()
        account = self.sudo().with_company(connection.company_id)
        accounts = []
        # ``required`` False: None rather than an error (a new item's expense account).

        def find():
            accounts.extend(qbo_accounts(client, EXPENSE_ACCOUNT_TYPES))
            names = [account.name, f'{account.code} {account.name}' if account.code else None]
            return next(
                (a for a in accounts if any(name and qbo_same_name(a.get('Name'), name) for name in names)), None
            )

        ref = self.env['qbo.mapping']._qbo_resolve(connection, account, 'Account', find, role='expense_account')
        if ref:
            return ref
        if not (connection.sudo().default_expense_account_name or '').strip():
            if not required:
                return None
            raise QboValidationError(
                'no_expense_account',
                self.env._(
                    'QuickBooks has no expense account named "%(name)s" (or "%(code)s %(name)s"), the Odoo account '
                    'of a bill line without a product: create it in QuickBooks, or name a default expense account in '
                    'Settings → QuickBooks Online, then retry the bill.',
                    name=account.name,
                    code=account.code or '',
                ),
            )
        return self._qbo_default_expense_account_ref(connection, client, accounts)

    @api.model
    def _qbo_default_expense_account_ref(self, connection, client, expense_accounts=None):
        """The account the connection's default expense account setting names, found among
        QuickBooks' expense, cost and asset accounts (any case), then kept."""
        name = (connection.sudo().default_expense_account_name or '').strip()

        def find():
            accounts = expense_accounts or qbo_accounts(client, EXPENSE_ACCOUNT_TYPES)
            found = next((a for a in accounts if qbo_same_name(a.get('Name'), name)), None)
            if not found:
                raise QboValidationError(
                    'no_expense_account',
                    self.env._(
                        'QuickBooks has no active expense account named "%(name)s", the default expense account of '
                        'the QuickBooks settings: create it in QuickBooks or change the setting, then retry the bill.',
                        name=name,
                    ),
                )
            return found

        return connection._qbo_found_ref('expense_account', find)

    # ------------------------------------------------------------------
    # Accounts the connection's settings name
    # ------------------------------------------------------------------

    @api.model
    def _qbo_tax_item_account_ref(self, connection, client):
        """The account a tax item created by the connector books to: an Other Current
        Liability named TAX_ITEM_ACCOUNT_NAME, found (made active again) or created. Not
        QuickBooks' own sales tax liability, which its tax centre keeps."""

        def find():
            found = client.query(
                f'SELECT * FROM Account WHERE Name = {qbo_quote(TAX_ITEM_ACCOUNT_NAME)} AND Active IN (true, false)'
            )
            if found:
                return client.activate('Account', found[0])
            return client.create(
                'Account',
                {
                    'Name': TAX_ITEM_ACCOUNT_NAME,
                    'AccountType': 'Other Current Liability',
                    'AccountSubType': 'OtherCurrentLiabilities',
                    'Description': 'Taxes and fees invoiced in Odoo for others (eco-fees, deposits), sent as lines.',
                },
            )

        return connection._qbo_found_ref('tax_item_account', find)

    @api.model
    def _qbo_refund_account_ref(self, connection, client):
        """The account the connection's refund account setting names, and its QuickBooks type
        (Bank or Credit Card), or (None, None) when the setting is empty."""
        conn = connection.sudo()
        name = (conn.refund_account_name or '').strip()
        if not name:
            return None, None
        if not conn.refund_account_qbo_id:
            # Read as a list and compared as QuickBooks compares names (any case): there are few.
            found = [
                a
                for a in qbo_accounts(client, PAYING_ACCOUNT_TYPES)
                if a.get('AccountType') in PAYING_ACCOUNT_TYPES and qbo_same_name(a.get('Name'), name)
            ]
            if not found:
                raise QboValidationError(
                    'refund_account',
                    self.env._(
                        'The refund account "%(name)s" set in the QuickBooks settings is not an active Bank or Credit '
                        'Card '
                        'account of the QuickBooks company: correct the setting (or clear it to pay refunds from the '
                        'journal\'s bank account), then retry.',
                        name=name,
                    ),
                )
            conn._qbo_keep_found(
                {
                    'refund_account_qbo_id': str(found[0]['Id']),
                    'refund_account_qbo_name': found[0].get('Name'),
                    'refund_account_qbo_type': found[0]['AccountType'],
                }
            )
        return {'value': conn.refund_account_qbo_id, 'name': conn.refund_account_qbo_name}, conn.refund_account_qbo_type
