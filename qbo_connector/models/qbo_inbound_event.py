import base64
import hashlib
import hmac
import json
import logging

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import consteq

from .. import const
from ..exceptions import QboNotFoundError, QboValidationError
from ..tools.qbo_client import qbo_quote
from ..tools.qbo_objects import version
from .qbo_connection_pull import LIST_ENTITIES, PULLED_KINDS, qbo_datetime

_logger = logging.getLogger(__name__)

# Operations as QuickBooks spells them (webhooks: "Create" in the legacy format, "created" in
# CloudEvents types; "void" and "voided" both seen) -> ours.
OPERATIONS = {
    'create': 'created',
    'created': 'created',
    'update': 'updated',
    'updated': 'updated',
    'delete': 'deleted',
    'deleted': 'deleted',
    'void': 'voided',
    'voided': 'voided',
    'merge': 'merged',
    'merged': 'merged',
    'emailed': 'emailed',
}
PULLED_ENTITIES = {entity.lower(): entity for entities in PULLED_KINDS.values() for entity in entities}
# Objects Odoo wrote that QuickBooks may change afterwards, and who brings such a change in: a
# document or payment Odoo sent is flagged, a customer or item updates its Odoo record.
WATCHED_MODELS = {
    'Invoice': 'account.move',
    'CreditMemo': 'account.move',
    'Payment': 'account.payment',
    'Customer': 'res.partner',
    'Item': 'product.product',
}


