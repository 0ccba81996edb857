"""Write-offs (issue 12, items 8 and 9): an invoice balance written off in Odoo (Register
Payment, "Mark as fully paid" with a write-off account) closes the invoice in QuickBooks too:
the payment goes with a credit memo of the amount written off, on a write-off item booking to
the QuickBooks account of the Odoo write-off account. US and Canadian companies."""

from odoo.tests import tagged

from .common import CA_REALM
from .test_push_bank import QboBankCommon


class QboWriteoffCommon(QboBankCommon):
    def _qbo_account(self, name, kind='Expense'):
        client = self.connection._qbo_client()
        return client.create('Account', {'Name': name, 'AccountType': kind})

    def _bad_debts(self):
        company = self.connection.company_id
        return self.env['account.account'].create(
            {'name': 'Bad Debts', 'code': '699100', 'account_type': 'expense', 'company_ids': [company.id]}
        )

    def _write_off(self, invoice, paid, account):
        return self._pay(
            invoice,
            amount=paid,
            payment_difference_handling='reconcile',
            writeoff_account_id=account.id,
            writeoff_label='Uncollectable',
        )

    def _writeoff_memos(self, payment):
        return [m for m in self._qbo('CreditMemo') if payment._qbo_reference() in (m.get('PrivateNote') or '')]

    def _assert_written_off(self, invoice, payment, paid, written_off, bad_debts_qbo):
        self.assertEqual(payment.qbo_sync_state, 'synced', payment.qbo_sync_error)
        self.assertEqual(invoice.payment_state, 'paid')
        self.assertAlmostEqual(float(self._qbo_doc('Invoice', invoice.name)['Balance']), 0.0, places=2)
        qbo_payment = self._qbo_by_id('Payment', payment.qbo_id)
        self.assertAlmostEqual(float(qbo_payment['TotalAmt']), paid, places=2)
        [memo] = self._writeoff_memos(payment)
        self.assertAlmostEqual(float(memo['TotalAmt']), written_off, places=2)
        self.assertAlmostEqual(float(memo['RemainingCredit']), 0.0, places=2)
        item = self._qbo_by_id('Item', memo['Line'][0]['SalesItemLineDetail']['ItemRef']['value'])
        self.assertEqual(item['Name'], 'Write-off - Bad Debts')
        self.assertEqual(item['IncomeAccountRef']['value'], bad_debts_qbo['Id'])
        self.assertIn(('CreditMemo', memo['Id']), self._applied(qbo_payment))
        self.assertFalse(self._differences())
        return memo


