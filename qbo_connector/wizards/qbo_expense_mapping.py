from odoo import fields, models

from ..tools.qbo_names import qbo_same_name

# The Odoo accounts a bill line without a product books its cost to.
ODOO_EXPENSE_TYPES = ('expense', 'expense_direct_cost', 'expense_depreciation')


class QboExpenseMapping(models.TransientModel):
    """The expense account mapping of one connection: every expense account of its company with
    the QuickBooks account its bill lines without a product go to — the one stored, else the one
    named like it (suggested), else the default expense account of Settings. Saving stores the
    choices where the push reads them (``qbo.mapping``, entity ``Account``, role
    ``expense_account``): bills pushed from then on use them."""

    _name = 'qbo.expense.mapping'
    _inherit = ['qbo.mapping.screen']
    _description = 'QuickBooks Online Expense Account Mapping'
    _qbo_list_model = 'qbo.expense.account'

    default_expense_account_name = fields.Char(related='connection_id.default_expense_account_name')
    line_ids = fields.One2many('qbo.expense.mapping.line', 'mapping_id', string='Expense Accounts')

    def _qbo_screen_name(self):
        return self.env._('Expense Account Mapping')

    def _qbo_refresh_failed(self, error):
        return self.env._(
            'The accounts of QuickBooks could not be read (%(error)s): these are the ones last read.',
            error=error.message,
        )

    def _qbo_fill(self):
        """One line per expense account of the connection's company, as things stand."""
        self.ensure_one()
        connection = self.connection_id
        accounts = self.env['account.account'].search(
            [('company_ids', 'in', connection.company_id.ids), ('account_type', 'in', ODOO_EXPENSE_TYPES)],
            order='code, id',
        )
        qbo_accounts = self.env['qbo.expense.account']._qbo_of_connection(connection)
        by_qbo_id = {account.qbo_id: account for account in qbo_accounts}
        stored = {
            mapping.res_id: by_qbo_id.get(mapping.qbo_id, qbo_accounts.browse())
            for mapping in self.env['qbo.mapping']
            .sudo()
            .search(
                [
                    ('connection_id', '=', connection.id),
                    ('res_model', '=', 'account.account'),
                    ('res_id', 'in', accounts.ids),
                    ('qbo_entity', '=', 'Account'),
                    ('role', '=', 'expense_account'),
                ]
            )
        }
        lines = []
        for account in accounts:
            kept = stored.get(account.id, qbo_accounts.browse()).with_env(self.env)
            suggested = qbo_accounts.browse() if kept else self._qbo_suggest(account, qbo_accounts)
            lines.append(
                fields.Command.create(
                    {
                        'account_id': account.id,
                        'stored_account_id': kept.id,
                        'suggested_account_id': suggested.id,
                        'qbo_account_id': (kept or suggested).id,
                    }
                )
            )
        self.write({'line_ids': [fields.Command.clear()] + lines})

    def _qbo_suggest(self, account, qbo_accounts):
        """The active QuickBooks account named like ``account`` (its name, or code and name; any
        case), as the push matches it (account.account._qbo_expense_account_ref)."""
        names = [account.name, f'{account.code} {account.name}' if account.code else None]
        return next(
            (a for a in qbo_accounts if a.active and any(name and qbo_same_name(a.name, name) for name in names)),
            qbo_accounts.browse(),
        )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_refresh(self):
        """Read QuickBooks' accounts again; the choices saved stay, the suggestions are made again."""
        self.ensure_one()
        self._qbo_refresh_list()
        self._qbo_fill()
        return True

    def action_save(self):
        """Store what the screen shows: each account's QuickBooks account (none: back to the
        account named like it, else the default expense account). QuickBooks administrators only,
        like every sync setting of the connection."""
        self.ensure_one()
        connection = self.connection_id
        connection.check_access('write')
        mappings = self.env['qbo.mapping'].sudo()
        for line in self.line_ids:
            account = line.account_id.sudo()
            mapping = mappings._qbo_find(connection, account, 'Account', 'expense_account')
            chosen = line.qbo_account_id
            if chosen and chosen.qbo_id != mapping.qbo_id:
                mapping.unlink()
                mappings._qbo_link(
                    connection, account, 'Account', {'Id': chosen.qbo_id, 'Name': chosen.name}, 'expense_account'
                )
            elif not chosen and mapping:
                mapping.unlink()
        self._qbo_fill()
        return True
