import hashlib
import json
import logging
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import const
from ..exceptions import QboAuthError, QboDuplicateError, QboError, QboRetryableError, QboStaleError
from ..tools.qbo_client import RequestNeeded, translate_batch_fault
from .account_move import ENTITY_BY_MOVE_TYPE

_logger = logging.getLogger(__name__)

BATCHED_KINDS = ('out_invoice', 'out_refund')


class QboSyncJob(models.Model):
    """The initial sync's documents go to QuickBooks in batches (POST /batch, 30 objects a call,
    39 calls a minute per company through the shared throttle), each item's answer recorded on
    its own job. What does not fit a batch goes the usual way, one job at a time: a document
    whose customer, items or codes still need a request, a receipt, a credit note applied to
    invoices, anything whose last outcome is unknown (looked up before it is sent again), and
    whatever QuickBooks refused in a batch for a reason the single push knows how to handle
    (a number taken, a stale version)."""

    _inherit = 'qbo.sync.job'

    initial_sync_id = fields.Many2one('qbo.initial.sync', index=True, readonly=True, ondelete='set null')

    def _qbo_set_state(self, state, **values):
        result = super()._qbo_set_state(state, **values)
        if state in ('done', 'failed', 'cancelled') and self.initial_sync_id:
            self.initial_sync_id._qbo_check_finished()
        return result

    @api.model
    def _cron_process_jobs(self, limit=200):
        """The batches first, then the queue as ever (what the batches left)."""
        batched = self._qbo_run_batches()
        return batched + super()._cron_process_jobs(limit=limit)

    @api.model
    def _qbo_batch_candidates(self, skipped, paused=()):
        return self.sudo().search(
            [
                ('connection_id', 'not in', list(paused)),
                ('initial_sync_id', '!=', False),
                ('initial_sync_id.state', '=', 'running'),
                ('connection_id.state', '=', 'connected'),
                ('state', '=', 'pending'),
                ('operation', '=', 'push'),
                ('res_model', '=', 'account.move'),
                ('outcome_unknown', '=', False),
                ('next_attempt_at', '<=', fields.Datetime.now()),
                ('id', 'not in', list(skipped)),
            ],
            limit=const.BATCH_MAX_ITEMS * 2,
        )

    @api.model
    def _qbo_run_batches(self):
        """Send the due documents of running initial syncs in batches until none is left or the
        cron run's time is up. Returns how many jobs were run."""
        skipped, paused = set(), set()
        run = 0
        cron = self.env['ir.cron']
        while True:
            candidates = self._qbo_batch_candidates(skipped, paused)
            if not candidates:
                return run
            connection = candidates[0].connection_id
            if self.env['qbo.realm.throttle']._qbo_paused([connection.realm_id]):
                # That company waits out its pause; the others' batches go on.
                paused.add(connection.id)
                continue
            sent = candidates.filtered(lambda j, c=connection: j.connection_id == c)._qbo_run_batch(skipped)
            run += sent
            if not cron._commit_progress(sent):
                return run

    def _qbo_run_batch(self, skipped):
        """Claim up to 30 of these jobs whose documents may go in a batch, send them in one batch
        call, record each answer. The others are added to ``skipped`` (left to the single path).
        Returns how many jobs were sent."""
        connection = self.connection_id
        claimed = self.browse()
        try:
            for job in self:
                if len(claimed) >= const.BATCH_MAX_ITEMS:
                    break
                self.env.cr.execute("SELECT pg_try_advisory_lock(%s, %s)", [const.JOB_LOCK_NAMESPACE, job.id])
                if self.env.cr.fetchone()[0]:
                    claimed |= job
                else:
                    skipped.add(job.id)
            # A fresh snapshot: another worker may have run some of them between our search and our
            # claim (the claims, session locks, outlive the commit).
            self.env['ir.cron']._commit_progress()
            self.env.invalidate_all()
            fitting = claimed.filtered(lambda j: j._qbo_batch_fits(connection))
            skipped.update((claimed - fitting).ids)
            if len(fitting) < 2:
                # A batch of one spends one of the 39 batch calls of the minute for nothing.
                skipped.update(fitting.ids)
                return 0
            try:
                return fitting._qbo_send_batch(connection, skipped)
            except psycopg2.Error as error:
                # Outside every item's savepoint (the attempts' commit, the outcome's): as the single
                # path does, the attempts end retryable, outcome unknown, and go one by one.
                self.env.cr.rollback()
                for job in fitting:
                    job._qbo_end_broken_attempt(error)
                    skipped.add(job.id)
                return 0
        finally:
            for job in claimed:
                self.env.cr.execute("SELECT pg_advisory_unlock(%s, %s)", [const.JOB_LOCK_NAMESPACE, job.id])

    def _qbo_batch_fits(self, connection):
        """Whether this job's document may go in a batch, as far as can be told without a
        request: a posted invoice or credit note of the connection's company, not in QuickBooks."""
        self.ensure_one()
        self.invalidate_recordset()
        if self.state != 'pending' or self.outcome_unknown:
            return False
        move = self._qbo_pushed_record()
        if not move or move.company_id != connection.company_id:
            return False
        if move.state != 'posted' or move.move_type not in BATCHED_KINDS:
            return False
        return not self.env['qbo.mapping'].sudo()._qbo_find(connection, move, ENTITY_BY_MOVE_TYPE[move.move_type])

    def _qbo_batch_prepare(self, connection, client):
        """(document, entity, values, customer partner) when this job's document, locked, can go in
        the batch: still posted and not in QuickBooks, neither a receipt nor a credit note applied
        to invoices, and its mapper (the one of single pushes) needs no request. Else None."""
        self.ensure_one()
        move = self._qbo_pushed_record()
        move.invalidate_recordset()
        if move.state != 'posted':
            return None
        entity = ENTITY_BY_MOVE_TYPE[move.move_type]
        if self.env['qbo.mapping'].sudo()._qbo_find(connection, move, entity):
            return None
        try:
            with self.env.cr.savepoint(), client.no_requests():
                if move._qbo_receipt_payment(connection):
                    return None
                if move.move_type == 'out_refund' and move._qbo_credit_applied()[0]:
                    return None
                values = move._qbo_prepare_values(connection, client)
                partner = move._qbo_customer_partner(connection)
        except (RequestNeeded, QboError, UserError):
            return None
        return move, entity, values, partner

    def _qbo_send_batch(self, connection, skipped):
        """Record the attempts (committed before anything goes out), lock the documents and map
        them, send one batch, record each item's answer, commit. Returns how many were sent."""
        client = connection._qbo_client()
        for job in self:
            job._qbo_set_state('in_progress', attempts=job.attempts + 1, outcome_unknown=True)
        self.env['ir.cron']._commit_progress()
        items, sending, ready = [], self.browse(), {}
        for job in self:
            move = job._qbo_pushed_record()
            try:
                with self.env.cr.savepoint():
                    move._qbo_lock_for_push()
            except QboRetryableError:
                job._qbo_batch_back(skipped)
                continue
            prepared = move and job._qbo_batch_prepare(connection, client)
            if not prepared:
                job._qbo_batch_back(skipped)
                continue
            ready[job] = prepared
            _move, entity, values, _partner = prepared
            items.append({'bId': str(job.id), 'operation': 'create', entity: values})
            sending |= job
        if not items:
            self.env['ir.cron']._commit_progress()
            return 0
        digest = hashlib.sha256(json.dumps(items, sort_keys=True, default=str).encode()).hexdigest()
        try:
            answers = client.batch(items, request_id=f'{sending[0].request_id}-b{digest[:19]}')
        except QboAuthError as error:
            for job in sending:
                job._qbo_set_state(
                    'pending',
                    error_code=error.code,
                    error_message=error.message,
                    attempts=job.attempts - 1,
                    outcome_unknown=False,
                    next_attempt_at=fields.Datetime.now(),
                )
            # Not again in this run: they wait for the reconnect, which runs the queue.
            skipped.update(sending.ids)
            self.env['ir.cron']._commit_progress()
            return 0
        except QboRetryableError as error:
            if error.throttled:
                for job in sending:
                    job._qbo_set_state(
                        'pending',
                        error_code=error.code,
                        error_message=error.message,
                        attempts=job.attempts - 1,
                        outcome_unknown=False,
                        next_attempt_at=fields.Datetime.now()
                        + timedelta(seconds=error.retry_after or const.THROTTLE_PAUSE_SECONDS),
                    )
            else:
                # Sent, maybe performed: each document is looked up before it is sent again, one by one.
                for job in sending:
                    job._qbo_retry_later(error, outcome_unknown=True)
                    skipped.add(job.id)
            self.env['ir.cron']._commit_progress()
            return 0
        except QboError as error:
            # The whole call refused (nothing performed): each goes on its own, which says why.
            _logger.warning('QuickBooks batch refused (%s); its documents go one by one', error)
            for job in sending:
                job._qbo_batch_back(skipped)
            self.env['ir.cron']._commit_progress()
            return 0
        for job in sending:
            move, entity, values, partner = ready[job]
            try:
                with self.env.cr.savepoint():
                    job._qbo_batch_answer(client, move, entity, values, partner, answers.get(str(job.id)), skipped)
            except psycopg2.Error:
                raise
            except Exception as error:  # noqa: BLE001 - one answer must not lose the others
                _logger.exception('QuickBooks job %s: its batch answer could not be recorded', job.id)
                job._qbo_retry_later(
                    QboRetryableError(
                        'odoo', self.env._('An unexpected error occurred: %(error)s', error=repr(error)[:500])
                    ),
                    outcome_unknown=True,
                )
        self.env['ir.cron']._commit_progress()
        return len(sending)

    def _qbo_batch_back(self, skipped):
        """Back to waiting, due now, the attempt not counted (nothing sent): the single path takes it."""
        self.ensure_one()
        skipped.add(self.id)
        self._qbo_set_state(
            'pending',
            attempts=self.attempts - 1,
            outcome_unknown=False,
            next_attempt_at=fields.Datetime.now(),
        )

    def _qbo_batch_answer(self, client, move, entity, values, partner, answer, skipped):
        """Record one item's answer on this job, as _qbo_run records a single push's."""
        self.ensure_one()
        obj = (answer or {}).get(entity)
        if obj:
            connection = self.connection_id
            mappings = self.env['qbo.mapping'].with_context(qbo_initial_sync_id=self.initial_sync_id.id)
            mappings._qbo_link(connection, move, entity, obj)
            move._qbo_write_status({'qbo_customer_partner_id': partner.id})
            move._qbo_keep_odoo_tax(self, client, entity, values, obj)
            self._qbo_set_state('done', qbo_entity=entity, qbo_id=str(obj['Id']))
            return
        if not answer or not answer.get('Fault'):
            # No answer for it: whether it was performed is unknown.
            self._qbo_retry_later(
                QboRetryableError('batch', self.env._('QuickBooks did not answer this document in its batch.')),
                outcome_unknown=True,
            )
            skipped.add(self.id)
            return
        error = translate_batch_fault(answer['Fault'], what=f'{entity} {values.get("DocNumber") or move.name}')
        if isinstance(error, (QboDuplicateError, QboStaleError, QboRetryableError, QboAuthError)):
            # A number taken, a stale version, a passing fault: the single push knows what to do.
            self._qbo_batch_back(skipped)
            return
        self._qbo_set_state('failed', error_code=error.code, error_message=error.message, outcome_unknown=False)
