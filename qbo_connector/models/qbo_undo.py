import contextlib
import logging
from collections import defaultdict
from datetime import datetime, time

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..exceptions import QboNotFoundError, QboRetryableError, QboValidationError
from ..tools.qbo_client import qbo_quote
from .qbo_synced_mixin import send_current

_logger = logging.getLogger(__name__)

# What is done to each kind of object the connector created: transactions are voided where
# QuickBooks voids them through its API, else deleted; names (customers, items, vendors) are
# made inactive, as QuickBooks never deletes them. Shared objects (tax codes, accounts, terms,
# payment methods) are never removed: other records use them.
UNDO_ACTIONS = {
    'Payment': 'void',
    'SalesReceipt': 'void',
    'Invoice': 'void',
    'CreditMemo': 'delete',
    'RefundReceipt': 'delete',
    'Purchase': 'delete',
    'Bill': 'delete',
    'VendorCredit': 'delete',
    'Customer': 'deactivate',
    'Vendor': 'deactivate',
    'Item': 'deactivate',
}
UNDONE_ROLES = ('record', 'sub_customer', 'receipt', 'credit_application', 'refund_link')
# Payments before the documents they apply to, names last.
PRIORITY = {'Payment': 11, 'Purchase': 11, 'Customer': 13, 'Vendor': 13, 'Item': 13}
DOCUMENT_PRIORITY = 12
NAMES = ('Customer', 'Vendor', 'Item')


