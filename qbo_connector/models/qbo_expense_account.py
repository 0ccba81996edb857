from odoo import api, fields, models

from .account_account import EXPENSE_ACCOUNT_TYPES, qbo_accounts


class QboExpenseAccount(models.Model):
    """The accounts of a connection's QuickBooks company a bill line may book to (expense, cost
    and asset accounts: EXPENSE_ACCOUNT_TYPES), as last read from it: what the expense account
    mapping offers. Refreshed when the screen opens and by its Refresh button."""

    _name = 'qbo.expense.account'
    _inherit = ['qbo.list.cache']
    _description = 'QuickBooks Online Expense Account'
    _order = 'connection_id, name, id'

    account_type = fields.Char(string='QuickBooks Type', readonly=True)

    _qbo_unique = models.UniqueIndex('(connection_id, qbo_id)', 'A QuickBooks account is read once per connection.')

    @api.depends('name', 'account_type')
    def _compute_display_name(self):
        for account in self:
            account.display_name = f'{account.name} ({account.account_type})' if account.account_type else account.name

    @api.model
    def _qbo_refresh(self, connection, client):
        """Read QuickBooks' expense, cost and asset accounts again (one query); returns the active ones."""
        connection.check_access('read')
        found = {
            str(account['Id']): {
                'name': account.get('Name') or str(account['Id']),
                'account_type': account.get('AccountType'),
            }
            for account in qbo_accounts(client, EXPENSE_ACCOUNT_TYPES)
        }
        return self._qbo_store_read(connection, found)
