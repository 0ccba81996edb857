import logging
import re
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..exceptions import QboError
from ..tools.qbo_names import qbo_same_name
from ..tools.qbo_client import qbo_quote
from .account_payment import PAYMENT_PRIORITY, POSTED_STATES

_logger = logging.getLogger(__name__)

STATES = [
    ('running', 'Running'),
    ('paused', 'Paused'),
    ('done', 'Done'),
    ('cancelled', 'Cancelled'),
]
PHASES = [
    ('lists', 'Lists'),
    ('documents', 'Documents and payments'),
    ('done', 'Done'),
]
# The driver job runs before the documents it queues.
DRIVER_PRIORITY = 10
ENTITY_BY_KIND = {'out_invoice': 'Invoice', 'out_refund': 'CreditMemo'}
WAITING = ('pending', 'in_progress')


class QboInitialSync(models.Model):
    """One initial sync of a connection: what Odoo already holds (posted invoices and credit
    notes dated on or after the start date, or all unpaid invoices whatever their date, and
    their payments) brought into QuickBooks once, linked where QuickBooks already has it.

    Runs through the outbox. Its own job (the driver) reads what QuickBooks holds, links it,
    maps the customers and items (lists first) and queues one job per document and payment,
    tagged with this sync; the queue sends those in QuickBooks batches (qbo.sync.job's
    _qbo_run_batches). Progress is the jobs' states, committed batch by batch: a restart, a
    worker killed or a pause loses nothing, and a resumed sync queues only what is not in
    QuickBooks yet."""

    _name = 'qbo.initial.sync'
    _inherit = ['qbo.synced.mixin']
    _description = 'QuickBooks Online Initial Sync'
    _order = 'id desc'
    _check_company_auto = True

    connection_id = fields.Many2one('qbo.connection', required=True, index=True, ondelete='cascade', readonly=True)
    company_id = fields.Many2one(related='connection_id.company_id', store=True, index=True)
    state = fields.Selection(STATES, required=True, default='running', readonly=True)
    phase = fields.Selection(PHASES, required=True, default='lists', readonly=True)
    all_unpaid = fields.Boolean(
        string='All Unpaid Invoices', readonly=True, help='Unpaid invoices go whatever their date.'
    )
    start_date = fields.Date(readonly=True)
    started_at = fields.Datetime(readonly=True, default=fields.Datetime.now)
    documents_started_at = fields.Datetime(readonly=True)
    finished_at = fields.Datetime(readonly=True)
    user_id = fields.Many2one('res.users', string='Started By', readonly=True, default=lambda self: self.env.user)
    total_count = fields.Integer(string='Documents and Payments', readonly=True)
    linked_count = fields.Integer(string='Found in QuickBooks', readonly=True)
    masters_count = fields.Integer(string='Customers and Items Mapped', readonly=True)
    error = fields.Text(readonly=True)
    job_ids = fields.One2many('qbo.sync.job', 'initial_sync_id', readonly=True)
    done_count = fields.Integer(compute='_compute_progress')
    failed_count = fields.Integer(compute='_compute_progress')
    waiting_count = fields.Integer(compute='_compute_progress')
    progress = fields.Float(compute='_compute_progress', help='Per cent of the documents and payments done or failed.')
    time_left = fields.Char(string='Time Left', compute='_compute_progress')

    @api.depends('job_ids.state', 'total_count', 'linked_count')
    def _compute_progress(self):
        counts = defaultdict(int)
        if self.ids:
            for sync, state, count in (
                self.env['qbo.sync.job']
                .sudo()
                ._read_group(
                    [('initial_sync_id', 'in', self.ids), ('res_model', '!=', self._name)],
                    ['initial_sync_id', 'state'],
                    ['__count'],
                )
            ):
                counts[sync.id, state] += count
        now = fields.Datetime.now()
        for sync in self:
            done = counts[sync.id, 'done'] + sync.linked_count
            failed = counts[sync.id, 'failed']
            waiting = sum(counts[sync.id, s] for s in WAITING)
            sync.done_count = done
            sync.failed_count = failed
            sync.waiting_count = waiting
            total = max(sync.total_count, done + failed + waiting)
            sync.progress = 100.0 * (done + failed) / total if total else (100.0 if sync.phase == 'done' else 0.0)
            sync.time_left = sync._qbo_time_left(now, counts[sync.id, 'done'] + failed, waiting)

    def _qbo_time_left(self, now, processed, waiting):
        """The estimate shown: what is left at the pace of the documents sent so far."""
        self.ensure_one()
        if self.state == 'done' or (self.phase == 'documents' and not waiting):
            return self.env._('Finished')
        if self.state != 'running':
            return ''
        if not self.documents_started_at or not processed:
            return self.env._('Estimating…')
        elapsed = (now - self.documents_started_at).total_seconds()
        seconds = waiting * elapsed / processed
        if seconds < 90:
            return self.env._('About %(n)s seconds', n=max(int(seconds), 1))
        return self.env._('About %(n)s minutes', n=round(seconds / 60))

    @api.depends('connection_id', 'started_at')
    def _compute_display_name(self):
        for sync in self:
            sync.display_name = self.env._(
                'Initial sync of %(company)s (%(date)s)',
                company=sync.company_id.name or '',
                date=fields.Date.to_string(fields.Date.to_date(sync.started_at)) if sync.started_at else '',
            )

    # ------------------------------------------------------------------
    # Start, pause, resume, cancel
    # ------------------------------------------------------------------

    @api.model
    def _qbo_start(self, connection, all_unpaid=False):
        """A new initial sync of ``connection`` and its driver job (the one running, if any)."""
        running = self.sudo().search([('connection_id', '=', connection.id), ('state', 'in', ('running', 'paused'))])
        if running:
            return running[:1]
        sync = self.sudo().create(
            {
                'connection_id': connection.id,
                'all_unpaid': bool(all_unpaid),
                'start_date': connection.sync_start_date,
                'user_id': self.env.uid,
            }
        )
        sync._qbo_enqueue_driver()
        return sync

    def _qbo_enqueue_driver(self):
        jobs = self.env['qbo.sync.job']._qbo_enqueue(self, 'push', priority=DRIVER_PRIORITY)
        jobs.sudo().write({'initial_sync_id': self.id})
        return jobs

    def _qbo_checked(self):
        """These syncs as superuser, once the user is found to be a QuickBooks administrator who
        may read them (record rules: their companies): the code alone writes them."""
        if not self.env.su:
            if not self.env.user.has_group('qbo_connector.group_qbo_admin'):
                raise AccessError(self.env._('Only QuickBooks administrators can run an initial sync.'))
            self.check_access('read')
        return self.sudo()

    def action_pause(self):
        """Stop sending: the waiting jobs are cancelled (what is in flight finishes); Resume
        queues again what is not in QuickBooks yet."""
        for sync in self._qbo_checked().filtered(lambda s: s.state == 'running'):
            sync.state = 'paused'
            sync._qbo_waiting_jobs().filtered(lambda j: j.state == 'pending')._qbo_set_state(
                'cancelled', error_message=self.env._('The initial sync was paused.')
            )
        return True

    def action_resume(self):
        for sync in self._qbo_checked().filtered(lambda s: s.state == 'paused'):
            sync.write({'state': 'running', 'phase': 'lists', 'finished_at': False})
            sync._qbo_enqueue_driver()
        return True

    def action_cancel(self):
        for sync in self._qbo_checked().filtered(lambda s: s.state in ('running', 'paused')):
            sync._qbo_waiting_jobs().filtered(lambda j: j.state == 'pending')._qbo_set_state(
                'cancelled', error_message=self.env._('The initial sync was cancelled.')
            )
            sync.write({'state': 'cancelled', 'finished_at': fields.Datetime.now()})
        return True

    def _qbo_form_action(self):
        self.ensure_one()
        return {
            'type': 'ir.actions.act_window',
            'res_model': 'qbo.initial.sync',
            'res_id': self.id,
            'view_mode': 'form',
            'views': [(False, 'form')],
        }

    def action_qbo_undo(self):
        """A removal of what this sync created in QuickBooks, to preview."""
        self.ensure_one()
        sync = self._qbo_checked()
        undo = (
            self.env['qbo.undo']
            .sudo()
            .create({'connection_id': sync.connection_id.id, 'scope': 'initial_sync', 'initial_sync_id': sync.id})
        )
        return {
            'type': 'ir.actions.act_window',
            'res_model': 'qbo.undo',
            'res_id': undo.id,
            'view_mode': 'form',
            'views': [(False, 'form')],
        }

    def action_open_jobs(self):
        self.ensure_one()
        action = self.env['ir.actions.act_window']._for_xml_id('qbo_connector.action_qbo_sync_job')
        action['domain'] = [('initial_sync_id', '=', self.id)]
        action['context'] = {}
        return action

    def _qbo_waiting_jobs(self):
        return self.env['qbo.sync.job'].sudo().search([('initial_sync_id', 'in', self.ids), ('state', 'in', WAITING)])

    def _qbo_check_finished(self):
        """Done once nothing of it waits any more (called as its jobs end)."""
        for sync in self.sudo().filtered(lambda s: s.state == 'running' and s.phase == 'documents'):
            if (
                not self.env['qbo.sync.job']
                .sudo()
                .search_count([('initial_sync_id', '=', sync.id), ('state', 'in', WAITING)], limit=1)
            ):
                sync.write({'state': 'done', 'phase': 'done', 'finished_at': fields.Datetime.now()})

    # ------------------------------------------------------------------
    # The driver job
    # ------------------------------------------------------------------

    def _qbo_push(self, job, outcome_unknown=False):
        """Link what QuickBooks holds, map the lists, queue the rest. Safe to run again (a
        worker killed, a resume): linked documents are skipped, masters found by their
        mappings, and a record has one waiting job at most."""
        self.ensure_one()
        if self.state != 'running':
            return False, False
        connection = job.connection_id
        client = connection._qbo_client()
        moves, payments = self._qbo_documents(connection)
        moves, payments, linked = self._qbo_link_existing(connection, client, moves, payments)
        masters = self._qbo_sync_lists(connection, client, moves)
        # Whatever the connection's mode and start date: the user chose them.
        jobs = self.env['qbo.sync.job']._qbo_enqueue(moves, 'push', priority=20)
        jobs |= self.env['qbo.sync.job']._qbo_enqueue(payments, 'push', priority=PAYMENT_PRIORITY)
        jobs.sudo().write({'initial_sync_id': self.id})
        done_before = (
            self.env['qbo.sync.job']
            .sudo()
            .search_count([('initial_sync_id', '=', self.id), ('res_model', '!=', self._name), ('state', '=', 'done')])
        )
        self.write(
            {
                'phase': 'documents',
                'documents_started_at': fields.Datetime.now(),
                'linked_count': self.linked_count + linked,
                'masters_count': self.masters_count + masters,
                'total_count': self.linked_count + linked + done_before + len(jobs),
                'error': False,
            }
        )
        if not jobs:
            self.write({'state': 'done', 'phase': 'done', 'finished_at': fields.Datetime.now()})
        return False, False

    def _qbo_on_job_state(self, job):
        """The driver's state is the sync's error, not a document's status."""
        if job.state == 'failed':
            self.write({'error': f'[{job.error_code}] {job.error_message}'})

    def _qbo_documents(self, connection):
        """What this sync sends: (invoices and credit notes, customer payments), not yet in
        QuickBooks."""
        company = connection.company_id
        kinds = [
            k
            for k, on in (('out_invoice', connection.sync_invoices), ('out_refund', connection.sync_credit_notes))
            if on
        ]
        moves_model = self.env['account.move'].sudo()
        base = [('company_id', '=', company.id), ('state', '=', 'posted'), ('move_type', 'in', kinds)]
        dated = base + ([('invoice_date', '>=', self.start_date)] if self.start_date else [])
        moves = moves_model.search(dated, order='invoice_date, id')
        if self.all_unpaid and connection.sync_invoices:
            moves |= moves_model.search(
                base + [('move_type', '=', 'out_invoice'), ('payment_state', 'in', ('not_paid', 'partial'))],
                order='invoice_date, id',
            )
        mapped = (
            self.env['qbo.mapping']
            .sudo()
            .search(
                [
                    ('connection_id', '=', connection.id),
                    ('res_model', '=', 'account.move'),
                    ('res_id', 'in', moves.ids),
                    ('role', 'in', ('record', 'receipt')),
                ]
            )
        )
        moves -= moves.browse(mapped.mapped('res_id'))
        payments = self.env['account.payment']
        if connection.sync_payments:
            payment_domain = [
                ('company_id', '=', company.id),
                ('partner_type', '=', 'customer'),
                ('state', 'in', POSTED_STATES),
            ]
            if self.start_date and not self.all_unpaid:
                payment_domain.append(('date', '>=', self.start_date))
            candidates = self.env['account.payment'].sudo().search(payment_domain, order='date, id')
            candidates = candidates.filtered(lambda p: not p.qbo_pulled and not p.qbo_id)
            sent_moves = moves | moves.browse(
                self.env['qbo.mapping']
                .sudo()
                .search(
                    [
                        ('connection_id', '=', connection.id),
                        ('res_model', '=', 'account.move'),
                        ('role', '=', 'record'),
                    ]
                )
                .mapped('res_id')
            )
            methods = connection.payment_method_line_ids
            payments = candidates.filtered(
                lambda p: (
                    (not methods or p.payment_method_line_id in methods)
                    and (p.reconciled_invoice_ids | p.reconciled_bill_ids)
                    and not ((p.reconciled_invoice_ids | p.reconciled_bill_ids) - sent_moves)
                )
            )
        return moves, payments

    def _qbo_link_existing(self, connection, client, moves, payments):
        """Link the documents and payments QuickBooks already holds: one made from this record
        (Odoo's reference in its private note: an earlier push whose answer was lost) is ours;
        one numbered like the document (and no other record's) was made there, and is found.
        Reads each kind in pages from the earliest date sent. Returns (moves left, payments
        left, how many were linked)."""
        mappings = self.env['qbo.mapping'].sudo()
        linked_moves = moves.browse()
        db_ref = re.compile(rf'\[odoo:{re.escape(self.env.cr.dbname)}:account\.(move|payment):(\d+)\]')
        for kind, entity in ENTITY_BY_KIND.items():
            docs = moves.filtered(lambda m, kind=kind: m.move_type == kind)
            if not docs:
                continue
            since = min(docs.mapped(lambda m: m.invoice_date or m.date))
            found = client.query_all(
                f'SELECT * FROM {entity} WHERE TxnDate >= {qbo_quote(fields.Date.to_string(since))}'
            )
            taken = set(
                mappings.search(
                    [('connection_id', '=', connection.id), ('qbo_entity', '=', entity), ('role', '=', 'record')]
                ).mapped('qbo_id')
            )
            ours, by_number = {}, defaultdict(list)
            for obj in found:
                refs = db_ref.findall(obj.get('PrivateNote') or '')
                if refs:
                    if refs[0][0] == 'move':
                        ours[int(refs[0][1])] = obj
                    continue
                if obj.get('DocNumber') and str(obj['Id']) not in taken:
                    by_number[obj['DocNumber']].append(obj)
            for move in docs:
                obj, origin = ours.get(move.id), 'created'
                if not obj:
                    number = f'{connection.invoice_prefix or ""}{move.name}'
                    candidates = by_number.get(number) or by_number.get(move.name) or []
                    # Numbered alike is not enough: another customer's or another amount's document
                    # is a clash (the pre-flight says so), which the push then reports, naming it.
                    candidates = [c for c in candidates if self._qbo_same_document(connection, move, c)]
                    obj, origin = (candidates[0], 'found') if len(candidates) == 1 else (None, None)
                if not obj or str(obj['Id']) in taken:
                    continue
                taken.add(str(obj['Id']))
                mappings._qbo_link(connection, move, entity, obj, origin=origin)
                move._qbo_write_status(
                    {
                        'qbo_sync_state': 'synced',
                        'qbo_sync_error': False,
                        'qbo_customer_partner_id': move.partner_id._qbo_customer_partner(connection).id,
                    }
                )
                linked_moves |= move
        linked_payments = self._qbo_link_payments(connection, client, payments, db_ref)
        return moves - linked_moves, payments - linked_payments, len(linked_moves) + len(linked_payments)

    def _qbo_same_document(self, connection, move, obj):
        """Whether ``obj``, numbered like ``move``, is its twin: the same total and the customer
        the push would send (its mapped customer, else one of its name)."""
        if move.currency_id.compare_amounts(float(obj.get('TotalAmt') or 0), move.amount_total):
            return False
        partner = move.partner_id._qbo_customer_partner(connection)
        customer = obj.get('CustomerRef') or {}
        mapping = self.env['qbo.mapping'].sudo()._qbo_find(connection, partner, 'Customer')
        if mapping:
            return str(customer.get('value')) == mapping.qbo_id
        return qbo_same_name(customer.get('name') or '', partner.name or '')

    def _qbo_link_payments(self, connection, client, payments, db_ref):
        """Payments QuickBooks holds: ours by reference; else one of the same date, amount and
        invoices (entered in QuickBooks against documents found there)."""
        linked = payments.browse()
        inbound = payments.filtered(lambda p: p.payment_type == 'inbound')
        if not inbound:
            return linked
        mappings = self.env['qbo.mapping'].sudo()
        since = min(inbound.mapped('date'))
        found = client.query_all(f'SELECT * FROM Payment WHERE TxnDate >= {qbo_quote(fields.Date.to_string(since))}')
        taken = set(
            mappings.search(
                [('connection_id', '=', connection.id), ('qbo_entity', '=', 'Payment'), ('role', '!=', 'receipt')]
            ).mapped('qbo_id')
        )
        # The invoices' QuickBooks ids in one query, and QuickBooks' payments by day and amount:
        # each Odoo payment meets the few of its day and amount, not every payment read.
        invoice_qbo_ids = {
            m.res_id: m.qbo_id
            for m in mappings.search(
                [
                    ('connection_id', '=', connection.id),
                    ('res_model', '=', 'account.move'),
                    ('res_id', 'in', inbound.reconciled_invoice_ids.ids),
                    ('role', '=', 'record'),
                ]
            )
        }
        ours, others = {}, defaultdict(list)
        for obj in found:
            refs = db_ref.findall(obj.get('PrivateNote') or '')
            if refs:
                if refs[0][0] == 'payment':
                    ours[int(refs[0][1])] = obj
            elif str(obj['Id']) not in taken:
                others[(obj.get('TxnDate'), round(float(obj.get('TotalAmt') or 0), 2))].append(obj)
        for payment in inbound:
            obj, origin = ours.get(payment.id), 'created'
            if not obj:
                invoices = payment.reconciled_invoice_ids
                invoice_ids = {invoice_qbo_ids[i] for i in invoices.ids if i in invoice_qbo_ids}
                if len(invoice_ids) != len(invoices):
                    continue
                matches = [
                    o
                    for o in others.get((fields.Date.to_string(payment.date), round(payment.amount, 2)), [])
                    if str(o['Id']) not in taken
                    and {
                        str(link['TxnId'])
                        for line in o.get('Line') or []
                        for link in line.get('LinkedTxn') or []
                        if link.get('TxnType') == 'Invoice'
                    }
                    == invoice_ids
                ]
                obj, origin = (matches[0], 'found') if len(matches) == 1 else (None, None)
            if not obj or str(obj['Id']) in taken:
                continue
            taken.add(str(obj['Id']))
            mappings._qbo_link(connection, payment, 'Payment', obj, origin=origin)
            payment._qbo_write_status({'qbo_sync_state': 'synced', 'qbo_sync_error': False})
            linked |= payment
        return linked

    def _qbo_sync_lists(self, connection, client, moves):
        """Lists first: the customers, items, terms and tax codes of the documents to send,
        matched or created now (single requests, each through the shared throttle), so that the
        documents then go in batches. The mapper of single pushes does it, once for each kind
        of document (customer, currency, term, taxes, products). A document QuickBooks refuses
        here is logged; it then fails on its own push, saying why. Returns how many mappings
        were made."""
        mappings = self.env['qbo.mapping'].sudo()
        before = mappings.search_count([('connection_id', '=', connection.id)])
        seen = set()
        for move in moves:
            lines = move.invoice_line_ids.filtered(lambda l: l.display_type == 'product')
            key = (
                move.partner_id.id,
                move.currency_id.id,
                move.invoice_payment_term_id.id,
                frozenset(lines.tax_ids.ids),
                frozenset(lines.product_id.ids),
            )
            if key in seen:
                continue
            seen.add(key)
            try:
                with self.env.cr.savepoint():
                    move._qbo_prepare_values(connection, client)
            except (QboError, UserError) as error:
                if getattr(error, 'throttled', False):
                    raise
                _logger.warning('QuickBooks initial sync %s: the lists of %s: %s', self.id, move.name, error)
        return mappings.search_count([('connection_id', '=', connection.id)]) - before
