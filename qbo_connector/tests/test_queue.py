"""The queue under what users and workers do: retries in any order, workers that die, a
reconnect, a job pointed at another company's record, and the call log's retention."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from odoo import Command, fields
from odoo.tests import tagged

from .. import const
from .common import CLIENT_ID, CLIENT_SECRET, US_REALM, QboCommittedCase
from .test_push_invoice import QboPushCommon


def _job_locks(cr, own_session_only):
    """Ids of the jobs whose claim (advisory lock) is held, by this session or by anyone."""
    cr.execute(
        "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid::bigint = %s "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        + (" AND pid = pg_backend_pid()" if own_session_only else ""),
        [const.JOB_LOCK_NAMESPACE],
    )
    return [row[0] for row in cr.fetchall()]


@tagged('post_install', '-at_install')
class TestQueue(QboPushCommon):
    def test_retry_after_a_second_push_does_not_wedge_the_queue(self):
        """A payment fails waiting for a refused invoice; the user pushes it again (a second job
        waits); the invoice fixed and retried syncs and its done step retries the failed payment
        job: the queue carries on, one job per payment goes, no lock is left behind."""
        self.connection.invoice_prefix = 'FAR-TOO-LONG-A-PREFIX-'
        invoice = self._invoice()
        payment = self._register_payment(invoice)
        self._run_queue()
        self.assertEqual(invoice.qbo_sync_state, 'failed')
        failed = self._jobs(payment)
        self.assertEqual((failed.state, failed.error_code), ('failed', 'dependency'))

        payment.action_qbo_push()
        pushed_again = self._jobs(payment) - failed
        self.assertEqual(pushed_again.state, 'pending')

        self.connection.invoice_prefix = False
        self._jobs(invoice).action_retry()
        self._run_queue()
        self.assertEqual(self._jobs(invoice).state, 'done', 'the invoice job finished, not stuck in progress')
        self.assertEqual(invoice.qbo_sync_state, 'synced')
        self.assertEqual(failed.state, 'cancelled', 'merged into the job already waiting')
        self.assertEqual(pushed_again.state, 'done')
        self.assertEqual((payment.qbo_sync_state, len(self._qbo_payments_of(payment))), ('synced', 1))
        self.assertFalse(_job_locks(self.env.cr, own_session_only=True), 'no claim left behind')
        # Run again: nothing is waiting, nothing is written again.
        before = len(self._api_requests())
        self._run_queue()
        self.assertEqual(len(self._api_requests()), before)

    def test_a_payment_of_an_invoice_that_gave_up_says_why_and_follows_it(self):
        """The invoice's push gave up after faults (QuickBooks refused nothing): its payment
        fails naming that reason, not "QuickBooks refused", and goes once the invoice is in."""
        self._run_queue()
        invoice = self._invoice()
        payment = self._register_payment(invoice)
        invoice_job = self._jobs(invoice)
        invoice_job.sudo().write({'attempts': const.JOB_MAX_ATTEMPTS - 1})
        self.emu.fail_write('Invoice', '503')
        self._run_queue()
        self.assertEqual(invoice_job.state, 'failed')
        self.assertIn('Gave up after', invoice_job.error_message)
        payment_job = self._jobs(payment)
        payment_job.sudo().next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual((payment_job.state, payment_job.error_code), ('failed', 'dependency'))
        self.assertNotIn(f'QuickBooks refused {invoice.name}', payment_job.error_message)
        self.assertIn(invoice.name, payment_job.error_message)
        self.assertIn('Gave up after', payment_job.error_message)
        invoice_job.action_retry()
        self._run_queue()
        self._run_queue()
        self.assertEqual((invoice.qbo_sync_state, payment.qbo_sync_state), ('synced', 'synced'))
        self.assertEqual(len(self._qbo_payments_of(payment)), 1)

    def test_retry_merges_into_the_waiting_job(self):
        """Retry of a failed job whose record already has a waiting job of that operation: the
        failed one is cancelled, saying so; the waiting one is due now and inherits a possibly
        performed attempt, so that it looks the document up before creating it."""
        invoice = self._invoice()
        waiting = self._jobs(invoice)
        waiting.sudo().write({'next_attempt_at': fields.Datetime.now() + timedelta(hours=1)})
        failed = waiting.sudo().copy({'state': 'failed', 'outcome_unknown': True, 'error_code': '500'})
        (failed | waiting).action_retry()
        self.assertEqual(failed.state, 'cancelled')
        self.assertIn(waiting.record_name, failed.error_message)
        self.assertEqual(waiting.state, 'pending')
        self.assertTrue(waiting.outcome_unknown)
        self.assertLessEqual(waiting.next_attempt_at, fields.Datetime.now())
        self.assertEqual(invoice.qbo_sync_state, 'pending', 'the document still shows its waiting job')
        self._run_queue()
        self.assertEqual(waiting.state, 'done')
        self.assertTrue(self._qbo_doc('Invoice', invoice.name))  # exactly one

    def test_retrying_two_failed_jobs_of_one_record_keeps_one(self):
        invoice = self._invoice()
        first = self._jobs(invoice)
        first.sudo().write({'state': 'failed', 'error_code': '500'})
        second = first.sudo().copy({'state': 'failed', 'error_code': '500'})
        (first | second).action_retry()
        self.assertEqual(sorted((first | second).mapped('state')), ['cancelled', 'pending'])
        self._run_queue()
        self.assertTrue(self._qbo_doc('Invoice', invoice.name))  # exactly one

    def test_a_job_that_kills_its_worker_gives_up(self):
        """A worker died during the job's attempt, as it had during all its earlier ones but one
        (the job is left in progress): the next pass does not run it again but fails it for good,
        saying the worker died."""
        invoice = self._invoice()
        job = self._jobs(invoice)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE qbo_sync_job SET state = 'in_progress', attempts = %s, worker_deaths = %s, outcome_unknown = true, "
            "write_date = now() at time zone 'UTC' - interval '1 hour' WHERE id = %s",
            [const.JOB_MAX_ATTEMPTS + 2, const.JOB_MAX_ATTEMPTS - 1, job.id],
        )
        self.env.invalidate_all()
        before = len(self._api_requests())
        self._run_queue()
        self.assertEqual((job.state, job.worker_deaths), ('failed', const.JOB_MAX_ATTEMPTS))
        self.assertIn('stopped', job.error_message)
        self.assertEqual(invoice.qbo_sync_state, 'failed')
        self.assertEqual(len(self._api_requests()), before, 'not run again')

    def test_dead_workers_and_failed_attempts_have_budgets_of_their_own(self):
        """A job whose workers were killed during three of its attempts and whose seven other
        attempts QuickBooks failed gets its eighth attempt; a failure then gives up. Killed
        workers (a redeploy, the OOM killer taking another process) do not use up the attempts
        that QuickBooks' faults are allowed, nor the reverse."""
        invoice = self._invoice()
        job = self._jobs(invoice)
        job.sudo().write({'attempts': const.JOB_MAX_ATTEMPTS - 1 + 3, 'worker_deaths': 3})
        self.emu.fail_write('Invoice', '500')
        self._run_queue()
        self.assertEqual((job.state, job.attempts), ('failed', const.JOB_MAX_ATTEMPTS + 3))
        self.assertIn(f'Gave up after {const.JOB_MAX_ATTEMPTS + 3} attempts', job.error_message)
        job.action_retry()
        self.assertEqual((job.attempts, job.worker_deaths), (0, 0), 'counted afresh')
        job.sudo().write({'attempts': const.JOB_MAX_ATTEMPTS - 2 + 3, 'worker_deaths': 3})
        self.emu.fail_write('Invoice', '500')
        self._run_queue()
        self.assertEqual(job.state, 'pending', 'seven attempts ended: one more is allowed')
        job.next_attempt_at = fields.Datetime.now()
        self._run_queue()
        self.assertEqual(job.state, 'done')
        self.assertTrue(self._qbo_doc('Invoice', invoice.name))

    def test_reconnect_resumes_paused_jobs_at_once(self):
        """Jobs paused by a refused authorization are due, and the queue runs, as soon as
        the user has reconnected: not at the next scheduled run."""
        invoice = self._invoice()
        self.connection._qbo_client().revoke(self.connection.refresh_token)
        self.connection.access_token_expires_at = fields.Datetime.now()
        self._run_queue()
        job = self._jobs(invoice)
        self.assertEqual((job.state, job.error_code), ('pending', 'invalid_grant'))
        # The refusal is committed in a cursor of its own; in a test that cursor shares this
        # transaction, and the job's savepoint undid it: record it as a live server keeps it.
        self.connection._qbo_set_needs_reconnect('QuickBooks refused the authorization (a test).')
        self.assertEqual(self.connection.state, 'needs_reconnect')

        redirect_uri = self.connection.get_base_url().rstrip('/') + const.OAUTH_CALLBACK_PATH
        self.emu.add_app(CLIENT_ID, CLIENT_SECRET, [redirect_uri])
        authorize_url = self.connection.sudo()._qbo_build_client().authorization_url('a-state')
        code = parse_qs(urlsplit(self.emu.approve(authorize_url, US_REALM)).query)['code'][0]
        cron = self.env.ref('qbo_connector.ir_cron_qbo_process_jobs')
        triggers_before = self.env['ir.cron.trigger'].sudo().search([('cron_id', '=', cron.id)])
        self.connection._qbo_exchange_code(code, US_REALM)
        now = fields.Datetime.now()
        triggers = self.env['ir.cron.trigger'].sudo().search([('cron_id', '=', cron.id)]) - triggers_before
        self.assertTrue(triggers.filtered(lambda t: t.call_at <= now), 'the queue runs at once')
        self.assertLessEqual(job.next_attempt_at, now)
        self._run_queue()
        self.assertEqual(job.state, 'done')
        self.assertTrue(self._qbo_doc('Invoice', invoice.name))

    def test_a_restart_runs_due_work_at_once(self):
        """A server starting with jobs due triggers the queue at once, not at its next scheduled run."""
        cron = self.env.ref('qbo_connector.ir_cron_qbo_process_jobs')

        def new_triggers(before):
            return self.env['ir.cron.trigger'].sudo().search([('cron_id', '=', cron.id)]) - before

        before = self.env['ir.cron.trigger'].sudo().search([('cron_id', '=', cron.id)])
        self.env['qbo.sync.job']._register_hook()
        self.assertFalse(new_triggers(before), 'nothing due: no trigger')
        invoice = self._invoice()
        before = self.env['ir.cron.trigger'].sudo().search([('cron_id', '=', cron.id)])
        self.env['qbo.sync.job']._register_hook()  # what the registry runs when a server starts
        self.assertTrue(new_triggers(before).filtered(lambda t: t.call_at <= fields.Datetime.now()))
        self._run_queue()
        self.assertEqual(invoice.qbo_sync_state, 'synced')

    def test_a_record_of_another_company_is_not_sent(self):
        """A job whose record belongs to another company than its connection's (written by
        hand, as superuser) fails with a sentence, and sends nothing to these books."""
        other = self.setup_other_company(name='Company Far Away')['company']
        foreign = self.init_invoice('out_invoice', partner=self.partner_a, amounts=[100.0], post=True, company=other)
        job = (
            self.env['qbo.sync.job']
            .sudo()
            .create(
                {
                    'connection_id': self.connection.id,
                    'res_model': 'account.move',
                    'res_id': foreign.id,
                    'record_name': foreign.name,
                }
            )
        )
        before = len(self._api_requests())
        self._run_queue()
        self.assertEqual(job.state, 'failed')
        self.assertIn(other.name, job.error_message)
        self.assertEqual(len(self._api_requests()), before, 'nothing sent')
        self.assertFalse(foreign.qbo_sync_state, "the other company's document is not touched")

    def _aged_logs(self, connection, days, count):
        """``count`` call-log rows of ``connection``, written ``days`` days ago."""
        rows = (
            self.env['qbo.sync.log']
            .sudo()
            .create(
                [
                    {'connection_id': connection.id, 'method': 'GET', 'endpoint': f'/aged/{days}/{i}'}
                    for i in range(count)
                ]
            )
        )
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE qbo_sync_log SET create_date = now() at time zone 'UTC' - %s * interval '1 day' WHERE id IN %s",
            [days, tuple(rows.ids)],
        )
        return rows

    def _vacuum(self, batch):
        """What Odoo's autovacuum does: call again while the method says rows remain."""
        rounds = []
        while not rounds or rounds[-1][1]:
            rounds.append(self.env['qbo.sync.log']._gc_old_logs(batch=batch))
        self.env.invalidate_all()
        return rounds

    def test_call_log_keeps_its_retention(self):
        """Rows older than the retention go, newer ones stay; the vacuum works in batches and says
        when more remain, so that Odoo's autovacuum calls it again until it has caught up."""
        self.connection.log_retention_days = 30
        old = self._aged_logs(self.connection, 31, 5)
        recent = self._aged_logs(self.connection, 29, 3)
        self.assertEqual(self._vacuum(batch=2), [(2, True), (2, True), (1, False)])
        self.assertFalse(old.exists())
        self.assertEqual(recent.exists(), recent)

    def test_call_log_retention_is_per_connection(self):
        """Each company keeps its call log as long as its connection says: 0 keeps every call,
        and an archived connection's log ages out as well."""
        self.assertEqual(self.connection.log_retention_days, 90, 'three months unless set')
        keep_all, short = (
            self.env['qbo.connection'].sudo().create({'company_id': self.env['res.company'].create({'name': n}).id})
            for n in ('Keeps Everything Inc', 'Short Memory Ltd')
        )
        keep_all.log_retention_days = 0
        short.write({'log_retention_days': 7, 'active': False})
        ours = self._aged_logs(self.connection, 91, 2) | self._aged_logs(self.connection, 89, 1)
        kept_forever = self._aged_logs(keep_all, 5000, 2)
        short_old, short_new = self._aged_logs(short, 8, 3), self._aged_logs(short, 6, 1)
        removed = sum(n for n, _more in self._vacuum(batch=2))
        self.assertEqual(removed, 5)
        self.assertEqual(ours.exists(), ours[2:], 'ours: older than 90 days gone')
        self.assertEqual(kept_forever.exists(), kept_forever)
        self.assertFalse(short_old.exists())
        self.assertEqual(short_new.exists(), short_new)