class QboInboundEvent(models.Model):
    """A change made in QuickBooks, as a webhook announced it or change data capture read it: stored
    once (per event id, or per object version for CDC), then brought into Odoo by a pull job of the
    same queue as the pushes (`qbo.sync.job`, operation pull, whose record is this change)."""

    _name = 'qbo.inbound.event'
    _inherit = ['qbo.synced.mixin']
    _description = 'QuickBooks Online Inbound Change'
    _order = 'id desc'
    _check_company_auto = True

    connection_id = fields.Many2one('qbo.connection', required=True, index=True, ondelete='cascade', readonly=True)
    company_id = fields.Many2one(related='connection_id.company_id', store=True, index=True)
    realm_id = fields.Char(
        string='Realm ID',
        readonly=True,
        help='The QuickBooks company the change was made in (the same ids in other books are other objects).',
    )
    event_key = fields.Char(
        required=True, readonly=True, help='The webhook event id, or the object and version read by CDC.'
    )
    source = fields.Selection([('webhook', 'Webhook'), ('cdc', 'Change data capture')], required=True, readonly=True)
    qbo_entity = fields.Char(string='QuickBooks Entity', required=True, readonly=True)
    qbo_object_id = fields.Char(string='QuickBooks Object Id', required=True, readonly=True, index=True)
    operation = fields.Char(readonly=True)
    changed_at = fields.Datetime(readonly=True)
    payload = fields.Json(
        readonly=True,
        help='The object as change data capture read it, or as read for a webhook (which carries ids only).',
    )
    payment_id = fields.Many2one('account.payment', string='Odoo Payment', readonly=True, index='btree_not_null')
    note = fields.Text(readonly=True)

    _event_unique = models.UniqueIndex("(connection_id, COALESCE(realm_id, ''), event_key)", 'A change is stored once.')

    @api.depends('qbo_entity', 'qbo_object_id', 'operation')
    def _compute_display_name(self):
        for event in self:
            event.display_name = self.env._(
                'QuickBooks %(entity)s %(id)s %(operation)s',
                entity=event.qbo_entity,
                id=event.qbo_object_id,
                operation=event.operation or '',
            ).strip()

    # ------------------------------------------------------------------
    # Storing (webhook request or CDC run: database writes only)
    # ------------------------------------------------------------------

    @api.model
    def _qbo_cdc_change(self, entity, obj):
        """The change CDC read (``obj``, a QuickBooks object or a deletion) as a change to store."""
        deleted = obj.get('status') == 'Deleted'
        version = 'deleted' if deleted else obj.get('SyncToken') or (obj.get('MetaData') or {}).get('LastUpdatedTime')
        return {
            'key': f'cdc:{entity}:{obj["Id"]}:{version}',
            'source': 'cdc',
            'entity': entity,
            'id': str(obj['Id']),
            'operation': 'deleted' if deleted else 'updated',
            'time': (obj.get('MetaData') or {}).get('LastUpdatedTime'),
            'payload': obj,
        }

    @api.model
    def _qbo_store(self, connection, changes):
        """Store ``changes`` (dicts: key, source, entity, id, operation, time, payload) of
        ``connection`` and queue their pull: only kinds the connection pulls, never one it
        already has (same key), never an echo of what Odoo itself wrote. Returns the new events."""
        pulled = set(connection._qbo_pulled_entities())
        changes = [c for c in changes if c['entity'] in pulled]
        # The lists' copies are refreshed at once from what CDC carries (webhooks carry ids only:
        # the next CDC brings the object).
        lists = [c for c in changes if c['entity'] in LIST_ENTITIES]
        if lists:
            self.env['qbo.list.cache']._qbo_pull_lists(connection, [c for c in lists if c.get('payload')])
            changes = [c for c in changes if c['entity'] not in LIST_ENTITIES]
        if not changes:
            return self.browse()
        events = self.sudo()
        known = set(
            events.search(
                [
                    ('connection_id', '=', connection.id),
                    ('realm_id', '=', connection.realm_id),
                    ('event_key', 'in', [c['key'] for c in changes]),
                ]
            ).mapped('event_key')
        )
        created = self.browse()
        for change in changes:
            if change['key'] in known or self._qbo_is_echo(connection, change):
                continue
            known.add(change['key'])
            values = {
                'connection_id': connection.id,
                'realm_id': connection.realm_id,
                'event_key': change['key'],
                'source': change['source'],
                'qbo_entity': change['entity'],
                'qbo_object_id': change['id'],
                'operation': change['operation'],
                'changed_at': _safe_datetime(change.get('time')),
                'payload': change.get('payload') or False,
            }
            try:
                with self.env.cr.savepoint():
                    created |= events.create(values)
            except psycopg2.errors.UniqueViolation:
                # The same event, stored meanwhile by a second delivery of it.
                continue
        if created:
            self.env['qbo.sync.job']._qbo_enqueue(created, 'pull', priority=const.PULL_PRIORITY)
        return created

    @api.model
    def _qbo_is_echo(self, connection, change):
        """Whether ``change`` is nothing to bring in: one of Odoo's own writes coming back (or one
        already applied), or an object of no interest. Odoo's documents, payments, customers and items
        changed in QuickBooks after Odoo wrote them are of interest: a newer SyncToken than our last
        write's (CDC), a time after our last write's (webhooks, which carry no SyncToken), a deletion.
        QuickBooks objects Odoo never had are of interest only when they are created in Odoo
        (payments; customers and items with their settings on)."""
        entity = change['entity']
        mapping = (
            self.env['qbo.mapping']
            .sudo()
            .search(
                [
                    ('connection_id', '=', connection.id),
                    ('qbo_entity', '=', entity),
                    ('qbo_id', '=', change['id']),
                ],
                order='id',
            )
        )
        mapping = mapping.filtered(lambda m: m.role in ('record', 'sub_customer'))[:1] or mapping[:1]
        payload = change.get('payload') or {}
        if mapping:
            record = self.env[mapping.res_model].sudo().browse(mapping.res_id)
            pulled = mapping.role == 'record' and getattr(record, 'qbo_pulled', False)
            if not pulled:
                if (
                    entity not in WATCHED_MODELS
                    or mapping.role not in ('record', 'sub_customer')
                    or mapping.res_model != WATCHED_MODELS[entity]
                ):
                    return True  # Odoo's own: never imported back
                if change.get('operation') == 'deleted':
                    return False
                if payload:
                    if version(payload.get('SyncToken')) <= version(mapping.sync_token):
                        return True
                    # A newer version that changes nothing Odoo keeps (a payment applied to an invoice
                    # changes its balance): its SyncToken is kept for the next update, nothing stored.
                    if record.exists() and record._qbo_pull_unchanged(entity, payload):
                        mapping.write({'sync_token': payload.get('SyncToken')})
                        return True
                    return False
                # A webhook (ids only) of a record Odoo owns is left to the scheduled CDC, which carries
                # the object for free: most are Odoo's own writes, or a payment applied to an invoice,
                # and each would cost a read to tell.
                return True
            if payload.get('SyncToken') is not None and str(payload['SyncToken']) == str(mapping.sync_token):
                return True  # applied already
        elif entity in ('Invoice', 'CreditMemo'):
            return True  # documents made in QuickBooks are not brought into Odoo
        elif entity == 'Customer' and not connection.pull_customers_create:
            return True
        elif entity == 'Item' and not connection.pull_products_create:
            return True
        return bool(payload) and is_odoo_note(self.env, payload)

    @api.model
    def _qbo_receive_webhook(self, body, signature):
        """A webhook request: ``body`` (raw bytes) signed ``signature`` (the intuit-signature
        header). Returns the HTTP status to answer.

        The signature is checked first, in constant time, against the verifier token of every
        connection that has one (one per Intuit app); a body no token signed is refused (401),
        nothing parsed or stored. Each change then goes to the connection of its company
        (``intuitaccountid`` / ``realmId``) among those whose token signed it; a company no such
        connection holds is acknowledged and logged (QuickBooks would otherwise retry for ever)."""
        connections = (
            self.env['qbo.connection']
            .sudo()
            .search([('webhook_verifier_token', '!=', False), ('state', 'in', ('connected', 'needs_reconnect'))])
        )
        signed = connections.filtered(lambda c: _signature_matches(c.webhook_verifier_token, body, signature))
        if not signed:
            _logger.warning(
                'QuickBooks webhook refused: %s signature (%s bytes); nothing stored.',
                'a wrong' if signature else 'no',
                len(body),
            )
            return 401
        try:
            changes = parse_webhook(json.loads(body))
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            _logger.warning('QuickBooks webhook: a signed body that is not a notification (%s)', error)
            return 400
        by_realm = {}
        for change in changes:
            by_realm.setdefault(change.pop('realm'), []).append(change)
        for realm, realm_changes in by_realm.items():
            connection = signed.filtered(lambda c, realm=realm: c.realm_id == realm)[:1]
            if not connection:
                _logger.warning(
                    'QuickBooks webhook: %s change(s) of company %s, which no connection of this app holds: ignored.',
                    len(realm_changes),
                    realm,
                )
                continue
            self._qbo_store(connection, realm_changes)
        return 200

    # ------------------------------------------------------------------
    # The queue's hooks (qbo.synced.mixin): a pull job runs here
    # ------------------------------------------------------------------

    def _qbo_push(self, job, outcome_unknown=False):
        """The pull job of this change: bring it into Odoo. Returns (entity, id)."""
        self.ensure_one()
        if job.operation != 'pull':
            raise UserError(self.env._('A change made in QuickBooks is pulled, never pushed.'))
        connection = job.connection_id
        if self.qbo_entity not in connection._qbo_pulled_entities():
            self.note = self.env._('Not pulled: this connection no longer brings these back.')
            return self.qbo_entity, False
        obj = self._qbo_current_object(connection)
        if obj is None:
            return self.qbo_entity, False
        if self.qbo_entity not in ('Payment', 'BillPayment'):
            with self.env.cr.savepoint():
                record = self.env[WATCHED_MODELS[self.qbo_entity]]._qbo_pull(connection, obj, self.qbo_entity)
            if not record:
                self.note = self.note or self.env._('Nothing to bring in: Odoo holds this version already.')
            return self.qbo_entity, (self.qbo_object_id if record else False)
        try:
            with self.env.cr.savepoint():
                payment = self.env['account.payment']._qbo_pull(connection, obj, self.qbo_entity)
        except QboValidationError as error:
            if error.code not in ('not_in_odoo', 'nothing_to_register'):
                raise
            # Left alone, and said so: Odoo has nothing this payment could be registered against.
            _logger.info('QuickBooks connection %s: %s', connection.id, error.message)
            self.note = error.message
            return self.qbo_entity, False
        if payment:
            self.payment_id = payment
        return self.qbo_entity, self.qbo_object_id

    def _qbo_current_object(self, connection):
        """The object as QuickBooks holds it: CDC's copy, a deletion, or (a webhook carries ids only)
        read, together with those of the other webhook changes waiting, in one query; None when it
        is Odoo's own (no read)."""
        if self.operation == 'deleted':
            return {'Id': self.qbo_object_id, 'status': 'Deleted'}
        if self.payload:
            return self.payload
        if self._qbo_is_echo(connection, {'entity': self.qbo_entity, 'id': self.qbo_object_id}):
            return None
        return self._qbo_read_waiting(connection)

    def _qbo_read_waiting(self, connection):
        """Read this webhook change's object and, in the same query, those of the other webhook
        changes of its kind waiting in the queue (up to a query page): a burst of notifications
        costs one read, not one per object. What is read is kept on the changes it answers (as
        CDC's copy is), so their pull jobs read nothing; an id the query does not return is
        deleted. Changes another worker holds are left to read their own. Returns this change's object."""
        self.ensure_one()
        entity = self.qbo_entity
        others = self.sudo().search(
            [
                ('id', '!=', self.id),
                ('connection_id', '=', connection.id),
                ('realm_id', '=', connection.realm_id),
                ('qbo_entity', '=', entity),
                ('source', '=', 'webhook'),
                ('operation', '!=', 'deleted'),
                ('qbo_sync_state', '=', 'pending'),
                ('payload', '=', False),
            ],
            order='id',
            limit=const.QUERY_PAGE,
        )
        others = others.filtered(lambda e: not self._qbo_is_echo(connection, {'entity': entity, 'id': e.qbo_object_id}))
        if others:
            # Only those whose pull job waits, unclaimed, and whose row no one else is writing.
            waiting = (
                self.env['qbo.sync.job']
                .sudo()
                .search([('res_model', '=', self._name), ('res_id', 'in', others.ids), ('state', '=', 'pending')])
            )
            others = others.browse(waiting.mapped('res_id'))
        if others:
            self.env.cr.execute(
                'SELECT id FROM qbo_inbound_event WHERE id IN %s ORDER BY id FOR UPDATE SKIP LOCKED',
                [tuple(others.ids)],
            )
            others = others.browse([row[0] for row in self.env.cr.fetchall()])
        ids = [self.qbo_object_id]
        for event in others:
            if event.qbo_object_id not in ids and len(ids) < const.QUERY_PAGE:
                ids.append(event.qbo_object_id)
        others = others.filtered(lambda e: e.qbo_object_id in ids)
        client = connection._qbo_client()
        if len(ids) == 1:
            # Nothing else waits (or only other changes of the same object): a read of the one object.
            try:
                obj = client.read(entity, self.qbo_object_id)
            except QboNotFoundError:
                obj = {'Id': self.qbo_object_id, 'status': 'Deleted'}
            for event in others:
                event.payload = obj
            return obj
        quoted = ', '.join(qbo_quote(qbo_id) for qbo_id in ids)
        found = {
            str(obj['Id']): obj
            for obj in client.query(f'SELECT * FROM {entity} WHERE Id IN ({quoted}) MAXRESULTS {const.QUERY_PAGE}')
        }
        for event in others:
            event.payload = found.get(event.qbo_object_id) or {'Id': event.qbo_object_id, 'status': 'Deleted'}
        return found.get(self.qbo_object_id) or {'Id': self.qbo_object_id, 'status': 'Deleted'}

    def _qbo_on_job_state(self, job):
        """Mirror the job on the change (no chatter: the jobs list shows it)."""
        values = {'qbo_sync_state': {'done': 'synced', 'failed': 'failed'}.get(job.state, 'pending')}
        values['qbo_sync_error'] = job.error_message if job.state == 'failed' else False
        self._qbo_write_status(values)

    def _qbo_find_lost(self, client, entity, values, duplicate=None, job=None):
        return None  # a pull writes nothing to QuickBooks


