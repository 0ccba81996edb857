"""Bank and trust accounts, and deposits (issue 12, items 6, 7 and 9): customer payments wait in
QuickBooks' Undeposited Funds and the bank statement line Odoo reconciles them with goes as one
Deposit of them into the journal's bank account; a trust journal's receipts go as deposits
into its trust bank account booked to the client trust liability. Through the queue to the
emulator, for a US and a Canadian company."""

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import CA_REALM
from .test_push_edge import QboPushEdgeCommon


class QboBankCommon(QboPushEdgeCommon):
    _trust_code = '219901'

    def _journal(self, kind='bank'):
        company = self.connection.company_id
        return self.env['account.journal'].search([('company_id', '=', company.id), ('type', '=', kind)], limit=1)

    def _pay(self, invoice, journal=None, **values):
        return self._register_payment(invoice, journal_id=(journal or self._journal()).id, **values)

    def _statement_line(self, amount, journal=None):
        return self.env['account.bank.statement.line'].create(
            {
                'journal_id': (journal or self._journal()).id,
                'payment_ref': 'DEPOSIT SLIP 0042',
                'amount': amount,
                'date': fields.Date.today(),
            }
        )

    def _match(self, st_line, payments):
        """What a user does in the bank reconciliation: the statement line's counterpart is the
        payments' outstanding receipts."""
        _liquidity, suspense, _other = st_line._seek_for_lines()
        liquidity = self.env['account.move.line']
        for payment in payments:
            liquidity |= payment._seek_for_lines()[0]
        suspense.account_id = liquidity.account_id[:1]
        (suspense | liquidity).reconcile()

    def _deposits_of(self, record):
        return [d for d in self._qbo('Deposit') if record._qbo_reference() in (d.get('PrivateNote') or '')]

    def _run_all(self):
        """The queue until nothing is due (a deposit waiting for its payments goes once they are in)."""
        for _round in range(4):
            self._run_queue()
            due = (
                self.env['qbo.sync.job']
                .sudo()
                .search_count([('state', '=', 'pending'), ('next_attempt_at', '<=', fields.Datetime.now())])
            )
            if not due:
                return

    def _invoice_of(self, amount, partner=None):
        return self._move(
            [{'name': 'Consulting', 'quantity': 1, 'price_unit': amount, 'tax_ids': [Command.clear()]}],
            partner_id=(partner or self.partner_a).id,
        )

    def _check_trust_receipt(self):
        self.connection.write({'sync_trust': True, 'trust_liability_account_name': 'Client Trust Liability'})
        company = self.connection.company_id
        trust = self.env['account.journal'].create(
            {'name': 'IOLTA Trust', 'type': 'bank', 'code': 'TRST', 'company_id': company.id}
        )
        trust.qbo_trust_account = True
        liability = self.env['account.account'].create(
            {
                'name': 'Client funds held in trust',
                'code': self._trust_code,
                'account_type': 'liability_current',
                'company_ids': [company.id],
            }
        )
        invoice = self._invoice_of(300.0)
        payment = self.env['account.payment'].create(
            {
                'payment_type': 'inbound',
                'partner_type': 'customer',
                'partner_id': self.partner_a.id,
                'amount': 500.0,
                'journal_id': trust.id,
                'destination_account_id': liability.id,
                'company_id': company.id,
            }
        )
        payment.action_post()
        self._run_all()
        self.assertEqual(payment.qbo_sync_state, 'synced', payment.qbo_sync_error)
        [deposit] = self._deposits_of(payment)
        self.assertEqual(deposit['Id'], payment.qbo_id)
        self.assertFalse(self._qbo_payments_of(payment), 'no Payment: nothing applied to invoices')
        bank = self._qbo_by_id('Account', deposit['DepositToAccountRef']['value'])
        self.assertEqual((bank['Name'], bank['AccountSubType']), ('IOLTA Trust', 'TrustAccounts'))
        detail = deposit['Line'][0]['DepositLineDetail']
        owed = self._qbo_by_id('Account', detail['AccountRef']['value'])
        self.assertEqual(
            (owed['Name'], owed['AccountType'], owed['AccountSubType']),
            ('Client Trust Liability', 'Other Current Liability', 'TrustAccountsLiabilities'),
        )
        self.assertEqual(detail['Entity']['type'], 'Customer')
        self.assertAlmostEqual(float(deposit['TotalAmt']), 500.0, places=2)
        # The operating invoice stays open in both books, and the books agree.
        self.assertAlmostEqual(float(self._qbo_doc('Invoice', invoice.name)['Balance']), 300.0, places=2)
        self.assertFalse(self._differences())
        # Settings saved again with the same names (as the Settings page writes every value back):
        # what was found stays found, and the next receipt looks no account up.
        self.connection.write({'trust_liability_account_name': 'Client Trust Liability'})
        trust.write({'qbo_trust_account': True, 'qbo_bank_account_name': trust.qbo_bank_account_name})
        seen = len(self._api_requests())
        again = payment.copy({'amount': 20.0, 'date': payment.date})
        again.action_post()
        self._run_all()
        self.assertEqual(again.qbo_sync_state, 'synced', again.qbo_sync_error)
        self.assertEqual([r['operation'] for r in self._api_requests()[seen:]], ['write'])
        # Cancelled: deleted (QuickBooks voids no deposits through its API); posted again: anew.
        payment.action_draft()
        payment.action_cancel()
        self._run_all()
        self.assertFalse(self._deposits_of(payment))
        self.assertFalse(self._differences())


