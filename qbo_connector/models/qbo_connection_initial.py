from datetime import datetime, time

from odoo import fields, models
from odoo.exceptions import AccessError, UserError

from .qbo_connection_pull import QboConnection as _QboConnectionPull


class QboConnection(models.Model):
    """The initial sync of a connection (started here or by the setup assistant's Start step),
    and what the sync dashboard shows of it: status, last push and pull, the queue's counts,
    the initial sync's progress."""

    # One file per concern of the connection (as its pull has): the brief's qbo_connection_initial.py.
    _inherit = 'qbo.connection'  # pylint: disable=consider-merging-classes-inherited

    initial_sync_id = fields.Many2one(
        'qbo.initial.sync', string='Initial Sync', readonly=True, copy=False, help='The latest initial sync.'
    )
    initial_sync_state = fields.Selection(related='initial_sync_id.state', string='Initial Sync Status')
    initial_sync_progress = fields.Float(related='initial_sync_id.progress', string='Initial Sync Progress')
    initial_sync_time_left = fields.Char(related='initial_sync_id.time_left', string='Initial Sync Time Left')
    initial_sync_all_unpaid = fields.Boolean(
        string='Initial Sync: All Unpaid Invoices',
        help='The initial sync also sends the invoices still unpaid that are dated before the start date.',
    )
    # Written by the code only (the initial sync's start).
    _QBO_PROTECTED_FIELDS = _QboConnectionPull._QBO_PROTECTED_FIELDS | frozenset({"initial_sync_id"})

    qbo_jobs_waiting_count = fields.Integer(string='Waiting', compute='_compute_qbo_dashboard')
    qbo_jobs_failed_count = fields.Integer(string='Failed', compute='_compute_qbo_dashboard')
    qbo_jobs_done_today_count = fields.Integer(string='Done Today', compute='_compute_qbo_dashboard')
    qbo_last_push_at = fields.Datetime(string='Last Push', compute='_compute_qbo_dashboard')

    def _compute_qbo_dashboard(self):
        jobs = self.env['qbo.sync.job'].sudo()
        today = datetime.combine(fields.Date.context_today(self), time.min)
        counts = {}
        if self.ids:
            for connection, state, count in jobs._read_group(
                [('connection_id', 'in', self.ids), ('state', 'in', ('pending', 'in_progress', 'failed'))],
                ['connection_id', 'state'],
                ['__count'],
            ):
                counts[connection.id, state] = count
            for connection, _count, last in jobs._read_group(
                [('connection_id', 'in', self.ids), ('state', '=', 'done'), ('direction', '=', 'push')],
                ['connection_id'],
                ['__count', 'done_at:max'],
            ):
                counts[connection.id, 'last_push'] = last
            for connection, count in jobs._read_group(
                [('connection_id', 'in', self.ids), ('state', '=', 'done'), ('done_at', '>=', today)],
                ['connection_id'],
                ['__count'],
            ):
                counts[connection.id, 'today'] = count
        for connection in self:
            connection.qbo_jobs_waiting_count = counts.get((connection.id, 'pending'), 0) + counts.get(
                (connection.id, 'in_progress'), 0
            )
            connection.qbo_jobs_failed_count = counts.get((connection.id, 'failed'), 0)
            connection.qbo_jobs_done_today_count = counts.get((connection.id, 'today'), 0)
            connection.qbo_last_push_at = counts.get((connection.id, 'last_push'), False)

    # ------------------------------------------------------------------
    # Initial sync
    # ------------------------------------------------------------------

    def _qbo_initial_sync_start(self, all_unpaid=False):
        """Start the initial sync of this connection (or return the one running): lists first,
        then the posted invoices and credit notes dated on or after the start date (with
        ``all_unpaid``, every unpaid invoice whatever its date) and their payments, linked where
        QuickBooks has them, sent in batches through the outbox. Returns the `qbo.initial.sync`."""
        self.ensure_one()
        if self.state != 'connected':
            raise UserError(
                self.env._(
                    'Connect %(company)s to QuickBooks Online before its initial sync.', company=self.company_id.name
                )
            )
        sync = self.env['qbo.initial.sync']._qbo_start(self.sudo(), all_unpaid=all_unpaid)
        if self.sudo().initial_sync_id != sync:
            self.sudo().initial_sync_id = sync
        return sync

    def _qbo_check_initial_sync_rights(self):
        if not self.env.su and not self.env.user.has_group('qbo_connector.group_qbo_admin'):
            raise AccessError(self.env._('Only QuickBooks administrators can run an initial sync.'))
        self.check_access('write')

    def action_qbo_initial_sync_start(self):
        """Button: start the initial sync (all unpaid invoices if the box is ticked)."""
        self.ensure_one()
        self._qbo_check_initial_sync_rights()
        sync = self._qbo_initial_sync_start(all_unpaid=self.initial_sync_all_unpaid)
        return sync.with_env(self.env)._qbo_form_action()

    def action_qbo_open_initial_sync(self):
        self.ensure_one()
        if not self.initial_sync_id:
            return False
        return self.initial_sync_id._qbo_form_action()

    # ------------------------------------------------------------------
    # Dashboard buttons
    # ------------------------------------------------------------------

    def action_qbo_dashboard_setup(self):
        """The setup assistant (``action_open_setup``) when it is installed, else the connection's form."""
        self.ensure_one()
        if hasattr(self, 'action_open_setup'):
            return self.action_open_setup()
        return {
            'type': 'ir.actions.act_window',
            'res_model': 'qbo.connection',
            'res_id': self.id,
            'view_mode': 'form',
            'views': [(False, 'form')],
        }

    def action_qbo_dashboard_jobs(self):
        self.ensure_one()
        action = self.env['ir.actions.act_window']._for_xml_id('qbo_connector.action_qbo_sync_job')
        action['domain'] = [('connection_id', '=', self.id)]
        action['context'] = {'search_default_failed': 1} if self.env.context.get('qbo_failed') else {}
        return action

    def action_qbo_dashboard_books_check(self):
        self.ensure_one()
        return self.env['qbo.books.check']._qbo_run_for(self)
