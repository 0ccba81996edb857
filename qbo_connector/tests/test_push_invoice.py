from datetime import timedelta

from odoo import Command, fields
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.tests import tagged

from .common import US_REALM, QboCommittedCase, QboTestMixin


class QboPushCommon(QboTestMixin, AccountTestInvoicingCommon):
    """A US company connected to the emulator's Sandbox Company US, with an 8 % sales tax
    (California's rate there) and products whose taxes it uses."""

    @classmethod
    @AccountTestInvoicingCommon.setup_country('us')
    def setUpClass(cls):
        super().setUpClass()
        cls._qbo_setup_emulator()
        cls.registry_enter_test_mode_cls()
        cls.company = cls.company_data['company']
        cls.tax_8 = cls.env['account.tax'].create(
            {
                'name': 'California 8%',
                'amount': 8.0,
                'amount_type': 'percent',
                'type_tax_use': 'sale',
                'company_id': cls.company.id,
            }
        )
        cls.product_a.write({'taxes_id': [Command.set(cls.tax_8.ids)], 'default_code': 'QBO-A'})
        cls.product_b.write({'taxes_id': [Command.set(cls.tax_8.ids)], 'default_code': 'QBO-B'})
        cls.partner_a.write({'email': 'partner.a@example.com'})

    def setUp(self):
        super().setUp()
        self.emu.reset()
        self.connection = self._qbo_connect(self.env, self.company, US_REALM)

    # -- helpers ---------------------------------------------------------------

    def _invoice(self, post=True, **values):
        values.setdefault(
            'invoice_line_ids',
            [
                self._prepare_invoice_line(product_id=self.product_a, quantity=2, price_unit=100.0),
                self._prepare_invoice_line(product_id=self.product_b, quantity=1, price_unit=55.5),
            ],
        )
        return self._create_invoice(post=post, **values)

    def _run_queue(self):
        """What the scheduled action does, in a cursor of its own (as the cron has)."""
        self.env.flush_all()
        with self.registry.cursor() as cr:
            processed = self.env(cr=cr)['qbo.sync.job']._cron_process_jobs()
        self.env.invalidate_all()
        return processed

    def _jobs(self, record):
        return self.env['qbo.sync.job'].sudo().search([('res_model', '=', record._name), ('res_id', '=', record.id)])

    def _qbo(self, entity):
        return self.emu._call('GET', f'{US_REALM}/{entity}')['objects']

    def _qbo_doc(self, entity, doc_number):
        found = [o for o in self._qbo(entity) if o.get('DocNumber') == doc_number]
        self.assertLessEqual(len(found), 1, f'{entity} {doc_number} exists {len(found)} times in QuickBooks')
        return found[0] if found else None

    def _quickbooks_preferences(self, **sections):
        """The QuickBooks company's bookkeeper changes its preferences (each of ``sections`` merged
        into what it holds), and the connection reads them, as Connect and Test Connection do."""
        client = self.connection._qbo_client()
        preferences = client.preferences()
        body = {'Id': preferences['Id'], 'SyncToken': preferences['SyncToken']}
        for section, values in sections.items():
            body[section] = {**preferences.get(section, {}), **values}
        client.update('Preferences', body)
        self.connection.action_test_connection()

    def _quickbooks_numbers_documents(self):
        """Custom transaction numbers off: QuickBooks numbers sales documents itself."""
        self._quickbooks_preferences(SalesFormsPrefs={'CustomTxnNumbers': False})
        self.assertFalse(self.connection.qbo_custom_txn_numbers)

    def _api_requests(self):
        return [r for r in self.emu.requests_log()['requests'] if r.get('realm') == US_REALM and '/v3/' in r['path']]

    def _assert_books_agree(self, move, qbo_doc):
        self.assertAlmostEqual(float(qbo_doc['TotalAmt']), move.amount_total, places=2)
        self.assertAlmostEqual(float(qbo_doc.get('TxnTaxDetail', {}).get('TotalTax', 0)), move.amount_tax, places=2)
        self.assertAlmostEqual(float(qbo_doc['Balance']), move.amount_residual, places=2)

    def _qbo_by_id(self, entity, qbo_id):
        found = [o for o in self._qbo(entity) if o['Id'] == qbo_id]
        self.assertEqual(len(found), 1, f'{entity} {qbo_id} not in QuickBooks')
        return found[0]

    def _qbo_payments_of(self, record):
        return [p for p in self._qbo('Payment') if record._qbo_reference() in (p.get('PrivateNote') or '')]

    def _applied(self, qbo_payment):
        return {
            (link['TxnType'], link['TxnId']): float(line['Amount'])
            for line in qbo_payment.get('Line') or []
            for link in line['LinkedTxn']
        }

    def _account_named(self, name):
        return next(a for a in self._qbo('Account') if a['Name'] == name)

    def _credit_note(self, partner=None, price_unit=50.0):
        """A credit note of one product_a line, to ``partner`` (partner_a when not given)."""
        values = {'partner_id': partner.id} if partner else {}
        return self._invoice(
            move_type='out_refund',
            invoice_line_ids=[self._prepare_invoice_line(product_id=self.product_a, quantity=1, price_unit=price_unit)],
            **values,
        )

    def _refund_check(self, refund):
        """The check (Purchase) a refund went to QuickBooks as, and the Receive Payment
        linking it to credit notes (None when there is none)."""
        check = self._qbo_by_id('Purchase', refund.qbo_id)
        links = self._qbo_payments_of(refund)
        self.assertLessEqual(len(links), 1)
        return check, (links[0] if links else None)

    def _differences(self):
        return self.env['qbo.books.check']._qbo_compare(self.connection)['differences']


