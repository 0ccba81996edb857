import json
from datetime import timedelta

from odoo import api, fields, models

from .. import const


class QboSyncLog(models.Model):
    """One row per HTTP call to QuickBooks: what an operator reads to see what happened.

    Bodies are stored redacted (no token, no client secret, no authorization code)."""

    _name = 'qbo.sync.log'
    _description = 'QuickBooks Online Call Log'
    _order = 'id desc'
    _check_company_auto = True

    connection_id = fields.Many2one('qbo.connection', required=True, index=True, ondelete='cascade', readonly=True)
    company_id = fields.Many2one(related='connection_id.company_id', store=True, index=True)
    method = fields.Char(readonly=True)
    endpoint = fields.Char(readonly=True)
    request_id = fields.Char(string='Request ID', readonly=True, index='btree_not_null')
    http_status = fields.Integer(string='HTTP Status', readonly=True, help='0 when no answer came back.')
    intuit_tid = fields.Char(string='intuit_tid', readonly=True, help="Intuit's transaction id: quote it to Intuit support.")
    duration_ms = fields.Integer(string='Duration (ms)', readonly=True)
    content_type = fields.Char(readonly=True)
    request_body = fields.Text(readonly=True)
    response_body = fields.Text(readonly=True)
    error = fields.Text(readonly=True)
    fault_code = fields.Char(compute='_compute_fault_code', store=True)
    success = fields.Boolean(compute='_compute_fault_code', store=True)

    @api.depends('http_status', 'response_body', 'error')
    def _compute_fault_code(self):
        for log in self:
            log.fault_code = _fault_code(log.response_body) if log.http_status >= 400 or '"Fault"' in (log.response_body or '') else False
            log.success = bool(log.http_status) and log.http_status < 400 and not log.fault_code and not log.error

    @api.model
    def _qbo_record(self, values):
        return self.sudo().create(values)

    @api.autovacuum
    def _gc_old_logs(self):
        days = int(self.env['ir.config_parameter'].sudo().get_param(
            'qbo_connector.log_retention_days', const.LOG_RETENTION_DAYS_DEFAULT))
        limit = fields.Datetime.now() - timedelta(days=days)
        self.sudo().search([('create_date', '<', limit)], limit=10000).unlink()


def _fault_code(body):
    """The QuickBooks fault code (either envelope) or OAuth error of a response body."""
    try:
        data = json.loads(body or '')
    except ValueError:
        return False
    if not isinstance(data, dict):
        return False
    fault = data.get('Fault') or data.get('fault')
    if isinstance(fault, dict):
        errors = fault.get('Error') or fault.get('error') or [{}]
        return str(errors[0].get('code') or '') or False
    return data.get('error') or False
