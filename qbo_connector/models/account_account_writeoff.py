from odoo import models

from ..exceptions import QboDuplicateError
from ..tools.qbo_client import qbo_quote
from ..tools.qbo_names import qbo_name

# QuickBooks' limit on an item's name.
ITEM_NAME_MAX = 100


class AccountAccount(models.Model):
    """The write-off item of an Odoo write-off account (issue 12, item 8; docs/bank-and-matters.md):
    QuickBooks closes an invoice written off with a credit memo on an item whose income account
    is where the loss goes (Intuit's "bad debt" procedure)."""

    # A file of its own: account_account.py resolves the accounts of the sales and purchase sides.
    _inherit = 'account.account'  # pylint: disable=consider-merging-classes-inherited

    def _qbo_writeoff_item_ref(self, connection, client):
        """The Service item "Write-off - <account>" booking to the QuickBooks account of this
        write-off account (as a bill line's account is found: by name, else the default expense
        account, else an error naming it); found by name, else created. Role writeoff_item."""
        self.ensure_one()
        account = self.sudo().with_company(connection.company_id)
        name = qbo_name(f'Write-off - {account.name}', ITEM_NAME_MAX)

        def find():
            # Inactive ones too: one made inactive is used again (a write), not created in vain first.
            found = client.query(f'SELECT * FROM Item WHERE Name = {qbo_quote(name)} AND Active IN (true, false)')
            if found:
                return client.activate('Item', found[0])
            values = {
                'Name': name,
                'Type': 'Service',
                'IncomeAccountRef': account._qbo_expense_account_ref(connection, client),
                'Description': f'Balances written off to {account.display_name}',
            }
            try:
                return client.create('Item', values)
            except QboDuplicateError as error:
                # Made meanwhile (or held under another spelling QuickBooks takes for this name).
                if not error.existing_id:
                    raise
                return client.activate('Item', client.read('Item', error.existing_id))

        return self.env['qbo.mapping'].sudo()._qbo_resolve(connection, account, 'Item', find, 'writeoff_item')
