import logging

from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import AccessError

_logger = logging.getLogger(__name__)

CONFLICT_KINDS = [
    ('changed', 'Changed in QuickBooks'),
    ('voided', 'Voided in QuickBooks'),
    ('deleted', 'Deleted in QuickBooks'),
]

PROTECTED_FIELDS = frozenset({'qbo_conflict', 'qbo_conflict_note', 'qbo_conflict_payload', 'qbo_pushed_snapshot'})


class QboConflictMixin(models.AbstractModel):
    """A record Odoo owns (a document it sent, a partner bound to a customer) that QuickBooks
    changed in a way the connector does not apply by itself: flagged *Changed in QuickBooks*
    with what differs, an activity for the accounting team, and two decisions — Push again
    (Odoo wins) and Accept (QuickBooks' version stays). While flagged nothing of it is pushed
    automatically. Each model says what its decisions do (``_qbo_conflict_push_again``,
    ``_qbo_conflict_accept``)."""

    _name = 'qbo.conflict.mixin'
    _description = 'Record Changed in QuickBooks'

    qbo_conflict = fields.Selection(
        CONFLICT_KINDS,
        string='Changed in QuickBooks',
        copy=False,
        readonly=True,
        groups='base.group_user',
        help='QuickBooks changed this record after Odoo sent it: decide with Push again (Odoo wins) or Accept.',
    )
    qbo_conflict_note = fields.Text(string='What Differs', copy=False, readonly=True, groups='base.group_user')
    # QuickBooks' version as the pull read it (what Accept keeps).
    qbo_conflict_payload = fields.Json(copy=False, readonly=True, groups='base.group_user')

    def write(self, vals):
        """Whether a record is flagged, and what Odoo sent, are the connector's to say: cleared by a
        user, a document QuickBooks changed would be pushed over it."""
        if not self.env.su and PROTECTED_FIELDS & set(vals):
            raise AccessError(self.env._('Only the QuickBooks connector flags records changed in QuickBooks.'))
        return super().write(vals)

    # ------------------------------------------------------------------
    # Flagging (in a pull job)
    # ------------------------------------------------------------------

    def _qbo_flag_conflict(self, kind, differences, payload, responsible=None):
        """Flag this record ``kind`` (changed, voided, deleted) with ``differences`` [(what, Odoo's,
        QuickBooks')], keep QuickBooks' version, say so in the chatter and schedule an activity for
        ``responsible`` (else a QuickBooks administrator of the company)."""
        self.ensure_one()
        label = dict(CONFLICT_KINDS)[kind]
        lines = [
            self.env._('%(what)s: Odoo %(odoo)s, QuickBooks %(qbo)s', what=w, odoo=o, qbo=q) for w, o, q in differences
        ]
        note = '\n'.join(lines) or label
        if self.sudo().qbo_conflict == kind and self.sudo().qbo_conflict_note == note:
            # Told again (a webhook, then CDC): the same decision is pending already.
            self.sudo().write({'qbo_conflict_payload': payload or False})
            return
        self.sudo().with_context(
            skip_is_manually_modified=True, skip_invoice_sync=True, check_move_validity=False
        ).write({'qbo_conflict': kind, 'qbo_conflict_note': note, 'qbo_conflict_payload': payload or False})
        _logger.info('%s %s: %s (%s)', self._name, self.id, label, note.replace('\n', '; '))
        body = Markup('<p><strong>%s</strong></p><ul>%s</ul><p>%s</p>') % (
            label,
            Markup('').join(Markup('<li>%s</li>') % line for line in lines),
            self.env._('Push again to keep Odoo\'s version, or Accept to keep QuickBooks\'.'),
        )
        if hasattr(self, 'message_post'):
            self.message_post(body=body)
        user = responsible or self._qbo_conflict_admin()
        if user and hasattr(self, 'activity_schedule'):
            self.activity_schedule(
                'qbo_connector.mail_activity_type_qbo_changed',
                user_id=user.id,
                summary=label,
                note=Markup('<br/>').join(lines) if lines else label,
            )

    def _qbo_conflict_admin(self):
        """Who decides: a QuickBooks administrator of the record's company, else a QuickBooks user of it."""
        company = self['company_id'] if 'company_id' in self._fields and self['company_id'] else self.env.company
        for group in ('qbo_connector.group_qbo_admin', 'qbo_connector.group_qbo_user'):
            users = (
                self.env.ref(group)
                .sudo()
                .all_user_ids.filtered(lambda u: u.active and not u.share and company in u.company_ids)
            )
            if users:
                return users.sorted('id')[:1]
        return self.env['res.users']

    def _qbo_clear_conflict(self, message):
        self.sudo().with_context(
            skip_is_manually_modified=True, skip_invoice_sync=True, check_move_validity=False
        ).write({'qbo_conflict': False, 'qbo_conflict_note': False, 'qbo_conflict_payload': False})
        self.sudo().activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref('qbo_connector.mail_activity_type_qbo_changed')
        ).action_feedback(feedback=message)
        if hasattr(self, 'message_post'):
            self.message_post(body=message)

    # ------------------------------------------------------------------
    # The two decisions (buttons)
    # ------------------------------------------------------------------

    def _qbo_check_conflict_access(self):
        if not self.env.su and not self.env.user.has_group('qbo_connector.group_qbo_user'):
            raise AccessError(self.env._('Only QuickBooks users decide what to do with changes made in QuickBooks.'))

    def action_qbo_push_again(self):
        """Odoo wins: what Odoo holds goes to QuickBooks again (an update, or a new object after a
        deletion), through the queue."""
        self._qbo_check_conflict_access()
        for record in self.filtered(lambda r: r.sudo().qbo_conflict):
            record.check_access('write')
            kind, payload = record.sudo().qbo_conflict, record.sudo().qbo_conflict_payload or {}
            record._qbo_clear_conflict(record._qbo_push_again_message())
            record.sudo()._qbo_conflict_push_again(kind, payload)
        return True

    def action_qbo_accept(self):
        """QuickBooks wins: its version stays there; for a void or a deletion, the Odoo record is
        cancelled (the button asks first)."""
        self._qbo_check_conflict_access()
        for record in self.filtered(lambda r: r.sudo().qbo_conflict):
            record.check_access('write')
            kind, payload = record.sudo().qbo_conflict, record.sudo().qbo_conflict_payload or {}
            record._qbo_clear_conflict(self.env._('QuickBooks\' version is kept.'))
            record.sudo()._qbo_conflict_accept(kind, payload)
        return True

    def _qbo_conflict_settle_jobs(self, kind, mapping, cancelled):
        """After Accept: what failed while the record was flagged has been decided (its failed
        jobs are cancelled); a record ``cancelled`` in Odoo meanwhile is still voided in
        QuickBooks — accepting an edit made there does not keep alive what Odoo cancelled — so
        its void is queued anew; the record's QuickBooks status is synced again."""
        jobs = self.env['qbo.sync.job'].sudo()
        failed = jobs.search([('res_model', '=', self._name), ('res_id', '=', self.id), ('state', '=', 'failed')])
        if failed:
            failed._qbo_set_state('cancelled')
        if kind == 'changed' and cancelled and mapping:
            jobs._qbo_enqueue(self, 'void', priority=20)
        if kind != 'deleted' and mapping:
            self._qbo_write_status({'qbo_sync_state': 'synced', 'qbo_sync_error': False})

    def _qbo_conflict_mapping(self, entity):
        """The mapping of this record to its QuickBooks ``entity`` on its company's connection."""
        return self.env['qbo.mapping'].sudo()._qbo_find(self.company_id.qbo_connection_id, self, entity)

    # ------------------------------------------------------------------
    # Comparing (a change told by a webhook or CDC)
    # ------------------------------------------------------------------

    def _qbo_pull_unchanged(self, entity, obj):
        """Whether QuickBooks' version ``obj`` changes nothing Odoo keeps of this record (its
        SyncToken is then kept, nothing stored). For the masters (partners, products): what
        ``_qbo_pull_values`` reads of ``obj`` against ``_qbo_pull_differing``; documents and
        payments compare what Odoo sent instead."""
        self.ensure_one()
        mapping = (
            self.env['qbo.mapping']
            .sudo()
            .search(
                [('res_model', '=', self._name), ('res_id', '=', self.id), ('qbo_id', '=', str(obj['Id']))], limit=1
            )
        )
        return not self._qbo_pull_differing(self._qbo_pull_values(obj), mapping)

    def _qbo_push_again_message(self):
        return self.env._('Odoo\'s version is sent to QuickBooks again.')

    def _qbo_conflict_push_again(self, kind, payload):
        raise NotImplementedError

    def _qbo_conflict_accept(self, kind, payload):
        raise NotImplementedError
