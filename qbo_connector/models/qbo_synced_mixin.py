from odoo import fields, models

SYNC_STATES = [('pending', 'Pending'), ('synced', 'Synced'), ('failed', 'Failed')]


class QboSyncedMixin(models.AbstractModel):
    """What every document pushed to QuickBooks shows: its QuickBooks status, the reason
    when QuickBooks refused it, and its QuickBooks id; kept by the jobs' state helper."""

    _name = 'qbo.synced.mixin'
    _description = 'Document pushed to QuickBooks Online'

    qbo_sync_state = fields.Selection(SYNC_STATES, string='QuickBooks', copy=False, readonly=True, tracking=True)
    qbo_sync_error = fields.Text(string='QuickBooks Error', copy=False, readonly=True)
    qbo_id = fields.Char(string='QuickBooks Id', copy=False, readonly=True)

    def _qbo_on_job_state(self, job):
        """Mirror ``job``'s state on the document; a refusal also goes to its chatter."""
        values = {'qbo_sync_state': {'done': 'synced', 'failed': 'failed'}.get(job.state, 'pending')}
        if job.state == 'done':
            values.update(qbo_sync_error=False, qbo_id=job.qbo_id or self.qbo_id)
            if not values['qbo_id']:
                values['qbo_sync_state'] = False  # nothing was sent: reset to draft since it was queued
        elif job.state == 'failed':
            values['qbo_sync_error'] = job.error_message
        elif job.state == 'cancelled':
            values = {'qbo_sync_state': False}
        self._qbo_write_status(values)
        if job.state == 'failed':
            self.message_post(body=self.env._(
                'QuickBooks refused this document (%(code)s): %(message)s', code=job.error_code, message=job.error_message))

    def _qbo_write_status(self, values):
        """Write the connector's own fields on the document. Not an edit of the document:
        a journal entry is neither marked as manually modified (which Odoo's auto-posting of
        bills reads) nor are its lines synchronised and its balance checked again, which
        would cost some fifteen queries per write for nothing."""
        return self.with_context(
            skip_is_manually_modified=True, skip_invoice_sync=True, check_move_validity=False,
        ).write(values)

    def _qbo_reference(self):
        """What ties a QuickBooks object back to this record (kept in its private note)."""
        return f'[odoo:{self.env.cr.dbname}:{self._name}:{self.id}]'
