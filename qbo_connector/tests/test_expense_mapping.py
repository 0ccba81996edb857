"""The expense account mapping screen (issue 12): which QuickBooks account the bill lines without
a product of each Odoo expense account go to — named alike (suggested), chosen and saved, else the
default expense account of Settings — used by the bills pushed from then on; QuickBooks users
read it, administrators change it, companies are walls."""

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .test_push_bills import QboBillsCommon


@tagged('post_install', '-at_install')
class TestExpenseMapping(QboBillsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.group_ids |= cls.env.ref('qbo_connector.group_qbo_admin')
        cls.advertising = cls.env['account.account'].create(
            {'name': 'Advertising', 'code': '610100', 'account_type': 'expense', 'company_ids': [cls.company.id]}
        )
        cls.mystery = cls.env['account.account'].create(
            {'name': 'Mystery costs', 'code': '610200', 'account_type': 'expense', 'company_ids': [cls.company.id]}
        )

    def _open(self, user=None):
        action = self.env.ref('qbo_connector.action_qbo_expense_mapping')
        if user:
            action = action.with_user(user)
        opened = action.with_context(
            active_model='qbo.connection', active_id=self.connection.id, active_ids=self.connection.ids
        ).run()
        self.assertEqual((opened['res_model'], opened['view_mode']), ('qbo.expense.mapping', 'form'))
        return self.env['qbo.expense.mapping'].with_user(user or self.env.user).browse(opened['res_id'])

    def _line(self, screen, account):
        (line,) = screen.line_ids.filtered(lambda line: line.account_id == account)
        return line

    def test_suggested_chosen_saved_and_used_by_the_next_bill(self):
        screen = self._open()
        advertising, mystery = self._line(screen, self.advertising), self._line(screen, self.mystery)
        self.assertEqual((advertising.status, advertising.qbo_account_id.name), ('suggested', 'Advertising'))
        self.assertEqual((mystery.status, mystery.qbo_account_id.name), ('missing', False))
        # Without a choice, the default expense account of Settings applies, and the screen says so.
        self.connection.default_expense_account_name = 'Advertising'
        self.env.invalidate_all()
        self.assertEqual(self._line(screen, self.mystery).status, 'default')
        cogs = self.env['qbo.expense.account'].search(
            [('connection_id', '=', self.connection.id), ('name', '=', 'Cost of Goods Sold')]
        )
        mystery.qbo_account_id = cogs
        self.assertEqual(mystery.status, 'changed')
        screen.action_save()
        self.assertEqual(self._line(screen, self.mystery).status, 'mapped')
        bill = self._bill([(self.mystery, 1, 40.0, self.env['account.tax'])], ref='MY-1')
        self._run_queue()
        qbo_bill = self._qbo_of(bill)
        self.assertEqual(
            qbo_bill['Line'][0]['AccountBasedExpenseLineDetail']['AccountRef']['value'],
            self._account_named('Cost of Goods Sold')['Id'],
        )
        self.assertFalse(self._differences())
        # Cleared and saved: back to what applies without a choice.
        self._line(screen, self.mystery).qbo_account_id = False
        screen.action_save()
        self.assertEqual(self._line(screen, self.mystery).status, 'default')

    def test_opened_from_settings(self):
        settings = self.env['res.config.settings'].with_company(self.company).create({})
        opened = settings.action_qbo_open_expense_mapping()
        self.assertEqual(opened['res_model'], 'qbo.expense.mapping')

    def test_a_quickbooks_user_reads_but_does_not_change_and_companies_are_walls(self):
        user = new_test_user(
            self.env,
            login='qbo_expense_reader',
            groups='base.group_user,qbo_connector.group_qbo_user',
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        screen = self._open(user=user)
        self.assertFalse(screen.can_edit)
        with self.assertRaises(AccessError):
            screen.action_save()
        other = self.setup_other_company(name='Other Co')['company']
        outsider = new_test_user(
            self.env,
            login='qbo_expense_outsider',
            groups='base.group_user,qbo_connector.group_qbo_admin',
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        with self.assertRaises(AccessError):
            self._open(user=outsider)
        self.assertFalse(self.env['qbo.expense.account'].with_user(outsider).search([]))
        self.assertFalse(self.env['qbo.expense.mapping'].with_user(outsider).search([]))
