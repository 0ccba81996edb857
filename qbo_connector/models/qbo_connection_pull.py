import logging
from datetime import datetime, timedelta, timezone

from odoo import api, fields, models

from .. import const
from ..exceptions import QboAuthError, QboError
from ..tools.qbo_client import qbo_quote
from .qbo_connection import QboConnection as _QboConnectionBase

_logger = logging.getLogger(__name__)

# What comes back, per kind: the switch on the connection and the QuickBooks entities CDC reads.
PULLED_KINDS = {'pull_payments': ('Payment',)}
# Documents Odoo sent, changed in QuickBooks (flagged, never overwritten); customers and items
# (contact fields, names and prices); the lists, whose copies refresh from the same CDC answer.
PULLED_KINDS.update(
    {
        'pull_document_changes': ('Invoice', 'CreditMemo'),
        'pull_customers': ('Customer',),
        'pull_products': ('Item',),
        'pull_lists': ('Term', 'PaymentMethod', 'Account', 'Class'),
    }
)
# Lists refreshed in the pull run itself, never as jobs of their own.
LIST_ENTITIES = PULLED_KINDS['pull_lists']
# Entities QuickBooks keeps as name lists (a query answers only active ones unless asked).
NAME_LISTS = ('Customer', 'Item', *LIST_ENTITIES)


def qbo_datetime(value):
    """A QuickBooks timestamp (ISO 8601 with an offset) as Odoo stores datetimes (naive UTC)."""
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace('Z', '+00:00'))
    if parsed.tzinfo:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed.replace(microsecond=0)


def qbo_timestamp(value):
    """A naive UTC datetime as QuickBooks reads it without ambiguity (with its offset)."""
    return value.strftime('%Y-%m-%dT%H:%M:%S') + '+00:00'


# Bill payments recorded in QuickBooks come back with the vendor payments switch (issue 12).
PULLED_KINDS['sync_bill_payments'] = ('BillPayment',)


