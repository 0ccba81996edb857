from odoo import models
from odoo.exceptions import AccessError


class QboSyncJob(models.Model):
    """The job list's buttons. Jobs are written by the code alone (no user has write access on
    them, so no one can point a job at another company's record or at a model that is not
    synced); Retry and Cancel are checked here, for the group and the jobs' companies, and
    done as the addon.

    Kept apart from qbo_sync_job.py while the queue is reworked there; to be folded in."""

    _inherit = 'qbo.sync.job'

    def action_retry(self):
        return super(QboSyncJob, self._qbo_checked_for_buttons()).action_retry()

    def action_cancel(self):
        return super(QboSyncJob, self._qbo_checked_for_buttons()).action_cancel()

    def _qbo_checked_for_buttons(self):
        """These jobs as superuser, once the user is found to be a QuickBooks administrator who
        may read them all (record rules: their companies)."""
        if not self.env.su:
            if not self.env.user.has_group('qbo_connector.group_qbo_admin'):
                raise AccessError(self.env._('Only QuickBooks administrators can retry or cancel QuickBooks jobs.'))
            self.check_access('read')
        return self.sudo()