def is_odoo_note(env, obj):
    """Whether the QuickBooks object ``obj`` carries, in its private note, the reference of a record
    of this database: one Odoo wrote (its answer maybe lost before the mapping was kept)."""
    return f'[odoo:{env.cr.dbname}:' in (obj.get('PrivateNote') or '')


def _signature_matches(token, body, signature):
    """Whether ``signature`` is base64(HMAC-SHA256(``token``, ``body``)), compared in constant time."""
    expected = base64.b64encode(hmac.new(token.encode(), body, hashlib.sha256).digest()).decode()
    return consteq(expected, signature or '')


def parse_webhook(payload):
    """The changes a webhook body announces, in either format QuickBooks sends: the CloudEvents
    array, or the legacy ``eventNotifications``. Each: key (the event id; the legacy format has none,
    so the change itself), realm, entity, id, operation, time. Only kinds pulled are kept."""
    changes = []
    if isinstance(payload, dict) and 'eventNotifications' in payload:
        for notification in payload['eventNotifications']:
            realm = str(notification['realmId'])
            for entity in (notification.get('dataChangeEvent') or {}).get('entities') or []:
                name = PULLED_ENTITIES.get(str(entity.get('name', '')).lower())
                operation = OPERATIONS.get(str(entity.get('operation', '')).lower())
                if name and operation:
                    changes.append(
                        {
                            'key': f'legacy:{realm}:{name}:{entity["id"]}:{operation}:{entity.get("lastUpdated")}',
                            'source': 'webhook',
                            'realm': realm,
                            'entity': name,
                            'id': str(entity['id']),
                            'operation': operation,
                            'time': entity.get('lastUpdated'),
                        }
                    )
        return changes
    events = payload if isinstance(payload, list) else [payload]
    for event in events:
        # type: qbo.<entity>.<operation>.v<n>
        parts = str(event.get('type', '')).split('.')
        if len(parts) < 3:
            continue
        name = PULLED_ENTITIES.get(parts[1].lower())
        operation = OPERATIONS.get(parts[2].lower())
        if name and operation and event.get('id') and event.get('intuitentityid'):
            changes.append(
                {
                    'key': f'event:{event["id"]}',
                    'source': 'webhook',
                    'realm': str(event.get('intuitaccountid')),
                    'entity': name,
                    'id': str(event['intuitentityid']),
                    'operation': operation,
                    'time': event.get('time'),
                }
            )
    return changes


def _safe_datetime(value):
    try:
        return qbo_datetime(value)
    except (TypeError, ValueError):
        return None