@tagged('post_install', '-at_install')
class TestPushInvoice(QboPushCommon):
    def test_post_queues_and_the_queue_pushes(self):
        before = len(self.emu.requests_log()['requests'])
        invoice = self._invoice()
        # Posting wrote a job and did not talk to QuickBooks.
        self.assertEqual(len(self.emu.requests_log()['requests']), before)
        job = self._jobs(invoice)
        self.assertEqual((job.state, job.operation), ('pending', 'push'))
        self.assertEqual(invoice.qbo_sync_state, 'pending')
        self.assertEqual(len(job.request_id), 20)

        self._run_queue()
        self.assertEqual(job.state, 'done')
        self.assertEqual(invoice.qbo_sync_state, 'synced')
        qbo_invoice = self._qbo_doc('Invoice', invoice.name)
        self.assertEqual(qbo_invoice['Id'], invoice.qbo_id)
        self._assert_books_agree(invoice, qbo_invoice)
        self.assertIn(invoice._qbo_reference(), qbo_invoice['PrivateNote'])
        self.assertEqual(str(qbo_invoice['DueDate']), str(invoice.invoice_date_due))
        customer = [c for c in self._qbo('Customer') if c['Id'] == qbo_invoice['CustomerRef']['value']][0]
        self.assertEqual(customer['DisplayName'], self.partner_a.name)
        skus = {
            line['SalesItemLineDetail']['ItemRef']['value']
            for line in qbo_invoice['Line']
            if line.get('DetailType') == 'SalesItemLineDetail'
        }
        items = {i['Id']: i for i in self._qbo('Item')}
        self.assertEqual({items[i].get('Sku') for i in skus}, {'QBO-A', 'QBO-B'})
        self.assertTrue(invoice.qbo_url.endswith(f'/invoice?txnId={invoice.qbo_id}'))
        # Queued and pushed, the invoice was not edited (Odoo reads this flag, e.g. to auto-post bills).
        self.assertFalse(invoice.is_manually_modified)

    def test_reset_to_draft_before_the_queue_runs_sends_nothing(self):
        """Posted, then reset to draft before the queue ran: the draft does not go to
        QuickBooks; posted again, the document goes, once."""
        invoice = self._invoice()
        invoice.button_draft()
        invoice.invoice_line_ids[0].price_unit = 120.0
        self._run_queue()
        self.assertFalse(self._qbo_doc('Invoice', invoice.name), 'a draft is not sent')
        self.assertEqual(self._jobs(invoice).state, 'done')
        self.assertFalse(invoice.qbo_sync_state, 'nothing in QuickBooks, no status')
        invoice.action_post()
        self._run_queue()
        self.assertEqual(invoice.qbo_sync_state, 'synced')
        self._assert_books_agree(invoice, self._qbo_doc('Invoice', invoice.name))

    def test_found_after_a_lost_answer_is_brought_up_to_date(self):
        """The create's answer lost, then the invoice changed in Odoo before the retry: the
        retry finds the QuickBooks invoice by its number and updates it to Odoo's."""
        invoice = self._invoice()
        self.emu.lose_answer('Invoice')
        self._run_queue()
        job = self._jobs(invoice)
        self.assertTrue(job.outcome_unknown)
        invoice.button_draft()
        invoice.invoice_line_ids[0].price_unit = 120.0
        invoice.action_post()
        self.assertEqual(self._jobs(invoice), job, 'the waiting job is reused')
        job.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual(job.state, 'done')
        qbo_invoice = self._qbo_doc('Invoice', invoice.name)  # exactly one
        self.assertEqual(invoice.qbo_id, qbo_invoice['Id'])
        self._assert_books_agree(invoice, qbo_invoice)

    def test_a_changed_document_is_never_answered_by_a_replay(self):
        """An update whose answer was lost, then the invoice changed again in Odoo before the
        retry: the retry sends the new content under a request id of its own, so QuickBooks holds
        Odoo's latest amounts (a reused id is answered with the first update, whatever is sent)."""
        invoice = self._invoice()
        self._run_queue()
        invoice.button_draft()
        invoice.invoice_line_ids[0].price_unit = 150.0
        invoice.action_post()
        self.emu.lose_answer('Invoice', update=True)
        self._run_queue()
        job = self._jobs(invoice).filtered(lambda j: j.state == 'pending')
        self.assertTrue(job.outcome_unknown)
        invoice.button_draft()
        invoice.invoice_line_ids[0].price_unit = 175.0
        invoice.action_post()
        self.assertEqual(self._jobs(invoice).filtered(lambda j: j.state == 'pending'), job, 'the waiting job is reused')
        job.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual(job.state, 'done')
        self._assert_books_agree(invoice, self._qbo_doc('Invoice', invoice.name))
        updates = self.connection.log_ids.filtered(
            lambda log: log.request_id and log.request_id.startswith(job.request_id) and log.method == 'POST'
        )
        self.assertEqual(len(set(updates.mapped('request_id'))), len(updates), 'one request id per body sent')

    def _reads(self, requests):
        """The requests QuickBooks meters (reads and queries) among ``requests``."""
        return [r for r in requests if r['method'] == 'GET' or '/query' in r['path']]

    def test_an_update_reads_nothing_while_its_synctoken_is_current(self):
        """QuickBooks meters reads: an invoice changed in Odoo is updated with the SyncToken of
        our last write, without reading it first; when QuickBooks changed it since (a payment
        applied bumps its SyncToken), the stale answer costs one read and the update goes."""
        invoice = self._invoice()
        self._run_queue()
        invoice.button_draft()
        invoice.ref = 'Changed in Odoo'
        invoice.action_post()
        before = len(self._api_requests())
        self._run_queue()
        sent = self._api_requests()[before:]
        self.assertEqual((len(sent), self._reads(sent)), (1, []), 'one write, no read')
        self.assertEqual(self._qbo_doc('Invoice', invoice.name)['CustomerMemo']['value'], 'Changed in Odoo')

        self._register_payment(invoice, amount=50.0)
        self._run_queue()
        invoice.button_draft()
        invoice.ref = 'Changed again'
        invoice.action_post()
        before = len(self._api_requests())
        self._run_queue()
        self.assertEqual(len(self._reads(self._api_requests()[before:])), 1, 'one read, after QuickBooks said stale')
        qbo_invoice = self._qbo_doc('Invoice', invoice.name)
        self.assertEqual(qbo_invoice['CustomerMemo']['value'], 'Changed again')
        self._assert_books_agree(invoice, qbo_invoice)

    def test_only_synced_documents_are_queued(self):
        """The outbox takes the models that implement the synced hooks, nothing else."""
        with self.assertRaises(ValueError):
            self.env['qbo.sync.job']._qbo_enqueue(self.product_a, 'push')
        self.assertFalse(self._jobs(self.product_a))

    def test_steady_state_one_request_per_invoice(self):
        self._invoice()
        self._run_queue()
        invoices = [self._invoice() for _ in range(3)]
        before = len(self._api_requests())
        self._run_queue()
        self.assertEqual(len(self._api_requests()) - before, 3, 'customer, items and tax already mapped')
        for invoice in invoices:
            self._assert_books_agree(invoice, self._qbo_doc('Invoice', invoice.name))

    def test_reset_and_repost_updates(self):
        invoice = self._invoice()
        self._run_queue()
        qbo_id = invoice.qbo_id
        invoice.button_draft()
        invoice.invoice_line_ids[0].price_unit = 150.0
        invoice.action_post()
        self._run_queue()
        self.assertEqual(invoice.qbo_id, qbo_id)
        qbo_invoice = self._qbo_doc('Invoice', invoice.name)
        self.assertEqual(qbo_invoice['Id'], qbo_id)
        self._assert_books_agree(invoice, qbo_invoice)

    def test_cancel_voids(self):
        invoice = self._invoice()
        self._run_queue()
        invoice.button_draft()
        invoice.button_cancel()
        self._run_queue()
        qbo_invoice = self._qbo_doc('Invoice', invoice.name)
        self.assertEqual(float(qbo_invoice['TotalAmt']), 0.0)
        self.assertEqual(float(qbo_invoice['Balance']), 0.0)
        self.assertEqual(self._jobs(invoice).filtered(lambda j: j.operation == 'void').state, 'done')

    def test_credit_note(self):
        refund = self._invoice(move_type='out_refund')
        self._run_queue()
        memo = self._qbo_doc('CreditMemo', refund.name)
        self.assertAlmostEqual(float(memo['TotalAmt']), refund.amount_total, places=2)
        self.assertAlmostEqual(float(memo['RemainingCredit']), refund.amount_residual, places=2)

    def test_doc_number_too_long_fails_clearly_and_others_carry_on(self):
        good = self._invoice()
        bad = self._invoice(post=False)
        bad.name = 'INV/2026/A-NUMBER-FAR-TOO-LONG-1'
        bad.action_post()
        self._run_queue()
        self.assertEqual(bad.qbo_sync_state, 'failed')
        self.assertIn('21', bad.qbo_sync_error)
        self.assertIn('prefix', bad.qbo_sync_error)
        self.assertTrue(bad.message_ids.filtered(lambda m: 'QuickBooks refused' in str(m.body)))
        self.assertEqual(self._jobs(bad).state, 'failed')
        self.assertEqual(good.qbo_sync_state, 'synced')
        self.assertFalse([i for i in self._qbo('Invoice') if i.get('DocNumber') == bad.name])
        # Fixed and posted again: it goes.
        bad.button_draft()
        bad.name = 'INV/2026/99001'
        bad.action_post()
        self._run_queue()
        self.assertEqual(bad.qbo_sync_state, 'synced')
        self._assert_books_agree(bad, self._qbo_doc('Invoice', 'INV/2026/99001'))

    def test_throttled_then_retried(self):
        invoice = self._invoice()
        self._run_queue()  # master data mapped
        second = self._invoice()
        self.emu._call('POST', 'faults', json={'kind': '429', 'count': 1, 'entity': 'Invoice', 'method': 'POST'})
        self._run_queue()
        job = self._jobs(second)
        self.assertEqual(job.state, 'pending')
        self.assertEqual(job.error_code, '3001')
        self.assertGreater(job.next_attempt_at, fields.Datetime.now() + timedelta(seconds=30))
        self.assertEqual(second.qbo_sync_state, 'pending')
        self.assertEqual(job.attempts, 0, 'throttling costs no attempt')
        # A minute later: the company's pause is over.
        self.env['qbo.realm.throttle'].sudo().search([]).paused_until = fields.Datetime.now()
        job.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual(job.state, 'done')
        self.assertTrue(self._qbo_doc('Invoice', second.name))
        self.assertTrue(self._qbo_doc('Invoice', invoice.name))

    def test_performed_then_dropped_is_not_duplicated(self):
        self._run_queue()
        invoice = self._invoice()
        self.emu.lose_answer('Invoice')
        self._run_queue()
        job = self._jobs(invoice)
        self.assertEqual(job.state, 'pending')
        self.assertTrue(job.outcome_unknown)
        self.assertTrue(self._qbo_doc('Invoice', invoice.name), 'QuickBooks did create it')
        job.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual(job.state, 'done')
        qbo_invoice = self._qbo_doc('Invoice', invoice.name)  # asserts there is exactly one
        self.assertEqual(invoice.qbo_id, qbo_invoice['Id'])

    def test_a_lost_answer_looks_up_receipts_only_where_receipts_were_ever_on(self):
        """After an attempt whose answer was lost, the invoice is looked up; a sales receipt is
        looked up too only on a connection that ever had receipts on (a read for nothing else)."""
        logs = self.env['qbo.sync.log'].sudo()

        def lost_attempt(invoice):
            self.emu.lose_answer('Invoice')
            self._run_queue()
            job = self._jobs(invoice)
            self.assertTrue(job.outcome_unknown)
            job.next_attempt_at = fields.Datetime.now()
            last = logs.search([], order='id desc', limit=1).id
            self._run_queue()
            self.assertEqual(job.state, 'done')
            self._qbo_doc('Invoice', invoice.name)  # exactly one
            return logs.search([('id', '>', last), ('endpoint', 'ilike', 'query')]).mapped('request_body')

        self._run_queue()
        self.assertFalse(self.connection.receipts_used)
        queries = lost_attempt(self._invoice())
        self.assertTrue([q for q in queries if 'FROM Invoice' in q], 'the invoice is looked up')
        self.assertFalse([q for q in queries if 'SalesReceipt' in q])
        self.connection.receipts_paid_at_once = True
        self.connection.receipts_paid_at_once = False
        self.assertTrue(self.connection.receipts_used, 'remembered once switched on')
        queries = lost_attempt(self._invoice())
        self.assertTrue([q for q in queries if 'FROM SalesReceipt' in q], 'the receipt is looked up')

    def test_server_errors_retry_without_duplicates(self):
        invoice = self._invoice()
        self.emu.fail_write('Invoice', '500')
        self._run_queue()
        job = self._jobs(invoice)
        self.assertEqual(job.state, 'pending')
        job.next_attempt_at = fields.Datetime.now()
        self.emu.fail_write('Invoice', 'reset')
        self._run_queue()
        job.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual(job.state, 'done')
        self.assertTrue(self._qbo_doc('Invoice', invoice.name))
        self.assertEqual(job.attempts, 3)

    def test_a_read_meeting_a_passing_fault_is_read_again_within_the_attempt(self):
        """A lookup answered 500, then cut off: it changed nothing, so it is sent again at once
        and the push goes through in its first attempt (a job has 8 attempts, and under a
        flaky network an attempt of several requests would use them up on reads alone)."""
        invoice = self._invoice()
        for kind in ('500', 'reset'):
            self.emu._call('POST', 'faults', json={'kind': kind, 'count': 1, 'path': '/query'})
        seen = len(self._api_requests())
        self._run_queue()
        job = self._jobs(invoice)
        self.assertEqual((job.state, job.attempts), ('done', 1))
        queries = [r for r in self._api_requests()[seen:] if r.get('operation') == 'query']
        self.assertEqual([r.get('injected') for r in queries[:3]], ['500', 'reset', None])
        self.assertEqual(len([r for r in self._api_requests()[seen:] if r.get('entity') == 'Invoice']), 1)
        self.assertTrue(self._qbo_doc('Invoice', invoice.name))

    def test_an_update_meeting_passing_faults_is_sent_again_within_the_attempt(self):
        """A change sent as an update whose answer was lost (performed), then refused 503: it
        carries the invoice's SyncToken, so it is sent again at once under its request id and
        QuickBooks answers the first update — one attempt, the change applied once."""
        invoice = self._invoice()
        self._run_queue()
        invoice.button_draft()
        invoice.invoice_line_ids[0].price_unit = 140.0
        invoice.action_post()
        for kind in ('drop_after_commit', '503'):
            self.emu._call('POST', 'faults', json={'kind': kind, 'count': 1, 'entity': 'Invoice', 'method': 'POST'})
        seen = len(self._api_requests())
        self._run_queue()
        job = self._jobs(invoice).sorted('id')[-1]
        self.assertEqual((job.state, job.attempts), ('done', 1))
        writes = [r for r in self._api_requests()[seen:] if r.get('entity') == 'Invoice']
        self.assertEqual([r.get('injected') for r in writes], ['drop_after_commit', '503', None])
        qbo_invoice = self._qbo_doc('Invoice', invoice.name)
        self.assertEqual(qbo_invoice['SyncToken'], '1', 'updated once')
        self._assert_books_agree(invoice, qbo_invoice)

    def test_a_create_meeting_passing_faults_is_looked_up_then_sent_again_within_the_attempt(self):
        """A create refused 500 (not performed), then cut off after QuickBooks performed it: each
        time the invoice is looked up before anything is sent again; the second lookup finds it,
        and it is linked — one attempt, one invoice in QuickBooks."""
        self._run_queue()
        invoice = self._invoice()
        for kind in ('500', 'drop_after_commit'):
            self.emu._call('POST', 'faults', json={'kind': kind, 'count': 1, 'entity': 'Invoice', 'method': 'POST'})
        seen = len(self._api_requests())
        self._run_queue()
        job = self._jobs(invoice)
        self.assertEqual((job.state, job.attempts), ('done', 1))
        sent = [r for r in self._api_requests()[seen:] if r.get('entity') == 'Invoice' or r.get('operation') == 'query']
        first = next(i for i, r in enumerate(sent) if r.get('entity') == 'Invoice')
        self.assertEqual(
            [(r.get('entity'), r.get('injected')) for r in sent[first:]],
            [('Invoice', '500'), (None, None), ('Invoice', 'drop_after_commit'), (None, None)],
            'each create that may have been performed is looked up before the next',
        )
        qbo_invoice = self._qbo_doc('Invoice', invoice.name)  # exactly one
        self.assertEqual(invoice.qbo_id, qbo_invoice['Id'])
        self._assert_books_agree(invoice, qbo_invoice)

    def test_a_read_failing_three_times_ends_the_attempt(self):
        invoice = self._invoice()
        self.emu._call('POST', 'faults', json={'kind': '503', 'count': 3, 'path': '/query'})
        seen = len(self._api_requests())
        self._run_queue()
        job = self._jobs(invoice)
        self.assertEqual((job.state, job.attempts), ('pending', 1))
        self.assertEqual(
            [r.get('injected') for r in self._api_requests()[seen:] if r.get('operation') == 'query'],
            ['503', '503', '503'],
            'read three times, then the attempt ends (no write sent)',
        )
        self.assertFalse([r for r in self._api_requests()[seen:] if r.get('entity') == 'Invoice'])
        job.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual((job.state, job.attempts), ('done', 2))

    def test_manual_mode_and_start_date(self):
        self.connection.sync_mode = 'manual'
        invoice = self._invoice()
        self.assertFalse(self._jobs(invoice))
        invoice.action_qbo_push()
        self.assertEqual(self._jobs(invoice).state, 'pending')
        self.connection.write({'sync_mode': 'automatic', 'sync_start_date': fields.Date.today() + timedelta(days=1)})
        early = self._invoice()
        self.assertFalse(self._jobs(early))

    def test_enqueue_cost_does_not_grow_with_lines(self):
        def invoice_with(n):
            return self._invoice(
                post=False,
                invoice_line_ids=[
                    self._prepare_invoice_line(product_id=self.product_a, quantity=1, price_unit=10.0 + i)
                    for i in range(n)
                ],
            )

        def queries_to_enqueue(invoice):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            invoice._qbo_enqueue('push')
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        self.connection.sync_mode = 'manual'  # posted without queueing, to measure the queueing alone
        warm, small, large = invoice_with(1), invoice_with(1), invoice_with(40)
        (warm + small + large).action_post()
        self.connection.sync_mode = 'automatic'
        queries_to_enqueue(warm)  # fills the per-process caches (xml ids, defaults)
        self.assertEqual(queries_to_enqueue(small), queries_to_enqueue(large))
        self.assertEqual(len(self._jobs(large)), 1)

    def test_needs_reconnect_pauses_the_queue(self):
        invoice = self._invoice()
        self.connection._qbo_set_needs_reconnect('Refused in a test.')
        before = len(self._api_requests())
        self._run_queue()
        job = self._jobs(invoice)
        self.assertEqual((job.state, job.attempts), ('pending', 0), 'paused, not failed')
        self.assertEqual(len(self._api_requests()), before, 'nothing sent while paused')
        self.connection.state = 'connected'  # what a reconnect does
        self._run_queue()
        self.assertEqual(job.state, 'done')
        self.assertTrue(self._qbo_doc('Invoice', invoice.name))

    def test_no_duplicate_pending_job(self):
        invoice = self._invoice()
        job = self._jobs(invoice)
        invoice.action_qbo_push()
        self.assertEqual(self._jobs(invoice), job)