@tagged('post_install', '-at_install')
class TestDeadWorkers(QboCommittedCase):
    """Jobs left in progress, and errors of the database, in real transactions: the claim
    (a session advisory lock) tells whether a live worker holds a job."""

    def _qbo_committed_setup(self, env):
        partner = env['res.partner'].create({'name': 'Dead Worker Ltd', 'email': 'dead.worker@example.com'})
        product = env['product.product'].create(
            {'name': 'Dead worker widget', 'default_code': 'DW-1', 'taxes_id': False}
        )
        invoice = env['account.move'].create(
            {
                'move_type': 'out_invoice',
                'partner_id': partner.id,
                'invoice_date': fields.Date.today(),
                'invoice_line_ids': [
                    Command.create({'product_id': product.id, 'quantity': 1, 'price_unit': 42, 'tax_ids': False})
                ],
            }
        )
        invoice.action_post()
        self.invoice_name = invoice.name
        self.job_id = env['qbo.sync.job'].search([('res_model', '=', 'account.move'), ('res_id', '=', invoice.id)]).id

    def _in_qbo(self):
        return [
            i for i in self.emu._call('GET', f'{US_REALM}/Invoice')['objects'] if i['DocNumber'] == self.invoice_name
        ]

    def _left_in_progress(self):
        """What a worker killed after recording its first attempt leaves behind."""
        with self.registry.cursor() as cr:
            cr.execute(
                "UPDATE qbo_sync_job SET state = 'in_progress', attempts = 1, outcome_unknown = true, "
                "write_date = now() at time zone 'UTC' WHERE id = %s",
                [self.job_id],
            )

    def _drain(self):
        with self.registry.cursor() as cr:
            self._env(cr)['qbo.sync.job']._cron_process_jobs()

    def _job(self, cr):
        return self._env(cr)['qbo.sync.job'].browse(self.job_id)

    def test_a_job_no_live_worker_holds_is_taken_up_at_once(self):
        self._left_in_progress()
        self._drain()
        with self.registry.cursor() as cr:
            job = self._job(cr)
            self.assertEqual((job.state, job.attempts), ('done', 2), 'run again at once, the attempt counted')
        self.assertEqual(len(self._in_qbo()), 1)

    def test_a_job_a_live_worker_holds_is_left_alone(self):
        self._left_in_progress()
        with self.registry.cursor() as holder:
            holder.execute("SELECT pg_advisory_lock(%s, %s)", [const.JOB_LOCK_NAMESPACE, self.job_id])
            try:
                self._drain()
            finally:
                holder.execute("SELECT pg_advisory_unlock(%s, %s)", [const.JOB_LOCK_NAMESPACE, self.job_id])
        with self.registry.cursor() as cr:
            job = self._job(cr)
            self.assertEqual((job.state, job.attempts), ('in_progress', 1))
        self.assertFalse(self._in_qbo())

    def test_a_database_error_after_the_push_ends_the_attempt_and_releases_the_claim(self):
        """The database refuses the outcome of a push (outside the push's savepoint): the pass
        carries on, the job is retryable with a sentence and its outcome unknown, its claim is
        released; the next attempt finds the invoice QuickBooks created instead of a second one."""
        with self.registry.cursor() as cr:
            cr.execute(
                """
                CREATE FUNCTION qbo_test_refuse_done() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'refused by a test' USING ERRCODE = 'check_violation'; END $$;
                CREATE TRIGGER qbo_test_refuse_done BEFORE UPDATE ON qbo_sync_job FOR EACH ROW
                WHEN (NEW.state = 'done' AND NEW.id = %s) EXECUTE FUNCTION qbo_test_refuse_done();
                """,
                [self.job_id],
            )
        self.addCleanup(self._drop_refusal)
        self._drain()
        with self.registry.cursor() as cr:
            self.assertNotIn(self.job_id, _job_locks(cr, own_session_only=False), 'claim released')
            job = self._job(cr)
            self.assertEqual((job.state, job.attempts), ('pending', 1))
            self.assertTrue(job.outcome_unknown)
            self.assertTrue(job.error_message)
            job.next_attempt_at = fields.Datetime.now()
        self.assertEqual(len(self._in_qbo()), 1, 'QuickBooks did create it')
        self._drop_refusal()
        self._drain()
        with self.registry.cursor() as cr:
            self.assertEqual(self._job(cr).state, 'done')
        self.assertEqual(len(self._in_qbo()), 1, 'not created twice')

    def _drop_refusal(self):
        with self.registry.cursor() as cr:
            cr.execute(
                "DROP TRIGGER IF EXISTS qbo_test_refuse_done ON qbo_sync_job; "
                "DROP FUNCTION IF EXISTS qbo_test_refuse_done()"
            )