class QboUndo(models.Model):
    """*Remove what Odoo created in QuickBooks*, for an initial sync or a date range: a preview
    of exactly the QuickBooks objects the connector created (mappings whose origin is 'created',
    never those it found and linked), each refused where QuickBooks holds later work on it (a
    payment a user applied there), then one outbox job per object: transactions voided or
    deleted, customers and items made inactive, mappings removed. The lines are the log."""

    _name = 'qbo.undo'
    _description = 'Remove what Odoo created in QuickBooks'
    _order = 'id desc'
    _check_company_auto = True

    connection_id = fields.Many2one('qbo.connection', required=True, index=True, ondelete='cascade')
    company_id = fields.Many2one(related='connection_id.company_id', store=True, index=True)
    scope = fields.Selection(
        [('initial_sync', 'An initial sync'), ('dates', 'A date range')], required=True, default='initial_sync'
    )
    initial_sync_id = fields.Many2one('qbo.initial.sync', domain="[('connection_id', '=', connection_id)]")
    date_from = fields.Date(string='Created From')
    date_to = fields.Date(string='Created To')
    state = fields.Selection(
        [('draft', 'Draft'), ('previewed', 'Previewed'), ('running', 'Removing'), ('done', 'Done')],
        default='draft',
        readonly=True,
        required=True,
    )
    line_ids = fields.One2many('qbo.undo.line', 'undo_id', readonly=True)
    to_remove_count = fields.Integer(compute='_compute_counts')
    refused_count = fields.Integer(compute='_compute_counts')
    done_count = fields.Integer(compute='_compute_counts')
    log = fields.Text(compute='_compute_counts', help='What was done, object by object.')

    @api.depends('line_ids.state')
    def _compute_counts(self):
        for undo in self:
            lines = undo.line_ids
            undo.to_remove_count = len(lines.filtered(lambda l: l.state in ('to_do', 'done', 'failed')))
            undo.refused_count = len(lines.filtered(lambda l: l.state == 'refused'))
            undo.done_count = len(lines.filtered(lambda l: l.state == 'done'))
            undo.log = '\n'.join(
                f'{fields.Datetime.to_string(line.done_at) or "":19} {line.message or line.reason or ""}'
                for line in lines.filtered(lambda l: l.state in ('done', 'failed', 'refused')).sorted('id')
            )

    def _qbo_checked(self):
        if not self.env.su:
            if not self.env.user.has_group('qbo_connector.group_qbo_admin'):
                raise AccessError(
                    self.env._('Only QuickBooks administrators can remove what Odoo created in QuickBooks.')
                )
            self.check_access('write')
        return self.sudo()

    # ------------------------------------------------------------------
    # Preview (reads QuickBooks, writes nothing there)
    # ------------------------------------------------------------------

    def action_preview(self):
        """List exactly what would be removed, and what is refused and why."""
        self.ensure_one()
        undo = self._qbo_checked()
        if undo.state not in ('draft', 'previewed'):
            raise UserError(self.env._('This removal has started already.'))
        undo.line_ids.unlink()
        mappings = undo._qbo_created_mappings()
        connection = undo.connection_id
        client = connection._qbo_client()
        held = undo._qbo_later_work(client, mappings)
        lines = []
        for mapping in mappings.sorted(lambda m: (PRIORITY.get(m.qbo_entity, DOCUMENT_PRIORITY), m.id)):
            record = self.env[mapping.res_model].browse(mapping.res_id).exists()
            reason = held.get((mapping.qbo_entity, mapping.qbo_id))
            lines.append(
                {
                    'undo_id': undo.id,
                    'mapping_id': mapping.id,
                    'res_model': mapping.res_model,
                    'res_id': mapping.res_id,
                    'record_name': record.display_name if record else f'{mapping.res_model},{mapping.res_id}',
                    'qbo_entity': mapping.qbo_entity,
                    'qbo_object_id': mapping.qbo_id,
                    'qbo_name': mapping.qbo_name,
                    'action': UNDO_ACTIONS[mapping.qbo_entity],
                    'state': 'refused' if reason else 'to_do',
                    'reason': reason,
                }
            )
        self.env['qbo.undo.line'].sudo().create(lines)
        undo.state = 'previewed'
        return True

    def _qbo_created_mappings(self):
        """The mappings of what the connector created, in the scope chosen."""
        self.ensure_one()
        domain = [
            ('connection_id', '=', self.connection_id.id),
            ('origin', '=', 'created'),
            ('role', 'in', UNDONE_ROLES),
            ('qbo_entity', 'in', list(UNDO_ACTIONS)),
        ]
        mappings = self.env['qbo.mapping'].sudo()
        if self.scope == 'dates':
            if not self.date_from or not self.date_to:
                raise UserError(self.env._('Choose the first and last day whose creations are removed.'))
            return mappings.search(
                domain
                + [
                    ('create_date', '>=', datetime.combine(self.date_from, time.min)),
                    ('create_date', '<=', datetime.combine(self.date_to, time.max)),
                ]
            )
        sync = self.initial_sync_id
        if not sync:
            raise UserError(self.env._('Choose the initial sync whose creations are removed.'))
        jobs = sync.job_ids.filtered(lambda j: j.res_model != 'qbo.initial.sync')
        records = defaultdict(list)
        for job in jobs:
            records[job.res_model].append(job.res_id)
        documents = mappings.browse()
        for model, ids in records.items():
            documents |= mappings.search(domain + [('res_model', '=', model), ('res_id', 'in', ids)])
        # The customers and items its lists phase and its documents created (the mapping says
        # which initial sync's job created its object: not those of pushes running meanwhile).
        names = mappings.search(domain + [('qbo_entity', 'in', NAMES), ('initial_sync_id', '=', sync.id)])
        return documents | names

    def _qbo_later_work(self, client, mappings):
        """{(entity, id): why it is kept}: what QuickBooks holds later work on. A document with a
        payment applied in QuickBooks that is not among those removed; a customer or item that a
        transaction kept in QuickBooks still uses. Reads the invoices, credit memos and payments
        in pages, from the earliest date removed."""
        removed = {(m.qbo_entity, m.qbo_id) for m in mappings}
        held = {}
        documents = mappings.filtered(lambda m: m.qbo_entity in ('Invoice', 'CreditMemo'))
        names = mappings.filtered(lambda m: m.qbo_entity in ('Customer', 'Item'))
        if not documents and not names:
            return held
        since = self._qbo_since(documents)
        payments = client.query_all(f'SELECT * FROM Payment WHERE TxnDate >= {qbo_quote(since)}')
        applied = defaultdict(list)
        for payment in payments:
            for line in payment.get('Line') or []:
                for link in line.get('LinkedTxn') or []:
                    applied[link.get('TxnType'), str(link.get('TxnId'))].append(payment)
        for mapping in documents:
            for payment in applied.get((mapping.qbo_entity, mapping.qbo_id), []):
                if ('Payment', str(payment['Id'])) not in removed:
                    held[mapping.qbo_entity, mapping.qbo_id] = self.env._(
                        'QuickBooks holds a payment applied to it that Odoo did not create (Payment %(id)s of '
                        '%(date)s, %(amount)s): void or unapply it in QuickBooks first.',
                        id=payment['Id'],
                        date=payment.get('TxnDate'),
                        amount=payment.get('TotalAmt'),
                    )
                    break
        if names:
            kept = []
            for entity in ('Invoice', 'CreditMemo', 'SalesReceipt'):
                kept += [
                    (entity, doc)
                    for doc in client.query_all(f'SELECT * FROM {entity} WHERE TxnDate >= {qbo_quote(since)}')
                    if (entity, str(doc['Id'])) not in removed or (entity, str(doc['Id'])) in held
                ]
            for entity, doc in kept:
                if doc.get('PrivateNote') == 'Voided':
                    continue
                users = {('Customer', str((doc.get('CustomerRef') or {}).get('value')))}
                users |= {
                    ('Item', str(line['SalesItemLineDetail'].get('ItemRef', {}).get('value')))
                    for line in doc.get('Line') or []
                    if line.get('DetailType') == 'SalesItemLineDetail'
                }
                for used in users & removed:
                    held.setdefault(
                        used,
                        self.env._(
                            '%(entity)s %(number)s, kept in QuickBooks, still uses it.',
                            entity=entity,
                            number=doc.get('DocNumber') or doc['Id'],
                        ),
                    )
        return held

    def _qbo_since(self, documents):
        dates = [
            self.env[m.res_model].browse(m.res_id).exists().invoice_date
            for m in documents
            if m.res_model == 'account.move'
        ]
        dates = [d for d in dates if d]
        return fields.Date.to_string(min(dates)) if dates else '1900-01-01'

    # ------------------------------------------------------------------
    # Removal (through the outbox)
    # ------------------------------------------------------------------

    def action_execute(self):
        """Queue the removal of every line not refused: one job each, payments first."""
        self.ensure_one()
        undo = self._qbo_checked()
        if undo.state != 'previewed':
            raise UserError(self.env._('Preview what will be removed first.'))
        jobs = self.env['qbo.sync.job']
        lines = undo.line_ids.filtered(lambda l: l.state == 'to_do')
        for priority in sorted({PRIORITY.get(e, DOCUMENT_PRIORITY) for e in lines.mapped('qbo_entity')}):
            group = lines.filtered(lambda l, p=priority: PRIORITY.get(l.qbo_entity, DOCUMENT_PRIORITY) == p)
            jobs |= jobs._qbo_enqueue(group, 'void', priority=priority)
        undo.state = 'running' if jobs else 'done'
        return True

    def _qbo_check_done(self):
        for undo in self.sudo().filtered(lambda u: u.state == 'running'):
            if not undo.line_ids.filtered(lambda l: l.state == 'to_do'):
                undo.state = 'done'