class QboConnection(models.Model):
    """The pull side of a connection (issue 10): which way it syncs, what comes back and how
    often, the high-water mark of change data capture, and the webhook verifier token."""

    _inherit = 'qbo.connection'  # pylint: disable=consider-merging-classes-inherited; a file per part (pull, initial sync)

    sync_direction = fields.Selection(
        [('two_way', 'Two-way'), ('push_only', 'One-way push')],
        string='Direction',
        required=True,
        default='two_way',
        tracking=True,
        help='Two-way: what the switches below name comes back from QuickBooks (on a schedule, and at once '
        'through webhooks when they are set up). One-way push: Odoo sends, nothing comes back.',
    )
    pull_payments = fields.Boolean(
        string='Payments Recorded in QuickBooks',
        default=True,
        tracking=True,
        help='Customer payments recorded in QuickBooks (not those Odoo sent) are registered in Odoo and '
        'reconciled with the invoices they pay; voided or deleted there, cancelled here.',
    )
    pull_document_changes = fields.Boolean(
        string='Documents Changed in QuickBooks',
        default=True,
        tracking=True,
        help='Invoices and credit notes Odoo sent, then edited, voided or deleted in QuickBooks, are flagged '
        '"Changed in QuickBooks" for someone to decide (Push again or Accept): never overwritten silently.',
    )
    pull_customers = fields.Boolean(
        string='Customers Edited in QuickBooks',
        default=True,
        tracking=True,
        help="A customer edited in QuickBooks updates its Odoo contact's name, email, phone and billing address, "
        'unless the contact was changed in Odoo since (then it is flagged with both versions).',
    )
    pull_customers_create = fields.Boolean(
        string='Create Customers Made in QuickBooks',
        default=False,
        tracking=True,
        help='A customer created in QuickBooks becomes an Odoo contact (the contact of the same email when there '
        'is one: never a duplicate).',
    )
    pull_products = fields.Boolean(
        string='Items Edited in QuickBooks',
        default=True,
        tracking=True,
        help="An item edited in QuickBooks updates its Odoo product's name, sales description and price.",
    )
    pull_products_create = fields.Boolean(
        string='Create Items Made in QuickBooks',
        default=False,
        tracking=True,
        help='An item created in QuickBooks becomes an Odoo product.',
    )
    pull_lists = fields.Boolean(
        string='Lists (Terms, Payment Methods, Accounts, Classes)',
        default=True,
        tracking=True,
        help='Renamed or made inactive in QuickBooks, they are refreshed in Odoo from the same change data capture '
        'call, instead of being read again for a document.',
    )
    pull_interval_minutes = fields.Integer(
        string='Pull Every (Minutes)',
        default=const.PULL_INTERVAL_MINUTES_DEFAULT,
        tracking=True,
        help='How often Odoo asks QuickBooks what changed (change data capture). Webhooks bring changes sooner; '
        'this scheduled pull is what guarantees nothing is missed.',
    )
    cdc_high_water_at = fields.Datetime(
        string='Pulled Up To',
        readonly=True,
        copy=False,
        help='Changes made in QuickBooks up to this moment have been read and stored.',
    )
    last_pull_at = fields.Datetime(string='Last Pull', readonly=True, copy=False)
    webhook_verifier_token = fields.Char(
        string='Webhook Verifier Token',
        groups='base.group_system',
        copy=False,
        help="The verifier token of the Intuit app's webhooks: every notification is signed with it.",
    )
    webhook_url = fields.Char(string='Webhook URL', compute='_compute_webhook_url')
    inbound_waiting_count = fields.Integer(string='Changes Waiting', compute='_compute_inbound_counts')
    inbound_failed_count = fields.Integer(string='Changes Failed', compute='_compute_inbound_counts')

    _QBO_PROTECTED_FIELDS = _QboConnectionBase._QBO_PROTECTED_FIELDS | frozenset({'cdc_high_water_at', 'last_pull_at'})

    _pull_interval_positive = models.Constraint(
        'CHECK(pull_interval_minutes > 0)', 'The pull interval must be at least a minute.'
    )

    def _compute_webhook_url(self):
        for connection in self:
            connection.webhook_url = connection.get_base_url().rstrip('/') + const.WEBHOOK_PATH

    def _compute_inbound_counts(self):
        jobs = self.env['qbo.sync.job'].sudo()
        for connection in self:
            domain = [('connection_id', '=', connection.id), ('direction', '=', 'pull')]
            connection.inbound_waiting_count = jobs.search_count(domain + [('state', 'in', ('pending', 'in_progress'))])
            connection.inbound_failed_count = jobs.search_count(domain + [('state', '=', 'failed')])

    def action_forget_books(self):
        """Other books start from their own beginning: the pull mark of the old ones is dropped."""
        result = super().action_forget_books()
        self.sudo().write({'cdc_high_water_at': False, 'last_pull_at': False})
        return result

    # ------------------------------------------------------------------
    # What comes back
    # ------------------------------------------------------------------

    def _qbo_pulled_entities(self):
        """The QuickBooks entities this connection brings back (none when it only pushes)."""
        self.ensure_one()
        if self.sync_direction != 'two_way':
            return []
        return [entity for switch, entities in PULLED_KINDS.items() if self[switch] for entity in entities]

    # ------------------------------------------------------------------
    # Change data capture on a schedule
    # ------------------------------------------------------------------

    @api.model
    def _cron_pull_changes(self):
        """For each connected two-way connection whose pull is due: one CDC call for every kind it
        pulls since its high-water mark; what was read is stored as inbound changes (pull jobs) and
        the mark moves in the same commit, so it never passes what is not safely stored."""
        now = fields.Datetime.now()
        connections = self.sudo().search([('state', '=', 'connected'), ('sync_direction', '=', 'two_way')])
        due = connections.filtered(
            lambda c: (
                c._qbo_pulled_entities()
                and (not c.last_pull_at or c.last_pull_at + timedelta(minutes=c.pull_interval_minutes) <= now)
            )
        )
        cron = self.env['ir.cron']
        cron._commit_progress(remaining=len(due))
        for connection in due:
            try:
                connection._qbo_pull_changes()
            except QboAuthError as error:
                self.env.cr.rollback()
                _logger.info('QuickBooks connection %s: pull paused until it is reconnected (%s)', connection.id, error)
            except QboError as error:
                self.env.cr.rollback()
                _logger.warning('QuickBooks connection %s: pull failed, tried again next run: %s', connection.id, error)
            if not cron._commit_progress(1):
                break
        return len(due)

    def _qbo_cdc_start(self):
        """Where the first pull starts: the sync start date, or as far back as QuickBooks allows
        (30 days, less a margin), whichever is later."""
        self.ensure_one()
        earliest = fields.Datetime.now() - timedelta(
            days=const.CDC_MAX_DAYS, seconds=-const.CDC_FIRST_PULL_MARGIN_SECONDS
        )
        if self.sync_start_date:
            return max(earliest, fields.Datetime.to_datetime(self.sync_start_date))
        return earliest

    def _qbo_pull_changes(self):
        """Read what changed in QuickBooks since the mark (one CDC call when fewer than 1,000 objects
        changed), store it, and move the mark, committing each answer with its mark. An answer holding
        the cap (1,000 objects, the oldest first) narrows the window: the next call starts from the
        newest change it held; when no narrower window can split them (all of one second), what
        changed is listed instead (``_qbo_pull_reconcile``). Returns the number of changes stored."""
        self.ensure_one()
        entities = self._qbo_pulled_entities()
        if not entities:
            return 0
        connection = self.sudo()
        client = connection._qbo_client()
        events = self.env['qbo.inbound.event']
        since = connection._qbo_cdc_start()
        if connection.cdc_high_water_at:
            # A connection left off for longer than QuickBooks looks back starts as far back as it
            # may: QuickBooks refuses older (4001), and would refuse it at every run.
            floor = fields.Datetime.now() - timedelta(
                days=const.CDC_MAX_DAYS, seconds=-const.CDC_FIRST_PULL_MARGIN_SECONDS
            )
            if connection.cdc_high_water_at < floor:
                _logger.warning(
                    'QuickBooks connection %s: last pulled up to %s, more than %s days ago, further back than change '
                    'data capture reads: what changed since is listed instead.',
                    connection.id,
                    connection.cdc_high_water_at,
                    const.CDC_MAX_DAYS,
                )
                return connection._qbo_pull_reconcile(client, entities, connection.cdc_high_water_at)
            since = max(connection.cdc_high_water_at, floor)
        # QuickBooks' cap; a parameter so that a QuickBooks (or emulator) answering fewer is read right.
        cap = int(
            self.env['ir.config_parameter'].sudo().get_param('qbo_connector.cdc_max_objects', const.CDC_MAX_OBJECTS)
        )
        stored = 0
        for _round in range(const.CDC_MAX_ROUNDS):
            changed, answered_at = client.cdc(entities, qbo_timestamp(since))
            read = [(entity, obj) for entity in entities for obj in changed.get(entity, [])]
            stored += len(events._qbo_store(connection, [events._qbo_cdc_change(entity, obj) for entity, obj in read]))
            times = [
                t for t in (qbo_datetime((obj.get('MetaData') or {}).get('LastUpdatedTime')) for _e, obj in read) if t
            ]
            full = len(read) >= cap
            if full:
                # The next window starts a second before the newest change read: changes of that
                # second not in this answer come next time; those in it are recognised as stored.
                mark = max(times) - timedelta(seconds=1) if times else since
            else:
                answered = qbo_datetime(answered_at) or fields.Datetime.now()
                # Not the newest change read: another change of that same second may have come
                # after the answer was built.
                mark = max(answered - timedelta(seconds=const.CDC_OVERLAP_SECONDS), since)
            connection.write({'cdc_high_water_at': mark, 'last_pull_at': fields.Datetime.now()})
            self.env['ir.cron']._commit_progress()
            if not full:
                break
            if mark <= since:
                # More changes within one second than an answer holds: no narrower window splits
                # them, and CDC would answer the same at every run. They are listed instead, kind by
                # kind and page by page, as for a connection off longer than CDC looks back.
                _logger.warning(
                    'QuickBooks connection %s: more than %s changes within one second at %s; what changed since is '
                    'listed instead.',
                    connection.id,
                    cap,
                    since,
                )
                # The mark then passes that second (its changes are all listed).
                past = max(times) + timedelta(seconds=1) if times else None
                return stored + connection._qbo_pull_reconcile(client, entities, since, past=past)
            since = mark
        return stored

    def _qbo_pull_reconcile(self, client, entities, since, past=None):
        """Older than change data capture looks back: list, entity by entity and page by page, the
        objects of the kinds pulled whose ``MetaData.LastUpdatedTime`` is after ``since``, store them as
        CDC would, and move the mark to when the listing began. Objects deleted meanwhile are not
        listed (QuickBooks keeps no trace of them outside CDC): the documents and payments Odoo holds
        mapped are looked for by id instead (``_qbo_pull_reconcile_deletions``). ``past``: a moment
        the mark must pass (a second whose changes were all listed). Returns the number of changes
        stored."""
        self.ensure_one()
        events = self.env['qbo.inbound.event']
        started = fields.Datetime.now()
        stored = 0
        for entity in entities:
            # Name lists answer their active objects only unless asked: inactive ones changed too.
            active = ' AND Active IN (true, false)' if entity in NAME_LISTS else ''
            found = client.query_all(
                f"SELECT * FROM {entity} WHERE MetaData.LastUpdatedTime > '{qbo_timestamp(since)}'{active}"
            )
            stored += len(events._qbo_store(self, [events._qbo_cdc_change(entity, obj) for obj in found]))
        stored += self._qbo_pull_reconcile_deletions(client, entities, started)
        mark = started - timedelta(seconds=const.CDC_OVERLAP_SECONDS)
        self.write(
            {
                'cdc_high_water_at': max(mark, past) if past else mark,
                'last_pull_at': fields.Datetime.now(),
            }
        )
        self.env['ir.cron']._commit_progress()
        return stored

    def _qbo_pull_reconcile_deletions(self, client, entities, now):
        """The transactions of the kinds pulled (``entities``) that Odoo holds mapped (the documents
        and payments it sent, the payments it pulled) and QuickBooks no longer has: stored as the
        deletions CDC would have told (same key, so a later CDC answer of the same deletion adds
        nothing). One ``SELECT Id … WHERE Id IN (…)`` per kind and page of ids (at most a page of
        QuickBooks' answer each). Returns the number of changes stored."""
        from .qbo_inbound_event import WATCHED_MODELS  # noqa: PLC0415 - it imports this module

        self.ensure_one()
        events = self.env['qbo.inbound.event']
        mappings = self.env['qbo.mapping'].sudo()
        stamp = qbo_timestamp(now)
        stored = 0
        # Bill payments pulled from QuickBooks are payments too (they are not watched: Odoo's own
        # are never flagged), and a deleted one is cancelled as CDC would have it.
        deletable = {**WATCHED_MODELS, 'BillPayment': 'account.payment'}
        for entity in entities:
            model = deletable.get(entity)
            if not model or entity in NAME_LISTS:
                continue  # customers and items are made inactive, never deleted
            mapped = mappings.search(
                [
                    ('connection_id', '=', self.id),
                    ('qbo_entity', '=', entity),
                    ('role', '=', 'record'),
                    ('res_model', '=', model),
                ],
                order='id',
            )
            existing = set(self.env[model].sudo().browse(mapped.mapped('res_id')).exists().ids)
            ids = list(dict.fromkeys(m.qbo_id for m in mapped if m.res_id in existing and m.qbo_id.isdigit()))
            gone = []
            for start in range(0, len(ids), const.QUERY_PAGE):
                chunk = ids[start : start + const.QUERY_PAGE]
                listed = ', '.join(qbo_quote(qbo_id) for qbo_id in chunk)
                found = client.query(f'SELECT Id FROM {entity} WHERE Id IN ({listed}) MAXRESULTS {const.QUERY_PAGE}')
                held = {str(obj['Id']) for obj in found}
                gone += [qbo_id for qbo_id in chunk if qbo_id not in held]
            if gone:
                _logger.warning(
                    'QuickBooks connection %s: %s %s Odoo holds no longer in QuickBooks (deleted): %s',
                    self.id,
                    len(gone),
                    entity,
                    ', '.join(gone),
                )
                changes = [
                    events._qbo_cdc_change(
                        entity, {'Id': qbo_id, 'status': 'Deleted', 'MetaData': {'LastUpdatedTime': stamp}}
                    )
                    for qbo_id in gone
                ]
                stored += len(events._qbo_store(self, changes))
        return stored
