import logging
import time
from contextlib import contextmanager

from psycopg2.extensions import ISOLATION_LEVEL_READ_COMMITTED

from odoo import api, fields, models, sql_db

from .. import const
from ..exceptions import QboRetryableError

_logger = logging.getLogger(__name__)


class QboRealmThrottle(models.Model):
    """QuickBooks' rate limits of one QuickBooks company, shared by every Odoo worker.

    QuickBooks allows an app 500 requests per minute and 10 requests at once per company,
    then answers 429 for a minute. Each worker process of an Odoo server drains the queue on
    its own, so the pace is kept here, in the database that they all share: every Accounting
    API request reserves the next free slot of its company (one row per company, updated and
    committed in a cursor of its own) and holds one of a few concurrency slots (session
    advisory locks, released by the database if the worker dies) while it is in flight. A
    429 received anyway (another app of the company, a limit lower than assumed) pauses the
    whole company until QuickBooks' Retry-After: no worker sends anything to it meanwhile,
    and the jobs that meet the pause wait without spending an attempt."""

    _name = 'qbo.realm.throttle'
    _description = 'QuickBooks Online Rate Limit (per company)'
    _rec_name = 'realm_id'

    realm_id = fields.Char(string='QuickBooks Company Id', required=True, readonly=True)
    next_slot_at = fields.Datetime(
        readonly=True, help='When the last request reserved may go out (UTC, to the microsecond in the database).'
    )
    paused_until = fields.Datetime(readonly=True, help='QuickBooks answered 429: nothing is sent before then.')
    next_batch_slot_at = fields.Datetime(
        readonly=True, help='When the last batch call reserved may go out (QuickBooks allows 40 batch calls a minute).'
    )
    throttled_count = fields.Integer(string='429 Received', readonly=True)
    last_throttled_at = fields.Datetime(string='Last 429', readonly=True)

    _realm_unique = models.Constraint('UNIQUE(realm_id)', 'One rate limit per QuickBooks company.')

    @api.model
    def _qbo_pacer(self, realm_id):
        """The pacer of the QuickBooks company ``realm_id`` for a QboClient (see QboPacer)."""
        param = self.env['ir.config_parameter'].sudo().get_param
        per_minute = _positive(param('qbo_connector.requests_per_minute'), const.THROTTLE_REQUESTS_PER_MINUTE)
        concurrent = _positive(param('qbo_connector.concurrent_requests'), const.THROTTLE_CONCURRENT_REQUESTS)
        pacer = QboPacer(self.env.registry, realm_id, per_minute, concurrent)
        batches = _positive(param('qbo_connector.batch_calls_per_minute'), const.THROTTLE_BATCH_CALLS_PER_MINUTE)
        pacer.batch_interval = 60.0 / batches
        return pacer

    @api.model
    def _qbo_paused(self, realm_ids):
        """{realm id: paused until (naive UTC)} of the companies QuickBooks is throttling now."""
        if not realm_ids:
            return {}
        self.env.cr.execute(
            """SELECT realm_id, paused_until FROM qbo_realm_throttle
                WHERE realm_id IN %s AND paused_until > (clock_timestamp() AT TIME ZONE 'UTC')""",
            [tuple(realm_ids)],
        )
        return dict(self.env.cr.fetchall())


