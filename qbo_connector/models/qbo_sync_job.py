import hashlib
import json
import logging
import secrets
from datetime import timedelta

import psycopg2
from psycopg2.extensions import TRANSACTION_STATUS_INERROR

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from .. import const
from ..exceptions import QboAuthError, QboError, QboRetryableError

_logger = logging.getLogger(__name__)

JOB_STATES = [
    ('pending', 'Pending'),
    ('in_progress', 'In Progress'),
    ('done', 'Done'),
    ('failed', 'Failed'),
    ('cancelled', 'Cancelled'),
]
OPERATIONS = [('push', 'Push'), ('void', 'Void'), ('pull', 'Pull')]
# Which way a job goes: pushes and voids write to QuickBooks; a pull brings a change made in
# QuickBooks into Odoo (its record is the stored change, a `qbo.inbound.event`).
DIRECTIONS = [('push', 'Odoo → QuickBooks'), ('pull', 'QuickBooks → Odoo')]
# Error codes of a job waiting for QuickBooks' rate limits (no attempt spent).
THROTTLED_CODES = ('throttled', '429', '3001')


class QboSyncJob(models.Model):
    """The outbox: one row per thing to do in QuickBooks, written in the user's transaction
    (never a network call there) and drained by a scheduled action.

    Exactly once: the request id is stored with the job, before the first attempt, and
    reused by every retry; an attempt is recorded as started (and committed) before its
    request goes out, so that after a timeout, a dropped connection or a crash the next
    attempt knows the outcome is unknown and looks the document up before creating it."""

    _name = 'qbo.sync.job'
    _description = 'QuickBooks Online Sync Job'
    _order = 'priority, id'
    _check_company_auto = True
    _rec_name = 'record_name'

    connection_id = fields.Many2one('qbo.connection', required=True, index=True, ondelete='cascade', readonly=True)
    company_id = fields.Many2one(related='connection_id.company_id', store=True, index=True)
    res_model = fields.Char(string='Odoo Model', required=True, readonly=True)
    res_id = fields.Many2oneReference(string='Odoo Record', model_field='res_model', required=True, readonly=True)
    record_name = fields.Char(string='Record', readonly=True)
    operation = fields.Selection(OPERATIONS, required=True, default='push', readonly=True)
    direction = fields.Selection(DIRECTIONS, compute='_compute_direction', store=True, index=True, readonly=True)
    priority = fields.Integer(default=20, readonly=True, help='Lower runs first: a payment waits for its invoices.')
    state = fields.Selection(JOB_STATES, required=True, default='pending', readonly=True, index=True)
    request_id = fields.Char(
        string='Request ID',
        required=True,
        readonly=True,
        copy=False,
        default=lambda self: secrets.token_hex(10),
        help='Sent to QuickBooks with every attempt, so that a retried request is not performed twice.',
    )
    attempts = fields.Integer(readonly=True)
    # Attempts during which the worker running the job died (killed, out of memory, restarted):
    # counted among the attempts, but with a budget of their own — a job that keeps killing its
    # worker gives up after const.JOB_MAX_ATTEMPTS of them, one that QuickBooks keeps failing
    # after as many attempts that ended, and neither uses up the other's.
    worker_deaths = fields.Integer(string='Worker Deaths', readonly=True)
    next_attempt_at = fields.Datetime(default=fields.Datetime.now, readonly=True, index=True)
    outcome_unknown = fields.Boolean(
        readonly=True, help='The last attempt may have been performed: look the record up before creating it.'
    )
    error_code = fields.Char(readonly=True)
    error_message = fields.Text(readonly=True)
    qbo_entity = fields.Char(string='QuickBooks Entity', readonly=True)
    qbo_id = fields.Char(string='QuickBooks Id', readonly=True)
    done_at = fields.Datetime(readonly=True)

    _active_job_unique = models.UniqueIndex(
        "(res_model, res_id, operation) WHERE state IN ('pending', 'in_progress')",
        'The record already has this job waiting.',
    )

    @api.depends('operation')
    def _compute_direction(self):
        for job in self:
            job.direction = 'pull' if job.operation == 'pull' else 'push'

    # ------------------------------------------------------------------
    # Enqueue (user's transaction: database writes only)
    # ------------------------------------------------------------------

    @api.model
    def _qbo_enqueue(self, records, operation='push', priority=20):
        """Queue ``operation`` for each record whose company is connected; one waiting job
        per record and operation. Returns the jobs (new or already waiting)."""
        jobs = self.browse()
        if not records:
            return jobs
        if not isinstance(records, self.pool['qbo.synced.mixin']):
            raise ValueError(
                f'{records._name} does not implement qbo.synced.mixin: it cannot be queued for QuickBooks.'
            )
        connections = {
            c.company_id.id: c
            for c in self.env['qbo.connection']
            .sudo()
            .search([('company_id', 'in', records.company_id.ids), ('state', 'in', ('connected', 'needs_reconnect'))])
        }
        waiting = {
            (j.res_id, j.operation): j
            for j in self.sudo().search(
                [
                    ('res_model', '=', records._name),
                    ('res_id', 'in', records.ids),
                    ('state', 'in', ('pending', 'in_progress')),
                ]
            )
        }
        to_create = []
        for record in records:
            connection = connections.get(record.company_id.id)
            if not connection:
                continue
            if (record.id, operation) in waiting:
                jobs |= waiting[(record.id, operation)]
                continue
            to_create.append(
                {
                    'connection_id': connection.id,
                    'res_model': record._name,
                    'res_id': record.id,
                    'record_name': record.display_name,
                    'operation': operation,
                    'priority': priority,
                }
            )
        if to_create:
            jobs |= self.sudo().create(to_create)
            records.browse([v['res_id'] for v in to_create]).sudo()._qbo_write_status({'qbo_sync_state': 'pending'})
            self.env.ref('qbo_connector.ir_cron_qbo_process_jobs').sudo()._trigger()
        return jobs

    # ------------------------------------------------------------------
    # The one state helper
    # ------------------------------------------------------------------

    def _qbo_set_state(self, state, **values):
        """Every change of a job's state goes through here, and is mirrored on its record."""
        now = fields.Datetime.now()
        values['state'] = state
        if state == 'done':
            values.update(done_at=now, outcome_unknown=False, error_code=False, error_message=False)
        self.write(values)
        for job in self:
            record = job._qbo_pushed_record()
            if record and of_company(record, job.connection_id.company_id):
                record.sudo()._qbo_on_job_state(job)

    def _qbo_pushed_record(self):
        self.ensure_one()
        return self.env[self.res_model].browse(self.res_id).exists()

    def _qbo_request_id(self, step, body):
        """The request id of one write of this job: the same for the same step and body on every
        attempt, so that QuickBooks performs a retried write once; another when the body differs,
        as QuickBooks answers a repeated id with its first answer, whatever is sent with it."""
        self.ensure_one()
        digest = hashlib.sha256(json.dumps([step, body], sort_keys=True, default=str).encode()).hexdigest()
        return f'{self.request_id}-{digest[:20]}'

    @api.model
    def _qbo_wake_waiting(self, domain, sent):
        """``sent`` (a record) is in QuickBooks now: the jobs of ``domain`` waiting for it go. Those
        that failed for it are retried; those waiting are made due, in a savepoint — a worker
        running one of them right now finds ``sent`` in QuickBooks by itself, and the outcome of
        the push that sent it must not be lost over that job's row."""
        jobs = self.sudo()
        jobs.search([('state', '=', 'failed'), ('error_code', 'in', ('dependency', 'waiting')), *domain]).action_retry()
        now = fields.Datetime.now()
        backing_off = jobs.search(
            [('state', '=', 'pending'), ('error_code', '=', 'waiting'), ('next_attempt_at', '>', now), *domain]
        )
        if not backing_off:
            return
        try:
            with self.env.cr.savepoint():
                backing_off.next_attempt_at = now
        except (psycopg2.errors.SerializationFailure, psycopg2.errors.LockNotAvailable):
            _logger.info('QuickBooks: %s is in; the jobs waiting for it are being run', sent.display_name)
        self.env.ref('qbo_connector.ir_cron_qbo_process_jobs').sudo()._trigger()

    def _qbo_renew_waiting_pushes(self, record):
        """``record``'s QuickBooks object was voided or deleted by this job and its binding dropped:
        the other pushes waiting for it get new request ids. Sending the same body again now means
        a new object, and under the old id QuickBooks would answer with the one just voided or
        deleted (a push that created it, then failed later in its attempt, and was kept waiting).
        Skipped, and logged, for a push another worker is running at this very moment."""
        self.ensure_one()
        waiting = self.sudo().search(
            [
                ('res_model', '=', record._name),
                ('res_id', '=', record.id),
                ('operation', '=', 'push'),
                ('state', 'in', ('pending', 'in_progress')),
                ('id', '!=', self.id),
            ]
        )
        for job in waiting:
            try:
                with self.env.cr.savepoint():
                    job.request_id = secrets.token_hex(10)
            except (psycopg2.errors.SerializationFailure, psycopg2.errors.LockNotAvailable):
                _logger.warning('QuickBooks job %s: its request id could not be renewed (being run)', job.id)

    # ------------------------------------------------------------------
    # Processing
    # ------------------------------------------------------------------

    def _register_hook(self):
        """A server (re)starting runs the queue at once when jobs are due, rather than at the next
        scheduled run: after a restart a document would otherwise stay unsynced for minutes."""
        result = super()._register_hook()
        due = self.sudo().search_count(
            [('state', 'in', ('pending', 'in_progress')), ('next_attempt_at', '<=', fields.Datetime.now())], limit=1
        )
        if due:
            self.env.ref('qbo_connector.ir_cron_qbo_process_jobs', raise_if_not_found=False).sudo()._trigger()
        return result

    @api.model
    def _cron_process_jobs(self, limit=200):
        """Drain the queue: due jobs of connected companies, oldest and most basic first.

        Each job is claimed (a second worker skips it), committed as started, run, and
        committed with its outcome, so that one bad record never holds the others back.
        A job in progress whose claim no live session holds belonged to a worker that died: it
        is taken up at once, its outcome unknown."""
        domain = [
            ('connection_id.state', '=', 'connected'),
            '|',
            ('state', '=', 'in_progress'),
            '&',
            ('state', '=', 'pending'),
            ('next_attempt_at', '<=', fields.Datetime.now()),
        ]
        jobs = self.sudo().search(domain, limit=limit)
        cron = self.env['ir.cron']
        cron._commit_progress(remaining=len(jobs))
        # QuickBooks companies that answered 429 are left alone until their pause ends: their jobs
        # wait, unclaimed and without spending an attempt, and the queue moves on to the others.
        paused = self.env['qbo.realm.throttle']._qbo_paused(jobs.connection_id.mapped('realm_id'))
        for job in jobs:
            realm = job.connection_id.realm_id
            if realm in paused:
                continue
            # A session-level advisory lock claims the job: unlike a row lock it survives the commit
            # that records the attempt before the request goes out, so no other worker can take the
            # job between that commit and the outcome's. It is also how a job left in progress is told
            # from one being run: the session of a dead worker is gone, and its locks with it.
            self.env.cr.execute("SELECT pg_try_advisory_lock(%s, %s)", [const.JOB_LOCK_NAMESPACE, job.id])
            if not self.env.cr.fetchone()[0]:
                continue  # a live worker has it
            try:
                job.invalidate_recordset()
                if job.filtered_domain(domain):  # not done by another worker meanwhile
                    job._qbo_run()
                time_left = cron._commit_progress(1)
            except Exception as error:  # noqa: BLE001 - nothing one job does may stop the queue
                # Outside the push's savepoint: the outcome's writes, the document's hooks, the
                # commit. What this transaction did is lost; the attempt committed before the
                # request is not.
                self.env.cr.rollback()
                time_left = job._qbo_end_broken_attempt(error)
            finally:
                # Released once the job is over, in a usable transaction (rolled back first after an
                # error): the connection goes back to a pool, and a session-level lock would stay with it.
                self.env.cr.execute("SELECT pg_advisory_unlock(%s, %s)", [const.JOB_LOCK_NAMESPACE, job.id])
            if job.error_code and job.state == 'pending' and job.error_code in THROTTLED_CODES:
                paused[realm] = job.next_attempt_at
            if not time_left:
                break
        for until in paused.values():
            self.env.ref('qbo_connector.ir_cron_qbo_process_jobs').sudo()._trigger(until)
        return len(jobs)

    def _qbo_end_broken_attempt(self, error):
        """The transaction of a claimed job failed outside the push's savepoint and was rolled
        back: end the attempt (recorded as started, its outcome unknown) as retryable, in a new
        transaction. Returns the time left to the cron run. Should even that fail, the job stays
        in progress and the next run takes it up, counting the attempt."""
        concurrent = isinstance(
            error,
            (
                psycopg2.errors.SerializationFailure,
                psycopg2.errors.UniqueViolation,
                psycopg2.errors.LockNotAvailable,
                psycopg2.errors.DeadlockDetected,
            ),
        )
        if concurrent:
            _logger.info('QuickBooks job %s: concurrent update, retried shortly (%s)', self.id, error)
        else:
            _logger.error('QuickBooks job %s: its outcome could not be recorded', self.id, exc_info=error)
        try:
            self.env.invalidate_all()
            if self.state != 'in_progress':
                # The attempt never started (another worker had just finished the job).
                return self.env['ir.cron']._commit_progress(1)
            if concurrent:
                retry = QboRetryableError(
                    'concurrent',
                    self.env._('Another transaction was changing the same records; this will be retried in a moment.'),
                    retry_after=const.JOB_CONCURRENT_RETRY_SECONDS,
                )
            else:
                retry = QboRetryableError(
                    'odoo',
                    self.env._(
                        'The outcome of this attempt could not be saved in Odoo (%(error)s). It will be retried; '
                        'the document is looked up in QuickBooks first, so it is not sent twice.',
                        error=str(error).strip()[:300],
                    ),
                )
            self._qbo_retry_later(retry, outcome_unknown=True)
            return self.env['ir.cron']._commit_progress(1)
        except Exception:  # noqa: BLE001 - the job stays in progress; the next run takes it up
            self.env.cr.rollback()
            _logger.exception('QuickBooks job %s: could not record the end of its attempt', self.id)
            return True

    def _qbo_run(self):
        """Run one locked job: record the attempt, push, record the outcome."""
        self.ensure_one()
        attempt_unknown = self.state == 'in_progress' or self.outcome_unknown
        deaths = self.worker_deaths + (1 if self.state == 'in_progress' else 0)
        if deaths >= const.JOB_MAX_ATTEMPTS:
            # Its worker died during as many attempts as a job may make (killed, out of memory):
            # running it again would most likely kill the next one too.
            self._qbo_set_state(
                'failed',
                error_code='worker',
                outcome_unknown=True,
                worker_deaths=deaths,
                error_message=self.env._(
                    'The worker running this job stopped in the middle of %(n)s of its attempts (killed or out of '
                    'memory); gave up. The document may be in QuickBooks: Retry looks it up before sending it again.',
                    n=deaths,
                ),
            )
            return
        self._qbo_set_state('in_progress', attempts=self.attempts + 1, worker_deaths=deaths, outcome_unknown=True)
        # The attempt is on record before any request goes out.
        self.env['ir.cron']._commit_progress()
        record = self._qbo_pushed_record()
        if not record:
            self._qbo_set_state('cancelled', error_message=self.env._('The record no longer exists.'))
            return
        sync = self.initial_sync_id or (record if record._name == 'qbo.initial.sync' else None)
        if sync:
            # What it creates in QuickBooks is the initial sync's, for its undo (qbo.mapping._qbo_link).
            record = record.with_context(qbo_initial_sync_id=sync.id)
        if not of_company(record, self.connection_id.company_id):
            self._qbo_set_state(
                'failed',
                error_code='company',
                outcome_unknown=False,
                error_message=self.env._(
                    '%(record)s belongs to the company %(other)s, not to %(company)s whose QuickBooks company this '
                    'job writes to: nothing was sent.',
                    record=self.record_name or record.display_name,
                    other=record.company_id.name or self.env._('(none)'),
                    company=self.connection_id.company_id.name,
                ),
            )
            return
        written = []
        try:
            with self.env.cr.savepoint():
                try:
                    result = record._qbo_push(self, outcome_unknown=attempt_unknown)
                except (QboError, UserError):
                    # What QuickBooks created before the failure exists there: its links are kept
                    # (the savepoint drops every other write), so the next attempt goes on from
                    # there instead of creating or looking up the same customers and items again.
                    if self.env.cr.connection.get_transaction_status() != TRANSACTION_STATUS_INERROR:
                        written = self.env['qbo.mapping']._qbo_written_now(self.connection_id)
                    raise
        except psycopg2.errors.UniqueViolation:
            # Another worker linked the same customer, product or tax at the same moment (each
            # transaction's snapshot predates the other's mapping): what it linked is visible
            # to our next attempt, which then reuses it.
            self._qbo_retry_later(
                QboRetryableError(
                    'concurrent',
                    self.env._(
                        'Another worker was linking the same customer, product or tax; this will be retried in a '
                        'moment.'
                    ),
                    retry_after=const.JOB_CONCURRENT_RETRY_SECONDS,
                ),
                attempt_unknown,
            )
        except QboAuthError as error:
            # Paused, not failed: the connection waits for a reconnect, and the job is due the
            # moment it is back (a reconnect triggers the queue).
            self._qbo_set_state(
                'pending',
                error_code=error.code,
                error_message=error.message,
                attempts=self.attempts - 1,
                outcome_unknown=attempt_unknown or getattr(error, 'outcome_unknown', False),
                next_attempt_at=fields.Datetime.now(),
            )
        except QboRetryableError as error:
            if error.throttled or error.code == 'waiting':
                # QuickBooks' rate limits of the company refused it (or kept it from being sent), or
                # the documents it applies to are still on their way: the job waits, and the attempt
                # does not count (the document it waits for makes it due when it is in QuickBooks).
                self._qbo_set_state(
                    'pending',
                    error_code=error.code,
                    error_message=error.message,
                    attempts=self.attempts - 1,
                    # A write of this attempt may have been performed before the 429 (a credit
                    # note's CreditMemo, a create sent again): the next attempt looks it up.
                    outcome_unknown=attempt_unknown or error.outcome_unknown,
                    next_attempt_at=fields.Datetime.now()
                    + timedelta(seconds=error.retry_after or const.JOB_WAITING_RETRY_SECONDS),
                )
            else:
                self._qbo_retry_later(error, attempt_unknown or error.outcome_unknown)
        except QboError as error:
            self._qbo_set_state('failed', error_code=error.code, error_message=error.message, outcome_unknown=False)
        except UserError as error:
            self._qbo_set_state('failed', error_code='odoo', error_message=str(error), outcome_unknown=False)
        except Exception as error:  # noqa: BLE001 - a bug must not stop the queue
            _logger.exception('QuickBooks job %s failed unexpectedly', self.id)
            self._qbo_retry_later(
                QboRetryableError(
                    'odoo', self.env._('An unexpected error occurred: %(error)s', error=repr(error)[:500])
                ),
                attempt_unknown,
            )
        else:
            entity, qbo_id = result or (False, False)
            self._qbo_set_state('done', qbo_entity=entity, qbo_id=qbo_id)
        self.env['qbo.mapping']._qbo_restore(written)

    def _qbo_retry_later(self, error, outcome_unknown):
        # The attempts that ended (those of dead workers have their own budget, see worker_deaths).
        ended = self.attempts - self.worker_deaths
        if ended >= const.JOB_MAX_ATTEMPTS:
            self._qbo_set_state(
                'failed',
                error_code=error.code,
                outcome_unknown=outcome_unknown,
                error_message=self.env._(
                    '%(error)s Gave up after %(n)s attempts.', error=error.message, n=self.attempts
                ),
            )
            return
        delay = error.retry_after or const.JOB_BACKOFF_SECONDS[max(1, min(ended, len(const.JOB_BACKOFF_SECONDS))) - 1]
        self._qbo_set_state(
            'pending',
            error_code=error.code,
            error_message=error.message,
            outcome_unknown=outcome_unknown,
            next_attempt_at=fields.Datetime.now() + timedelta(seconds=delay),
        )
        self.env.ref('qbo_connector.ir_cron_qbo_process_jobs').sudo()._trigger(self.next_attempt_at)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_retry(self):
        """Run these jobs again as soon as possible, their attempts counted afresh.

        Never two waiting jobs for one record and operation: a job retried while its record
        already has a job of that operation waiting (pushed again meanwhile, or a second
        failed job retried in the same click) is merged into it: it is cancelled, naming the
        job that carries on, and that job becomes due now and inherits its "outcome unknown"
        (an attempt that may have been performed), so it looks the document up in QuickBooks
        before creating it. Among jobs retried together, the one already waiting, else the
        newest, carries on."""
        jobs = self._qbo_checked_for_buttons().filtered(lambda j: j.state in ('failed', 'cancelled', 'pending'))
        if not jobs:
            return True
        carrying = {
            (j.res_model, j.res_id, j.operation): j
            for j in self.sudo().search(
                [
                    ('res_model', 'in', list(set(jobs.mapped('res_model')))),
                    ('res_id', 'in', jobs.mapped('res_id')),
                    ('state', 'in', ('pending', 'in_progress')),
                ]
            )
        }
        merged = {}
        for job in jobs.sorted(lambda j: (j.state != 'pending', -j.id)):
            key = (job.res_model, job.res_id, job.operation)
            carrier = carrying.setdefault(key, job)
            if carrier != job:
                merged.setdefault(carrier, self.browse())
                merged[carrier] |= job
        now = fields.Datetime.now()
        for carrier, duplicates in merged.items():
            unknown = any(duplicates.mapped('outcome_unknown'))
            duplicates._qbo_set_state(
                'cancelled',
                outcome_unknown=False,
                error_message=self.env._(
                    'Merged into the job already waiting for %(record)s (#%(id)s), which carries on.',
                    record=carrier.record_name,
                    id=carrier.id,
                ),
            )
            if carrier in jobs:
                if unknown:
                    carrier.outcome_unknown = True
                continue
            # Written again through the state helper, so that the document shows the job that
            # carries on (the cancellation just cleared its status).
            values = {'outcome_unknown': carrier.outcome_unknown or unknown}
            if carrier.state == 'pending':
                values.update(next_attempt_at=min(carrier.next_attempt_at, now), attempts=0, worker_deaths=0)
            carrier._qbo_set_state(carrier.state, **values)
        # Last, so that each document shows the job that waits for it.
        (jobs - self.browse().union(*merged.values()))._qbo_set_state(
            'pending', next_attempt_at=now, attempts=0, worker_deaths=0
        )
        self.env.ref('qbo_connector.ir_cron_qbo_process_jobs').sudo()._trigger()
        return True

    def action_cancel(self):
        self._qbo_checked_for_buttons().filtered(lambda j: j.state in ('pending', 'failed'))._qbo_set_state('cancelled')
        return True

    def _qbo_checked_for_buttons(self):
        """These jobs as superuser, once the user is found to be a QuickBooks administrator who
        may read them all (record rules: their companies). Jobs are written by the code alone:
        no user has write access on them, so no one points a job at another company's record or
        at a model that is not synced; Retry and Cancel are checked here and done as the addon."""
        if not self.env.su:
            if not self.env.user.has_group('qbo_connector.group_qbo_admin'):
                raise AccessError(self.env._('Only QuickBooks administrators can retry or cancel QuickBooks jobs.'))
            self.check_access('read')
        return self.sudo()

    def action_open_record(self):
        self.ensure_one()
        return {
            'type': 'ir.actions.act_window',
            'res_model': self.res_model,
            'res_id': self.res_id,
            'view_mode': 'form',
        }


def of_company(record, company):
    """Whether ``record`` belongs to ``company`` (the company of a job's connection): the only
    books it may be written to, and the only documents a job may mark."""
    if 'company_id' not in record._fields or record.company_id == company:
        return True
    # A record shared by the companies (a partner without company) may be written to the books its
    # mapping is in.
    return not record.company_id and getattr(record, '_qbo_shared_records', False)