@tagged('post_install', '-at_install')
class TestPushBank(QboBankCommon):
    def setUp(self):
        super().setUp()
        self.connection.sync_deposits = True

    def test_deposit_of_three_payments_matching_one_statement_line(self):
        invoices = [self._invoice_of(amount) for amount in (100.0, 250.0, 49.5)]
        payments = [self._pay(invoice) for invoice in invoices]
        st_line = self._statement_line(399.5)
        before = len(self._api_requests())
        self._match(st_line, payments)
        self.assertEqual(len(self._api_requests()), before, 'reconciling sends nothing')
        job = self._jobs(st_line)
        self.assertEqual((job.state, job.priority), ('pending', 25))
        self._run_all()
        self.assertEqual(st_line.qbo_sync_state, 'synced', st_line.qbo_sync_error)
        self.assertEqual(self._jobs(st_line).attempts, 1, 'waiting for its payments spent no attempt')
        [deposit] = self._deposits_of(st_line)
        self.assertEqual(deposit['Id'], st_line.qbo_id)
        self.assertAlmostEqual(float(deposit['TotalAmt']), 399.5, places=2)
        linked = sorted(link['TxnId'] for line in deposit['Line'] for link in line['LinkedTxn'])
        self.assertEqual(linked, sorted(p.qbo_id for p in payments))
        undeposited = self._account_named('Undeposited Funds')['Id']
        for payment in payments:
            self.assertEqual(self._qbo_by_id('Payment', payment.qbo_id)['DepositToAccountRef']['value'], undeposited)
        bank = self._qbo_by_id('Account', deposit['DepositToAccountRef']['value'])
        self.assertEqual((bank['Name'], bank['AccountType'], bank['AccountSubType']), ('Bank', 'Bank', 'Checking'))
        self.assertEqual(self._journal().qbo_bank_account_qbo_id, f"Bank ({bank['Id']})")
        self.assertFalse(self._differences())
        # A payment taken off the deposit in QuickBooks: the books check says so.
        client = self.connection._qbo_client()
        current = client.read('Deposit', deposit['Id'])
        client.update(
            'Deposit',
            {'Id': deposit['Id'], 'SyncToken': current['SyncToken'], 'Line': current['Line'][:2]},
            sparse=True,
        )
        [difference] = self._differences()
        self.assertEqual((difference['kind'], difference['field']), ('deposit', 'total'))
        self.assertAlmostEqual(difference['odoo'] - difference['qbo'], 49.5, places=2)

    def test_invoice_paid_at_once_is_deposited_as_its_sales_receipt(self):
        self.connection.receipts_paid_at_once = True
        at_once = self._invoice_of(120.0)
        held = self._pay(at_once)
        later = self._invoice_of(80.0)
        partial = self._pay(later, amount=50.0)
        st_line = self._statement_line(170.0)
        self._match(st_line, held | partial)
        self._run_all()
        self.assertEqual(st_line.qbo_sync_state, 'synced', st_line.qbo_sync_error)
        [deposit] = self._deposits_of(st_line)
        links = sorted((link['TxnType'], link['TxnId']) for line in deposit['Line'] for link in line['LinkedTxn'])
        self.assertEqual(links, sorted([('SalesReceipt', held.qbo_id), ('Payment', partial.qbo_id)]))
        self.assertAlmostEqual(float(deposit['TotalAmt']), 170.0, places=2)
        self.assertFalse(self._differences())

    def test_bank_fee_on_the_statement_line_is_a_line_of_the_deposit(self):
        self.connection._qbo_client().create('Account', {'Name': 'Bank Charges', 'AccountType': 'Expense'})
        fees = self.env['account.account'].create(
            {'name': 'Bank Charges', 'code': '626100', 'account_type': 'expense', 'company_ids': [self.company.id]}
        )
        invoices = [self._invoice_of(amount) for amount in (100.0, 250.0, 49.5)]
        payments = [self._pay(invoice) for invoice in invoices]
        st_line = self._statement_line(394.5)
        _liquidity, suspense, _other = st_line._seek_for_lines()
        liquidity = self.env['account.move.line'].concat(*(p._seek_for_lines()[0] for p in payments))
        st_line.move_id.with_context(skip_readonly_check=True).write(
            {
                'line_ids': [
                    Command.update(suspense.id, {'account_id': liquidity.account_id[:1].id, 'credit': 399.5}),
                    Command.create({'account_id': fees.id, 'debit': 5.0, 'name': 'Deposit fee'}),
                ]
            }
        )
        suspense = st_line.move_id.line_ids.filtered(lambda l: l.account_id == liquidity.account_id[:1])
        (suspense | liquidity).reconcile()
        self.assertTrue(st_line.is_reconciled)
        self._run_all()
        self.assertEqual(st_line.qbo_sync_state, 'synced', st_line.qbo_sync_error)
        [deposit] = self._deposits_of(st_line)
        self.assertAlmostEqual(float(deposit['TotalAmt']), 394.5, places=2, msg='what the bank shows')
        [fee] = [line for line in deposit['Line'] if not line.get('LinkedTxn')]
        self.assertAlmostEqual(float(fee['Amount']), -5.0, places=2)
        self.assertEqual(fee['DepositLineDetail']['AccountRef']['name'], 'Bank Charges')
        self.assertFalse(self._differences())

    def test_undone_deposit_is_deleted_and_made_again(self):
        invoices = [self._invoice_of(amount) for amount in (10.0, 20.0, 30.0)]
        payments = [self._pay(invoice) for invoice in invoices]
        st_line = self._statement_line(60.0)
        self._match(st_line, payments)
        self._run_all()
        first = st_line.qbo_id
        self.assertTrue(first)
        # Not deleted while QuickBooks holds its deposit: its job could no longer reach it.
        with self.assertRaises(UserError), self.env.cr.savepoint():
            st_line.unlink()
        st_line.action_undo_reconciliation()
        self._run_all()
        self.assertFalse(self._deposits_of(st_line), 'the deposit is deleted in QuickBooks')
        self.assertFalse(st_line.qbo_id)
        # Its payments are free again: another deposit takes them.
        self._match(st_line, payments)
        self._run_all()
        [deposit] = self._deposits_of(st_line)
        self.assertNotEqual(deposit['Id'], first)
        self.assertEqual(len(deposit['Line']), 3)
        self.assertFalse(self._differences())

    def test_cancelled_payment_leaves_the_deposit_then_is_voided(self):
        invoices = [self._invoice_of(amount) for amount in (10.0, 20.0)]
        payments = [self._pay(invoice) for invoice in invoices]
        st_line = self._statement_line(30.0)
        self._match(st_line, payments)
        self._run_all()
        payments[0].action_draft()
        payments[0].action_cancel()
        self._run_all()
        [deposit] = self._deposits_of(st_line)
        linked = [link['TxnId'] for line in deposit['Line'] for link in line['LinkedTxn']]
        self.assertEqual(linked, [payments[1].qbo_id])
        self.assertFalse(payments[0].qbo_id, 'voided once out of the deposit')
        self.assertFalse(self._differences())

    def test_lost_answer_is_not_duplicated(self):
        invoices = [self._invoice_of(amount) for amount in (11.0, 22.0, 33.0)]
        payments = [self._pay(invoice) for invoice in invoices]
        self._run_all()
        st_line = self._statement_line(66.0)
        self._match(st_line, payments)
        self.emu._call(
            'POST', 'faults', json={'kind': 'drop_after_commit', 'count': 1, 'entity': 'Deposit', 'method': 'POST'}
        )
        self._run_all()
        job = self._jobs(st_line)
        if job.state == 'pending':
            job.sudo().next_attempt_at = fields.Datetime.now()
            self._run_all()
        self.assertEqual(st_line.qbo_sync_state, 'synced', st_line.qbo_sync_error)
        self.assertEqual(len(self._deposits_of(st_line)), 1)

    def test_start_date_and_manual_mode_are_honoured(self):
        invoice = self._invoice_of(75.0)
        payment = self._pay(invoice)
        self.connection.sync_start_date = fields.Date.add(fields.Date.today(), days=1)
        st_line = self._statement_line(75.0)
        self._match(st_line, payment)
        self.assertFalse(self._jobs(st_line), 'dated before the start date')
        st_line.action_undo_reconciliation()
        self.connection.write({'sync_start_date': False, 'sync_mode': 'manual'})
        self._match(st_line, payment)
        self.assertFalse(self._jobs(st_line), 'manual mode')

    def test_switched_off_nothing_is_deposited(self):
        self.connection.sync_deposits = False
        invoice = self._invoice_of(75.0)
        payment = self._pay(invoice)
        st_line = self._statement_line(75.0)
        self._match(st_line, payment)
        self.assertFalse(self._jobs(st_line))
        self._run_all()
        self.assertFalse(self._qbo('Deposit'))

    def test_trust_receipt_is_a_deposit_to_the_trust_liability(self):
        self._check_trust_receipt()

    def test_only_quickbooks_users_see_or_mark_trust_journals(self):
        journal = self._journal()
        accountant = self.env['res.users'].create(
            {
                'name': 'Accountant without QuickBooks',
                'login': 'no_qbo_accountant',
                'group_ids': [Command.set([self.env.ref('account.group_account_manager').id])],
                'company_id': self.company.id,
                'company_ids': [Command.set(self.company.ids)],
            }
        )
        with self.assertRaises(AccessError):
            journal.with_user(accountant).write({'qbo_trust_account': True})
        with self.assertRaises(AccessError):
            journal.with_user(accountant).read(['qbo_bank_account_name'])
        accountant.group_ids = [Command.link(self.env.ref('qbo_connector.group_qbo_user').id)]
        journal.with_user(accountant).write({'qbo_trust_account': True, 'qbo_bank_account_name': 'Trust'})
        self.assertTrue(journal.qbo_trust_account)

    def test_the_screens_list_the_companys_journals_and_matters(self):
        settings = self.env['res.config.settings'].create({})
        action = settings.action_qbo_open_bank_accounts()
        journals = self.env['account.journal'].search(action['domain'])
        self.assertTrue(journals)
        self.assertEqual(set(journals.mapped('type')), {'bank', 'cash'})
        self.assertEqual(journals.company_id, self.env.company)
        arch = self.env['account.journal'].get_views([(action['view_id'][0], 'list')])['views']['list']['arch']
        self.assertIn('qbo_trust_account', arch)
        action = settings.action_qbo_open_matters()
        arch = self.env['account.analytic.account'].get_views([(action['view_id'][0], 'list')])['views']['list']['arch']
        self.assertIn('qbo_client_id', arch)

    def test_journal_mapped_by_the_name_set_in_the_screen(self):
        journal = self._journal()
        journal.qbo_bank_account_name = 'Savings'
        invoices = [self._invoice_of(amount) for amount in (5.0, 6.0)]
        payments = [self._pay(invoice) for invoice in invoices]
        st_line = self._statement_line(11.0)
        self._match(st_line, payments)
        self._run_all()
        [deposit] = self._deposits_of(st_line)
        self.assertEqual(deposit['DepositToAccountRef']['value'], self._account_named('Savings')['Id'])
        self.assertEqual(journal.qbo_bank_account_qbo_id, f"Savings ({self._account_named('Savings')['Id']})")


@tagged('post_install', '-at_install')
class TestPushBankCanada(QboBankCommon):
    realm = CA_REALM

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._qbo_setup_canada()

    def setUp(self):
        super().setUp()
        self._qbo_connect_canada()
        self.connection.sync_deposits = True
        self.exempt = self._ca_tax('Exempt 0%', 0.0)

    def _invoice_of(self, amount, partner=None):
        return self._move([(self.maple, 1, amount, self.exempt)], partner_id=(partner or self.partner_a).id)

    def test_deposit_of_three_payments_matching_one_statement_line(self):
        invoices = [self._invoice_of(amount) for amount in (100.0, 250.0, 49.5)]
        payments = [self._pay(invoice) for invoice in invoices]
        st_line = self._statement_line(399.5)
        self._match(st_line, payments)
        self._run_all()
        self.assertEqual(st_line.qbo_sync_state, 'synced', st_line.qbo_sync_error)
        [deposit] = self._deposits_of(st_line)
        self.assertAlmostEqual(float(deposit['TotalAmt']), 399.5, places=2)
        self.assertEqual(len(deposit['Line']), 3)
        self.assertFalse(self._differences())

    def test_trust_receipt_is_a_deposit_to_the_trust_liability(self):
        self._check_trust_receipt()
