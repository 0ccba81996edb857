"""QuickBooks' rate limits: a 429 pauses the company for every worker and costs no attempt,
Retry-After wins, and workers share the limits instead of tripping them (issue 9, defect 6)."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .. import const
from ..exceptions import QboRetryableError
from .common import US_REALM, QboCommittedCase
from .test_push_invoice import QboPushCommon


@tagged('post_install', '-at_install')
class TestThrottledQueue(QboPushCommon):
    # The pause a 429 sets for every worker is written in a cursor of its own, which a test
    # cursor cannot keep apart from the job's (TestSharedThrottle shows it across workers);
    # here the queue of one worker is watched.

    def _pause_over(self):
        """A minute later: QuickBooks' pause is over and the waiting jobs are due."""
        self.env['qbo.realm.throttle'].sudo().search([]).paused_until = fields.Datetime.now() - timedelta(seconds=1)
        self.env['qbo.sync.job'].sudo().search([('state', '=', 'pending')]).next_attempt_at = fields.Datetime.now()

    def _invoice_posts(self):
        return [r for r in self._api_requests() if r['method'] == 'POST' and r.get('entity') == 'Invoice']

    def test_a_429_pauses_the_company_and_costs_no_attempt(self):
        self._invoice()
        self._run_queue()  # customers, items and tax codes mapped
        first, second = self._invoice(), self._invoice()
        self.emu._call('POST', 'faults', json={'kind': '429', 'count': 1, 'entity': 'Invoice', 'method': 'POST'})
        posts_before = len(self._invoice_posts())
        self._run_queue()
        first_job, second_job = self._jobs(first), self._jobs(second)
        self.assertEqual((first_job.state, first_job.error_code, first_job.attempts), ('pending', '3001', 0))
        self.assertFalse(first_job.outcome_unknown, 'a throttled request was not performed')
        # The queue did not go on sending to a company that just said "slow down".
        self.assertEqual(len(self._invoice_posts()) - posts_before, 1)
        self.assertEqual((second_job.state, second_job.attempts), ('pending', 0))
        self.assertIn('throttling', first_job.error_message)

        self._pause_over()
        self._run_queue()
        self.assertEqual((first_job.state, first_job.attempts), ('done', 1))
        self.assertEqual((second_job.state, second_job.attempts), ('done', 1))
        self.assertTrue(self._qbo_doc('Invoice', first.name))
        self.assertTrue(self._qbo_doc('Invoice', second.name))

    def test_retry_after_wins(self):
        self._run_queue()
        invoice = self._invoice()
        self.emu._call('PATCH', 'config', json={'throttle_retry_after': 600})
        self.emu._call('POST', 'faults', json={'kind': '429', 'count': 1, 'entity': 'Invoice', 'method': 'POST'})
        self._run_queue()
        job = self._jobs(invoice)
        self.assertEqual((job.state, job.error_code), ('pending', '3001'))
        later = fields.Datetime.now() + timedelta(seconds=590)
        self.assertGreater(job.next_attempt_at, later)
        self.assertIn('600 s', job.error_message)

    def test_throttling_storms_never_fail_a_job(self):
        """More bursts of 429 than a job has attempts: it waits them all out, then goes."""
        self._invoice()
        self._run_queue()
        invoice = self._invoice()
        job = self._jobs(invoice)
        for _burst in range(const.JOB_MAX_ATTEMPTS + 2):
            self.emu._call('POST', 'faults', json={'kind': '429', 'count': 1, 'entity': 'Invoice', 'method': 'POST'})
            self._run_queue()
            self.assertEqual((job.state, job.attempts), ('pending', 0))
            self._pause_over()
        self._run_queue()
        self.assertEqual(job.state, 'done')
        self.assertTrue(self._qbo_doc('Invoice', invoice.name))

    def test_master_data_created_before_a_failure_stays_linked(self):
        """A new customer and two new items are created, then the invoice itself is refused for
        now: the next attempt reuses them, without a request for any of them."""
        self._run_queue()
        partner = self.env['res.partner'].create({'name': 'Throttle Newcomer', 'email': 'new@example.com'})
        products = self.env['product.product'].create(
            [{'name': f'Throttle item {i}', 'default_code': f'THR-{i}', 'taxes_id': False} for i in range(2)]
        )
        invoice = self._invoice(
            partner_id=partner.id,
            invoice_line_ids=[self._prepare_invoice_line(product_id=p, quantity=1, price_unit=10.0) for p in products],
        )
        self.emu.fail_write('Invoice', '503')
        self._run_queue()
        job = self._jobs(invoice)
        self.assertEqual(job.state, 'pending')
        mappings = self.env['qbo.mapping'].sudo()
        self.assertTrue(mappings._qbo_find(self.connection, partner, 'Customer'), 'the customer stays linked')
        for product in products:
            self.assertTrue(mappings._qbo_find(self.connection, product, 'Item'), 'the items stay linked')
        seen = len(self._api_requests())
        job.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual(job.state, 'done')
        again = [r for r in self._api_requests()[seen:] if r.get('entity') in ('Customer', 'Item')]
        self.assertFalse(again, 'nothing asked or sent again about the customer and items')
        self.assertEqual(len([c for c in self._qbo('Customer') if c['DisplayName'] == 'Throttle Newcomer']), 1)

    def test_a_waiting_payment_goes_as_soon_as_its_invoice_is_in(self):
        self._run_queue()
        invoice = self._invoice()
        payment = (
            self.env['account.payment.register']
            .with_context(active_model='account.move', active_ids=invoice.ids)
            .create({})
            ._create_payments()
        )
        self.emu._call('POST', 'faults', json={'kind': '503', 'count': 1, 'entity': 'Invoice', 'method': 'GET'})
        self.emu.fail_write('Invoice', '500')
        self._run_queue()
        payment_job = self._jobs(payment)
        self.assertEqual((payment_job.state, payment_job.error_code), ('pending', 'waiting'))
        self.assertEqual(payment_job.attempts, 0, 'waiting for its invoice spends no attempt')
        self.assertGreater(payment_job.next_attempt_at, fields.Datetime.now() + timedelta(seconds=30))
        # Only the invoice is made due (a minute later); its payment follows it without waiting
        # out its own backoff.
        self._jobs(invoice).next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self._run_queue()
        self.assertEqual(self._jobs(invoice).state, 'done')
        self.assertEqual((payment_job.state, payment.qbo_sync_state), ('done', 'synced'))