class QboUndoLine(models.Model):
    """One QuickBooks object the connector created, to remove (or refused, with the reason)."""

    _name = 'qbo.undo.line'
    _inherit = ['qbo.synced.mixin']
    _description = 'QuickBooks object to remove'
    _order = 'id'

    undo_id = fields.Many2one('qbo.undo', required=True, index=True, ondelete='cascade')
    company_id = fields.Many2one(related='undo_id.company_id', store=True)
    mapping_id = fields.Many2one('qbo.mapping', ondelete='set null', readonly=True)
    res_model = fields.Char(string='Odoo Model', readonly=True)
    res_id = fields.Many2oneReference(string='Odoo Record', model_field='res_model', readonly=True)
    record_name = fields.Char(string='Odoo Record Name', readonly=True)
    qbo_entity = fields.Char(string='QuickBooks Entity', readonly=True)
    qbo_object_id = fields.Char(string='QuickBooks Object Id', readonly=True)
    qbo_name = fields.Char(string='QuickBooks Name', readonly=True)
    action = fields.Selection(
        [('void', 'Void'), ('delete', 'Delete'), ('deactivate', 'Make inactive')], readonly=True, required=True
    )
    state = fields.Selection(
        [('to_do', 'To remove'), ('refused', 'Kept'), ('done', 'Removed'), ('failed', 'Failed')],
        default='to_do',
        readonly=True,
        required=True,
    )
    reason = fields.Text(readonly=True)
    message = fields.Char(readonly=True)
    done_at = fields.Datetime(readonly=True)

    def _qbo_push(self, job, outcome_unknown=False):
        """Void, delete or make inactive this line's object, once; drop its mapping."""
        self.ensure_one()
        self._qbo_lock_for_push()
        if self.state != 'to_do':
            return self.qbo_entity, self.qbo_object_id
        connection = job.connection_id
        client = connection._qbo_client()
        entity, qbo_id = self.qbo_entity, self.qbo_object_id
        mapping = self.mapping_id
        version = {'Id': qbo_id, 'SyncToken': mapping.sync_token if mapping else None}
        if self.action == 'void':
            if entity == 'Invoice':
                version = self._qbo_check_no_later_payment(client)

            def void(current):
                body = {'Id': qbo_id, 'SyncToken': current['SyncToken']}
                return client.void(entity, body, request_id=job._qbo_request_id('undo', body))

            send_current(client, entity, version, void)
            done = self.env._('Voided %(entity)s %(id)s', entity=entity, id=qbo_id)
        elif self.action == 'delete':
            if entity == 'CreditMemo':
                version = self._qbo_check_no_later_payment(client)

            def delete(current):
                body = {'Id': qbo_id, 'SyncToken': current['SyncToken']}
                return client.delete(entity, body, request_id=job._qbo_request_id('undo', body))

            with contextlib.suppress(QboNotFoundError):  # deleted by an attempt whose answer was lost
                send_current(client, entity, version, delete)
            done = self.env._('Deleted %(entity)s %(id)s', entity=entity, id=qbo_id)
        else:

            def deactivate(current):
                body = {'Id': qbo_id, 'SyncToken': current['SyncToken'], 'Active': False}
                return client.update(entity, body, request_id=job._qbo_request_id('undo', body))

            send_current(client, entity, version, deactivate)
            done = self.env._('Made %(entity)s %(id)s inactive', entity=entity, id=qbo_id)
        record = self.env[self.res_model].browse(self.res_id).exists() if self.res_model else None
        if mapping:
            mapping.sudo().unlink()
        if record and 'qbo_sync_state' in record._fields and entity not in NAMES:
            record.sudo()._qbo_write_status({'qbo_sync_state': False, 'qbo_sync_error': False})
        self.write(
            {
                'state': 'done',
                'done_at': fields.Datetime.now(),
                'message': f'{done} ({self.qbo_name or self.record_name}), made from {self.record_name}',
            }
        )
        return entity, qbo_id

    def _qbo_check_no_later_payment(self, client):
        """Read now: a payment applied in QuickBooks since the preview keeps the document, and so
        does one of ours whose removal failed or was refused; one of ours still to remove waits
        for it (ordered first). Returns the object read: its version is the one to write over."""
        current = client.read(self.qbo_entity, self.qbo_object_id)
        payments = self.undo_id.line_ids.filtered(lambda l: l.qbo_entity == 'Payment')
        to_remove = set(payments.filtered(lambda l: l.state == 'to_do').mapped('qbo_object_id'))
        linked = {str(l['TxnId']) for l in current.get('LinkedTxn') or [] if l.get('TxnType') == 'Payment'}
        if linked - to_remove:
            raise QboValidationError(
                'kept',
                self.env._(
                    'QuickBooks holds a payment applied to it that stays there (Payment %(ids)s: not created by '
                    'Odoo, or its removal failed): kept.',
                    ids=', '.join(sorted(linked - to_remove)),
                ),
            )
        if linked:
            raise QboRetryableError(
                'waiting', self.env._('Its payments created by Odoo are being removed first.'), retry_after=5
            )
        return current

    def _qbo_on_job_state(self, job):
        if job.state == 'failed' and self.state == 'to_do':
            self.write(
                {
                    'state': 'refused' if job.error_code == 'kept' else 'failed',
                    'reason': job.error_message,
                    'done_at': fields.Datetime.now(),
                }
            )
        if job.state in ('done', 'failed', 'cancelled'):
            self.undo_id._qbo_check_done()