class QboPacer:
    """What a QboClient asks before each Accounting API request (``slot``) and tells after a
    429 (``throttled``). Works in cursors of its own, committed at once: a reservation must be
    seen by the other workers now, not when the job's transaction ends."""

    def __init__(self, registry, realm_id, per_minute, concurrent):
        self.registry = registry
        self.realm_id = realm_id
        self.interval = 60.0 / per_minute
        # Never more than a tenth of the minute's allowance at once (450: 40, 9: none).
        self.burst = min(const.THROTTLE_BURST, per_minute // 10)
        self.concurrent = concurrent
        # Batch calls have a pace of their own besides (no burst: QuickBooks counts them over a
        # sliding minute); see _reserve_batch.
        self.batch_interval = 60.0 / const.THROTTLE_BATCH_CALLS_PER_MINUTE
        self._known = False

    def _reserve_batch(self, cr):
        """Reserve the company's next batch slot, one batch interval after the last one (the
        row is locked by _reserve). Returns the seconds to wait before sending."""
        cr.execute(
            """SELECT EXTRACT(EPOCH FROM next_batch_slot_at - (clock_timestamp() AT TIME ZONE 'UTC'))
                 FROM qbo_realm_throttle WHERE realm_id = %s""",
            [self.realm_id],
        )
        tat_in = float(cr.fetchone()[0] or 0.0)
        wait = max(0.0, tat_in)
        if wait > const.THROTTLE_MAX_WAIT_SECONDS:
            raise _throttled(wait)
        cr.execute(
            """UPDATE qbo_realm_throttle
                  SET next_batch_slot_at = GREATEST(next_batch_slot_at, clock_timestamp() AT TIME ZONE 'UTC')
                                           + make_interval(secs => %s)
                WHERE realm_id = %s""",
            [self.batch_interval, self.realm_id],
        )
        return wait

    def _reserve(self, cr):
        """Reserve the company's next request slot, unless it is paused or the wait would be longer
        than a worker should sleep (then raise). Returns the seconds to wait before sending.

        The generic cell rate algorithm: the row keeps the theoretical arrival time (TAT) of the
        next request; each request moves it one interval on, and may go as soon as it is at most
        a burst of intervals ahead of the clock. In any minute no more than the burst plus a
        minute's worth of intervals go out."""
        if not self._known:
            cr.execute(
                """INSERT INTO qbo_realm_throttle (realm_id, throttled_count, create_date, write_date)
                   VALUES (%s, 0, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
                   ON CONFLICT (realm_id) DO NOTHING""",
                [self.realm_id],
            )
            self._known = True
        cr.execute(
            """SELECT EXTRACT(EPOCH FROM paused_until - (clock_timestamp() AT TIME ZONE 'UTC')),
                      EXTRACT(EPOCH FROM next_slot_at - (clock_timestamp() AT TIME ZONE 'UTC'))
                 FROM qbo_realm_throttle WHERE realm_id = %s FOR NO KEY UPDATE""",
            [self.realm_id],
        )
        paused_for, tat_in = (float(v) if v is not None else 0.0 for v in cr.fetchone())
        if paused_for > 0:
            raise _throttled(paused_for, paused=True)
        wait = max(0.0, tat_in - self.burst * self.interval)
        if wait > const.THROTTLE_MAX_WAIT_SECONDS:
            raise _throttled(wait)
        cr.execute(
            """UPDATE qbo_realm_throttle
                  SET next_slot_at = GREATEST(next_slot_at, clock_timestamp() AT TIME ZONE 'UTC')
                                     + make_interval(secs => %s)
                WHERE realm_id = %s""",
            [self.interval, self.realm_id],
        )
        return wait

    def _concurrency_slot(self, cr):
        """One of the company's concurrency slots (a session advisory lock on ``cr``), waiting for
        one to be free; raises when none frees up in time."""
        deadline = time.monotonic() + const.THROTTLE_MAX_WAIT_SECONDS
        while True:
            for slot in range(self.concurrent):
                key = f'{self.realm_id}:{slot}'
                cr.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", [const.THROTTLE_LOCK_NAMESPACE, key])
                if cr.fetchone()[0]:
                    cr.commit()  # pylint: disable=invalid-commit; the pacer's own cursor, shared at once
                    return key
            cr.commit()  # pylint: disable=invalid-commit; the pacer's own cursor, shared at once
            if time.monotonic() > deadline:
                raise _throttled(1.0)
            time.sleep(0.05)

    @contextmanager
    def slot(self, batch=False):
        """Wait for the company's next request slot (and, for a ``batch`` call, its next batch
        slot) and a free concurrency slot, and hold the latter while the request is in flight.
        Raises QboRetryableError (``throttled``) without sending anything when the company is
        paused or too busy to wait for."""
        with _own_cursor(self.registry) as cr:
            wait = self._reserve(cr)
            if batch:
                wait = max(wait, self._reserve_batch(cr))
            cr.commit()  # pylint: disable=invalid-commit; the pacer's own cursor, shared at once
            if wait:
                time.sleep(wait)
            key = self._concurrency_slot(cr)
            try:
                yield
            finally:
                cr.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [const.THROTTLE_LOCK_NAMESPACE, key])
                cr.commit()  # pylint: disable=invalid-commit; the pacer's own cursor, shared at once

    def throttled(self, retry_after):
        """QuickBooks answered 429: pause the company for ``retry_after`` seconds, for every worker."""
        try:
            with _own_cursor(self.registry) as cr:
                cr.execute(
                    """UPDATE qbo_realm_throttle
                          SET paused_until = GREATEST(
                                  paused_until, (clock_timestamp() AT TIME ZONE 'UTC') + make_interval(secs => %s)
                              ),
                              throttled_count = throttled_count + 1,
                              last_throttled_at = clock_timestamp() AT TIME ZONE 'UTC'
                        WHERE realm_id = %s""",
                    [retry_after, self.realm_id],
                )
        except Exception:  # noqa: BLE001 - the job is rescheduled anyway; only the shared pause is lost
            _logger.exception('QuickBooks: could not record the pause of company %s', self.realm_id)


@contextmanager
def _own_cursor(registry):
    """A cursor of the pacer's own, in READ COMMITTED: the row of a company is updated by every
    worker at once, and each update must apply to the latest reservation (Odoo's REPEATABLE READ
    would refuse it as a concurrent update). A test cursor shares the test's transaction."""
    with registry.cursor() as cr:
        if isinstance(cr, sql_db.Cursor):
            cr.connection.set_isolation_level(ISOLATION_LEVEL_READ_COMMITTED)
        yield cr


def _throttled(seconds, paused=False):
    seconds = max(1, round(seconds))
    if paused:
        message = 'QuickBooks asked us to slow down for this company; nothing is sent to it for %s s.' % seconds
    else:
        message = 'QuickBooks allows only so many requests per minute for this company; this waits %s s.' % seconds
    return QboRetryableError('throttled', message, retry_after=seconds, throttled=True)


def _positive(value, default):
    try:
        number = int(value) if value else default
    except ValueError:
        return default
    return number if number > 0 else default