@tagged('post_install', '-at_install')
class TestPushWriteoff(QboWriteoffCommon):
    def setUp(self):
        super().setUp()
        self.connection.sync_writeoffs = True

    def test_written_off_balance_closes_the_invoice(self):
        bad_debts_qbo = self._qbo_account('Bad Debts')
        invoice = self._invoice_of(100.0)
        payment = self._write_off(invoice, 95.0, self._bad_debts())
        self._run_all()
        self._assert_written_off(invoice, payment, 95.0, 5.0, bad_debts_qbo)

    def test_an_inactive_write_off_item_is_used_again(self):
        """The write-off item made inactive in QuickBooks (by a bookkeeper tidying the item list) is
        made active again and used, not created anew: one query finds it, one write activates it."""
        bad_debts_qbo = self._qbo_account('Bad Debts')
        client = self.connection._qbo_client()
        income = {'value': bad_debts_qbo['Id']}
        item = client.create('Item', {'Name': 'Write-off - Bad Debts', 'Type': 'Service', 'IncomeAccountRef': income})
        client.update('Item', {'Id': item['Id'], 'SyncToken': item['SyncToken'], 'Active': False})
        invoice = self._invoice_of(100.0)
        payment = self._write_off(invoice, 95.0, self._bad_debts())
        self._run_all()
        memo = self._assert_written_off(invoice, payment, 95.0, 5.0, bad_debts_qbo)
        self.assertEqual(memo['Line'][0]['SalesItemLineDetail']['ItemRef']['value'], item['Id'])
        self.assertTrue(self._qbo_by_id('Item', item['Id'])['Active'])
        self.assertEqual(len([i for i in self._qbo('Item') if i['Name'] == 'Write-off - Bad Debts']), 1)
        item_calls = [
            (r['operation'], r['fault_code'])
            for r in self.emu.requests_log()['requests']
            if r.get('realm') == self.realm and r.get('entity') == 'Item'
        ]
        self.assertNotIn(('write', '6240'), item_calls, 'found by its query, not by a create refused')
        self.assertNotIn(('read', None), item_calls, 'nothing read back: the query answered it')

    def test_cancelled_then_paid_again(self):
        bad_debts_qbo = self._qbo_account('Bad Debts')
        bad_debts = self._bad_debts()
        invoice = self._invoice_of(100.0)
        payment = self._write_off(invoice, 90.0, bad_debts)
        self._run_all()
        memo = self._assert_written_off(invoice, payment, 90.0, 10.0, bad_debts_qbo)
        payment.action_draft()
        payment.action_cancel()
        self._run_all()
        self.assertAlmostEqual(float(self._qbo_doc('Invoice', invoice.name)['Balance']), 100.0, places=2)
        self.assertAlmostEqual(float(self._qbo_by_id('CreditMemo', memo['Id'])['TotalAmt']), 0.0, places=2)
        self.assertFalse(self._differences())
        again = self._write_off(invoice, 97.0, bad_debts)
        self._run_all()
        self._assert_written_off(invoice, again, 97.0, 3.0, bad_debts_qbo)

    def test_lost_answer_makes_no_second_memo(self):
        bad_debts_qbo = self._qbo_account('Bad Debts')
        invoice = self._invoice_of(100.0)
        self._run_all()
        payment = self._write_off(invoice, 80.0, self._bad_debts())
        self.emu._call(
            'POST', 'faults', json={'kind': 'drop_after_commit', 'count': 1, 'entity': 'CreditMemo', 'method': 'POST'}
        )
        self._run_all()
        job = self._jobs(payment)
        if job.state == 'pending':
            job.sudo().next_attempt_at = job.create_date
            self._run_all()
        self._assert_written_off(invoice, payment, 80.0, 20.0, bad_debts_qbo)

    def test_account_without_counterpart_fails_clearly_and_the_queue_goes_on(self):
        invoice = self._invoice_of(100.0)
        payment = self._write_off(invoice, 95.0, self._bad_debts())
        other = self._invoice_of(42.0)
        self._run_all()
        self.assertEqual(payment.qbo_sync_state, 'failed')
        self.assertIn('Bad Debts', payment.qbo_sync_error)
        self.assertFalse(self._writeoff_memos(payment))
        self.assertEqual(other.qbo_sync_state, 'synced')
        # Named in Settings, the retry goes through.
        self.connection.default_expense_account_name = 'Advertising'
        self._jobs(payment).filtered(lambda j: j.state == 'failed').action_retry()
        self._run_all()
        self._assert_written_off(invoice, payment, 95.0, 5.0, self._account_named('Advertising'))

    def test_credit_note_booked_to_the_write_off_account(self):
        bad_debts_qbo = self._qbo_account('Bad Debts')
        invoice = self._invoice_of(100.0)
        credit_note = self._move(
            [{'name': 'Written off', 'quantity': 1, 'price_unit': 20.0, 'account_id': self._bad_debts().id}],
            move_type='out_refund',
        )
        receivable = (invoice | credit_note).line_ids.filtered(lambda l: l.account_type == 'asset_receivable')
        receivable.reconcile()
        self._run_all()
        self.assertEqual(credit_note.qbo_sync_state, 'synced', credit_note.qbo_sync_error)
        memo = self._qbo_doc('CreditMemo', credit_note.name) or next(
            m for m in self._qbo('CreditMemo') if credit_note._qbo_reference() in (m.get('PrivateNote') or '')
        )
        item = self._qbo_by_id('Item', memo['Line'][0]['SalesItemLineDetail']['ItemRef']['value'])
        self.assertEqual(
            (item['Name'], item['IncomeAccountRef']['value']), ('Write-off - Bad Debts', bad_debts_qbo['Id'])
        )
        self.assertAlmostEqual(float(self._qbo_doc('Invoice', invoice.name)['Balance']), 80.0, places=2)
        self.assertFalse(self._differences())


@tagged('post_install', '-at_install')
class TestPushWriteoffCanada(QboWriteoffCommon):
    realm = CA_REALM

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._qbo_setup_canada()
        cls.gst = cls._ca_tax('GST 5%', 5.0)

    def setUp(self):
        super().setUp()
        self._qbo_connect_canada()
        self.connection.sync_writeoffs = True

    def test_written_off_balance_closes_the_invoice(self):
        bad_debts_qbo = self._qbo_account('Bad Debts')
        invoice = self._move([(self.maple, 1, 100.0, self.gst)])
        payment = self._write_off(invoice, 100.0, self._bad_debts())
        self._run_all()
        self._assert_written_off(invoice, payment, 100.0, 5.0, bad_debts_qbo)