@tagged('post_install', '-at_install')
class TestSharedThrottle(QboCommittedCase):
    """Workers in their own transactions, as the processes of an Odoo server are."""

    def setUp(self):
        self._forget_throttle()
        super().setUp()
        self.addCleanup(self._forget_throttle)

    def _forget_throttle(self):
        with self.registry.cursor() as cr:
            self._env(cr)['qbo.realm.throttle'].search([]).unlink()
            params = self._env(cr)['ir.config_parameter']
            params.set_param('qbo_connector.requests_per_minute', False)
            params.set_param('qbo_connector.concurrent_requests', False)

    def _set_params(self, **values):
        with self.registry.cursor() as cr:
            for key, value in values.items():
                self._env(cr)['ir.config_parameter'].set_param(f'qbo_connector.{key}', value)

    def _ask_company(self, calls):
        """A worker asking QuickBooks for the company's information ``calls`` times."""

        def work(env, barrier):
            client = env['qbo.connection'].browse(self.connection_id)._qbo_client()
            barrier.wait()
            answers = []
            for _ in range(calls):
                try:
                    answers.append(client.company_info()['CompanyName'])
                except Exception as error:  # noqa: BLE001 - counted by the test
                    answers.append(error)
            return answers

        return work

    def test_a_429_seen_by_one_worker_pauses_every_worker(self):
        self.emu._call('PATCH', 'config', json={'throttle_retry_after': 120})
        self.emu._call('POST', 'faults', json={'kind': '429', 'count': 1})
        with self.registry.cursor() as cr:
            client = self._connection(cr)._qbo_client()
            error = self._qbo_raises(QboRetryableError, client.company_info)
            self.assertEqual((error.code, error.throttled, error.retry_after), ('3001', True, 120))
        sent = self.emu.stats()['realms'][US_REALM]['requests']
        with self.registry.cursor() as cr:  # another worker
            client = self._connection(cr)._qbo_client()
            error = self._qbo_raises(QboRetryableError, client.company_info)
            self.assertEqual((error.code, error.throttled), ('throttled', True))
            self.assertGreater(error.retry_after, 110)
            throttle = self._env(cr)['qbo.realm.throttle'].search([('realm_id', '=', US_REALM)])
            self.assertEqual(throttle.throttled_count, 1)
            self.assertGreater(throttle.paused_until, fields.Datetime.now() + timedelta(seconds=110))
        self.assertEqual(self.emu.stats()['realms'][US_REALM]['requests'], sent, 'nothing sent while paused')
        with self.registry.cursor() as cr:  # two minutes later
            cr.execute("UPDATE qbo_realm_throttle SET paused_until = NULL")
        with self.registry.cursor() as cr:
            self.assertTrue(self._connection(cr)._qbo_client().company_info()['CompanyName'])

    def test_workers_share_the_concurrency_limit(self):
        # QuickBooks allows two requests at once here, and each takes 0.3 s.
        self.emu._call(
            'PATCH', 'config', json={'concurrent_requests': 2, 'fault_injection': {'latency_ms': [300, 300]}}
        )
        self._set_params(concurrent_requests=2)
        results = self._qbo_race(self._ask_company(3), workers=4)
        answers = [a for worker in results for a in worker]
        self.assertEqual([a for a in answers if not isinstance(a, str)], [], 'every request was answered')
        self.assertEqual(len(answers), 12)
        self.assertEqual(self.emu.stats()['realms'][US_REALM].get('throttled', 0), 0)

    def test_workers_share_the_rate_limit(self):
        # QuickBooks allows ten requests a minute here; we keep to nine, one every 6.7 s.
        self.emu._call('PATCH', 'config', json={'requests_per_minute': 10})
        self._set_params(requests_per_minute=9)
        results = self._qbo_race(self._ask_company(1), workers=4)
        answers = [a for worker in results for a in worker]
        sent = [a for a in answers if isinstance(a, str)]
        waiting = [a for a in answers if not isinstance(a, str)]
        self.assertEqual(self.emu.stats()['realms'][US_REALM].get('throttled', 0), 0, 'QuickBooks never said 429')
        self.assertEqual(len(sent), 2, 'one at once, one 6.7 s later; the rest would wait longer than a worker sleeps')
        self.assertTrue(all(getattr(e, 'throttled', False) and e.code == 'throttled' for e in waiting), waiting)
