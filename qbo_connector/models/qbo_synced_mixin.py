import contextlib
import logging
import time

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .. import const
from ..exceptions import QboDuplicateError, QboError, QboNotFoundError, QboRetryableError, QboStaleError
from ..tools.qbo_client import CREATED_MARK, qbo_quote

_logger = logging.getLogger(__name__)

SYNC_STATES = [('pending', 'Pending'), ('synced', 'Synced'), ('failed', 'Failed')]


class QboSyncedMixin(models.AbstractModel):
    """A document pushed to QuickBooks through the outbox: its QuickBooks status and error,
    the hooks each synced model implements, and the one exporter they all write with.

    Hooks: ``_qbo_push(job, outcome_unknown)`` does what ``job`` asks and returns (entity, id);
    ``_qbo_prepare_values(connection, client)`` maps the record to its QuickBooks object;
    ``_qbo_find_lost(client, entity, values, duplicate)`` finds the object an earlier attempt
    may have created, its answer lost."""

    _name = 'qbo.synced.mixin'
    _description = 'Document pushed to QuickBooks Online'

    # Internal users only: an error may name another customer's document (6140, number taken).
    qbo_sync_state = fields.Selection(
        SYNC_STATES, string='QuickBooks', copy=False, readonly=True, tracking=True, groups='base.group_user'
    )
    qbo_sync_error = fields.Text(string='QuickBooks Error', copy=False, readonly=True, groups='base.group_user')
    qbo_id = fields.Char(string='QuickBooks Id', compute='_compute_qbo_id')

    # QuickBooks entities the document itself may be, in the order its id is looked for.
    _qbo_entities = ()

    def _valid_field_parameter(self, field, name):
        # The status is tracked on documents (which have a chatter); the other records pushed
        # through the outbox (a statement line, an inbound change, an initial sync, an undo line)
        # have none, and take the parameter without a warning.
        return name == 'tracking' or super()._valid_field_parameter(field, name)

    def _compute_qbo_id(self):
        """The QuickBooks id of the document itself, from its mapping (role record, else the
        receipt holding it)."""
        mappings = own_mappings(self)
        found = {}
        for mapping in mappings.sorted(lambda m: m.role != 'record'):
            found.setdefault(mapping.res_id, mapping.qbo_id)
        for record in self:
            record.qbo_id = found.get(record.id, False)

    def _qbo_check_push_access(self):
        """The "Push to QuickBooks" button queues as the addon (the job rows are the code's):
        it is for QuickBooks users, not for everyone who reads the document (portal customers,
        users outside the QuickBooks groups), who would bypass manual mode, the switches and the
        start date."""
        if not self.env.su and not self.env.user.has_group('qbo_connector.group_qbo_user'):
            raise AccessError(self.env._('Only QuickBooks users can push documents to QuickBooks.'))

    # ------------------------------------------------------------------
    # The hooks
    # ------------------------------------------------------------------

    def _qbo_push(self, job, outcome_unknown=False):
        """Do what ``job`` asks of this record in QuickBooks; returns (entity, id)."""
        raise NotImplementedError

    def _qbo_prepare_values(self, connection, client):
        """The mapper: this record as its QuickBooks object."""
        raise NotImplementedError

    def _qbo_find_lost(self, client, entity, values, duplicate=None, job=None):
        """The QuickBooks ``entity`` an earlier attempt may have created from this record
        (``values`` being what is sent now), or None. With ``duplicate`` (the 6140 QuickBooks
        answered ``job``'s create with): ours, else None when the number was freed (the create
        may go again), else raise why the number is another's.

        By default: a transaction of the same date and party whose private note carries this
        record's reference."""
        party = values.get('CustomerRef') or values.get('EntityRef')
        # QuickBooks filters purchases by date only: their payee is checked below. Without a party
        # (a record no longer sent, whose customer is not looked up again) the reference decides.
        condition = f" AND CustomerRef = {qbo_quote(party['value'])}" if 'CustomerRef' in values else ''
        found = client.query_all(f"SELECT * FROM {entity} WHERE TxnDate = {qbo_quote(values['TxnDate'])}{condition}")
        reference = self._qbo_reference()
        mine = next(
            (
                obj
                for obj in found
                if reference in (obj.get('PrivateNote') or '')
                and (
                    not party
                    or str((obj.get('CustomerRef') or obj.get('EntityRef') or {}).get('value')) == str(party['value'])
                )
            ),
            None,
        )
        if duplicate and not mine:
            raise duplicate
        return mine

    # ------------------------------------------------------------------
    # The exporter
    # ------------------------------------------------------------------

    def _qbo_export(self, job, client, entity, values, role='record', step='', current=None, outcome_unknown=False):
        """Create or update the QuickBooks ``entity`` this record is bound to in ``role``;
        returns QuickBooks' answer, bound to the record.

        Exactly once: an unbound record whose last attempt's outcome is unknown is first looked
        for (``_qbo_find_lost``) and, found, brought up to date rather than created again; a
        create refused as a duplicate number is looked for too. An update carries the SyncToken
        of ``current``, else the one kept from our last write, and reads the object only when
        QuickBooks says that one is stale (5010): QuickBooks meters reads, not writes."""
        self.ensure_one()
        connection = job.connection_id
        mappings = self.env['qbo.mapping']
        mapping = mappings._qbo_find(connection, self, entity, role)
        if mapping:
            current = current or {'Id': mapping.qbo_id, 'SyncToken': mapping.sync_token}
        elif outcome_unknown:
            current = self._qbo_find_lost(client, entity, values)
        # Found by its reference (or number) after a lost answer: an earlier attempt created it.
        created = bool(current) and not mapping
        result = None
        if not current:
            try:
                result = self._qbo_create(job, client, entity, values, step)
            except QboDuplicateError as error:
                if error.code != '6140':
                    raise
                current = self._qbo_find_lost(client, entity, values, duplicate=error, job=job)
                created = bool(current)
                if not current:
                    # The number was freed. Another request id: QuickBooks answers a known one with
                    # its first answer (the 6140).
                    result = client.create(entity, values, request_id=job._qbo_request_id(f'{step}freed', values))
        if result is None:

            def update(version):
                body = {**values, 'Id': version['Id'], 'SyncToken': version['SyncToken']}
                return client.update(entity, body, request_id=job._qbo_request_id(step, body))

            result = send_current(client, entity, current, update)
        mappings._qbo_link(connection, self, entity, result, role, origin='created' if created else None)
        return result

    def _qbo_create(self, job, client, entity, values, step):
        """Create the QuickBooks ``entity`` from ``values``; returns QuickBooks' answer.

        A create that meets a passing fault (a server error, a timeout, a reset connection;
        not a 429, which pauses the company) may have been performed: after const.RETRY_DELAYS
        it is looked up (``_qbo_find_lost``) — found, it is what this create made of these very
        values (an earlier attempt's, had there been one, was looked up before), and it is the
        answer — and, not found, sent again under its request id. All within the attempt: an
        attempt of several writes would otherwise rarely get through a flaky network. Still
        failing, the attempt ends and the next one looks it up first."""
        delays = list(const.RETRY_DELAYS)
        request_id = job._qbo_request_id(step, values)
        unknown = False
        try:
            while True:
                try:
                    return client.create(entity, values, request_id=request_id)
                except QboRetryableError as error:
                    unknown = unknown or error.outcome_unknown
                    if error.throttled or not delays:
                        raise
                    _logger.info('QuickBooks: the new %s failed (%s); sending it again', entity, error.code)
                time.sleep(delays.pop(0))
                found = unknown and self._qbo_find_lost(client, entity, values)
                if found:
                    return dict(found, **{CREATED_MARK: True})
        except QboError as error:
            # Whatever ends the attempt now (the last fault, a lookup's, a 429, a refused
            # token), the next one looks the create up first if it may have been performed.
            error.outcome_unknown = getattr(error, 'outcome_unknown', False) or unknown
            raise

    def _qbo_void(self, job, client, entity, role='record', forget=False, before=None):
        """Void the QuickBooks ``entity`` this record is bound to in ``role``, after
        ``before(current)`` when given; returns its id, False when there is none. ``forget``
        drops the binding: a voided payment is dead, and posted again becomes a new one."""
        self.ensure_one()
        mapping = self.env['qbo.mapping']._qbo_find(job.connection_id, self, entity, role)
        if not mapping:
            return False
        qbo_id = mapping.qbo_id
        current = {'Id': qbo_id, 'SyncToken': mapping.sync_token}
        if before:
            current = client.read(entity, qbo_id)
            before(current)

        def void(version):
            body = {'Id': qbo_id, 'SyncToken': version['SyncToken']}
            return client.void(entity, body, request_id=job._qbo_request_id('void', body))

        result = send_current(client, entity, current, void)
        if forget:
            mapping.sudo().unlink()
            job._qbo_renew_waiting_pushes(self)
        else:
            self.env['qbo.mapping']._qbo_link(job.connection_id, self, entity, result, role)
        return qbo_id

    def _qbo_delete(self, job, client, entity, role='record'):
        """Delete the QuickBooks ``entity`` this record is bound to in ``role`` (for what
        QuickBooks does not void through its API) and drop the binding; returns its id, False
        when there is none."""
        self.ensure_one()
        mapping = self.env['qbo.mapping']._qbo_find(job.connection_id, self, entity, role)
        if not mapping:
            return False
        qbo_id = mapping.qbo_id

        def delete(version):
            body = {'Id': qbo_id, 'SyncToken': version['SyncToken']}
            return client.delete(entity, body, request_id=job._qbo_request_id('delete', body))

        with contextlib.suppress(QboNotFoundError):  # deleted by an attempt whose answer was lost, or by hand
            send_current(client, entity, {'Id': qbo_id, 'SyncToken': mapping.sync_token}, delete)
        mapping.sudo().unlink()
        job._qbo_renew_waiting_pushes(self)
        return qbo_id

    # ------------------------------------------------------------------
    # Deletion
    # ------------------------------------------------------------------

    @api.ondelete(at_uninstall=False)
    def _unlink_except_live_in_quickbooks(self):
        """A record QuickBooks holds, or may hold, is not deleted: its job could no longer reach
        it, and its twin would stay live in QuickBooks for good (with its number, which Odoo gives
        the next document). Deletable once QuickBooks holds nothing live of it: never sent, or
        voided (a payment's void forgets its QuickBooks object; a document's keeps it, voided)."""
        if not self.ids:
            return
        held = set(own_mappings(self).mapped('res_id'))
        latest = {}
        for job in (
            self.env['qbo.sync.job']
            .sudo()
            .search([('res_model', '=', self._name), ('res_id', 'in', self.ids)], order='id desc')
        ):
            latest.setdefault(job.res_id, job)
        for record in self:
            job = latest.get(record.id)
            if job and job.outcome_unknown:
                raise UserError(
                    self.env._(
                        '%(record)s may have reached QuickBooks: the answer to its last attempt was lost. Delete it '
                        'once the QuickBooks queue has run it again.',
                        record=record.display_name,
                    )
                )
            if job and job.operation == 'void' and job.state != 'done':
                raise UserError(
                    self.env._(
                        'QuickBooks has not voided %(record)s yet: delete it once its void is done (see its QuickBooks '
                        'job).',
                        record=record.display_name,
                    )
                )
            if record.id in held and not (job and job.operation == 'void'):
                raise UserError(
                    self.env._(
                        'QuickBooks holds %(record)s: deleted here, it would stay live there. Cancel it first, which '
                        'voids it in QuickBooks, then delete it.',
                        record=record.display_name,
                    )
                )

    # ------------------------------------------------------------------
    # Status
    # ------------------------------------------------------------------

    def _qbo_on_job_state(self, job):
        """Mirror ``job``'s state on the document; a refusal also goes to its chatter."""
        values = {'qbo_sync_state': {'done': 'synced', 'failed': 'failed'}.get(job.state, 'pending')}
        if job.state == 'done':
            values['qbo_sync_error'] = False
            if not job.qbo_id:
                values['qbo_sync_state'] = False  # nothing was sent: reset to draft since it was queued
        elif job.state == 'failed':
            values['qbo_sync_error'] = job.error_message
        elif job.state == 'cancelled':
            values = {'qbo_sync_state': False}
        self._qbo_write_status(values)
        if job.state == 'failed':
            self.message_post(
                body=self.env._(
                    'QuickBooks refused this document (%(code)s): %(message)s',
                    code=job.error_code,
                    message=job.error_message,
                )
            )

    def _qbo_write_status(self, values):
        """Write the connector's own fields on the document. Not an edit of the document:
        a journal entry is neither marked as manually modified (which Odoo's auto-posting of
        bills reads) nor are its lines synchronised and its balance checked again, which
        would cost some fifteen queries per write for nothing."""
        return self.with_context(
            skip_is_manually_modified=True,
            skip_invoice_sync=True,
            check_move_validity=False,
        ).write(values)

    def _qbo_lock_for_push(self):
        """Hold this record's row until the job's transaction ends; called by ``_qbo_push`` before
        anything is read for QuickBooks or sent. A user's cancel, reset or deletion of the record
        in another transaction then waits for the push's outcome (its mapping and status) to be
        committed: its own write of the row fails as a serialization failure, which Odoo retries,
        and the retry sees what QuickBooks now holds (it queues the void of what the push made).
        Without it the change went through in the middle of the push, which had read the record
        before it: the user's transaction knew of nothing to void, and the push's outcome could
        not be saved (the row had changed under it).

        Not waited for: a record a user is changing right now (or changed since this transaction
        began) is retried in a moment, nothing sent, as what it will be is not known yet."""
        try:
            self.env.cr.execute(
                SQL(
                    'SELECT id FROM %s WHERE id IN %s FOR NO KEY UPDATE NOWAIT',
                    SQL.identifier(self._table),
                    tuple(self.ids),
                ),
                log_exceptions=False,
            )
        except (psycopg2.errors.LockNotAvailable, psycopg2.errors.SerializationFailure) as error:
            raise QboRetryableError(
                'concurrent',
                self.env._(
                    '%(record)s was being changed in Odoo; it will be sent in a moment.',
                    record=self.display_name,
                ),
                retry_after=const.JOB_CONCURRENT_RETRY_SECONDS,
            ) from error

    def _qbo_reference(self):
        """What ties a QuickBooks object back to this record (kept in its private note)."""
        return f'[odoo:{self.env.cr.dbname}:{self._name}:{self.id}]'


def send_current(client, entity, version, send):
    """``send(version)`` (a write of the QuickBooks ``entity`` at ``version``, {'Id', 'SyncToken'});
    when the SyncToken is unknown or stale (5010: the object changed since, e.g. a payment applied
    to an invoice), read the object once and send again. Returns what ``send`` returns."""
    if version.get('SyncToken') is not None:
        with contextlib.suppress(QboStaleError):
            return send(version)
    return send(client.read(entity, version['Id']))


def own_mappings(records, roles=('record', 'receipt')):
    """The mappings of ``records`` (of a synced model) to the QuickBooks objects they themselves
    are, in ``roles`` (the document itself, or the receipt holding a payment), oldest first."""
    return (
        records.env['qbo.mapping']
        .sudo()
        .search(
            [
                ('res_model', '=', records._name),
                ('res_id', 'in', records.ids),
                ('qbo_entity', 'in', list(records._qbo_entities)),
                ('role', 'in', list(roles)),
            ],
            order='id',
        )
    )