@tagged('post_install', '-at_install')
class TestTwoWorkers(QboCommittedCase):
    """Two cron workers draining one queue at the same time, in real transactions: each
    invoice reaches QuickBooks once."""

    def _qbo_committed_setup(self, env):
        partner = env['res.partner'].create({'name': 'Two Workers Inc', 'email': 'two.workers@example.com'})
        product = env['product.product'].create(
            {'name': 'Two workers widget', 'default_code': 'TWO-W', 'taxes_id': False}
        )
        moves = env['account.move'].create(
            [
                {
                    'move_type': 'out_invoice',
                    'partner_id': partner.id,
                    'invoice_date': fields.Date.today(),
                    'invoice_line_ids': [
                        Command.create(
                            {'product_id': product.id, 'quantity': 1, 'price_unit': 10 + i, 'tax_ids': False}
                        )
                    ],
                }
                for i in range(12)
            ]
        )
        moves.action_post()
        self.names = moves.mapped('name')

    def test_two_workers_no_duplicate(self):
        def drain(env, barrier):
            barrier.wait(timeout=10)
            return env['qbo.sync.job']._cron_process_jobs()

        self._qbo_race(drain)
        # A job that lost a race to link the same new customer or product waits a few
        # seconds; the next run (the cron's) takes it.
        with self.registry.cursor() as cr:
            env = self._env(cr)
            waiting = env['qbo.sync.job'].search(
                [('connection_id', '=', self.connection_id), ('state', '=', 'pending')]
            )
            self.assertEqual(set(waiting.mapped('error_code')) - {'concurrent'}, set())
            waiting.write({'next_attempt_at': fields.Datetime.now()})
        with self.registry.cursor() as cr:
            self._env(cr)['qbo.sync.job']._cron_process_jobs()
        in_qbo = [i['DocNumber'] for i in self.emu._call('GET', f'{US_REALM}/Invoice')['objects']]
        with self.registry.cursor() as cr:
            jobs = self._env(cr)['qbo.sync.job'].search([('connection_id', '=', self.connection_id)])
            states = {j.record_name: (j.state, j.error_code, j.error_message) for j in jobs}
        for name in self.names:
            self.assertEqual(in_qbo.count(name), 1, f'{name}: {states.get(name)}')
        with self.registry.cursor() as cr:
            env = self._env(cr)
            jobs = env['qbo.sync.job'].search([('connection_id', '=', self.connection_id)])
            self.assertEqual(set(jobs.mapped('state')), {'done'})
            self.assertEqual(len(jobs), len(self.names))
