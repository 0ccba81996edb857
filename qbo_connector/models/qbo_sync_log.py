import json
from datetime import timedelta

from odoo import api, fields, models
from odoo.fields import Domain

from .. import const
from ..tools.qbo_client import endpoint_of, form_pairs, redact


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
    intuit_tid = fields.Char(
        string='intuit_tid', readonly=True, help="Intuit's transaction id: quote it to Intuit support."
    )
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
            log.fault_code = (
                _fault_code(log.response_body)
                if log.http_status >= 400 or '"Fault"' in (log.response_body or '')
                else False
            )
            log.success = bool(log.http_status) and log.http_status < 400 and not log.fault_code and not log.error

    @api.model
    def _qbo_write_row(self, values):
        return self.sudo().create(values)

    @api.model
    def _qbo_recorder(self, connection):
        """The function the HTTP sessions of ``connection``'s client call once per request
        (see tools/qbo_client.py), writing its row with every secret redacted.

        The row is committed at once in its own cursor: the call happened whatever becomes
        of the caller's transaction, and a failure is exactly what must stay visible.
        """
        connection.ensure_one()
        conn = connection.sudo()
        connection_id = conn.id
        secrets_ = [s for s in (conn.client_secret, conn.access_token, conn.refresh_token, conn.oauth_nonce) if s]
        registry = self.env.registry

        def record(method, url, kwargs, response, exc, duration):
            body = kwargs.get('data')
            if body is None and kwargs.get('json') is not None:
                body = kwargs['json']
            headers = {k.lower(): v for k, v in (kwargs.get('headers') or {}).items()}
            # A response may carry a token we did not know yet (a new one being issued).
            known = list(secrets_)
            if response is not None and 'token' in response.url:
                try:
                    payload = response.json()
                    known += [payload.get('access_token'), payload.get('refresh_token')]
                except ValueError:  # pylint: disable=except-pass; not JSON: no token in it to hide
                    pass
            if isinstance(body, str) and 'token' in url:
                known += [v for k, v in form_pairs(body) if k in ('refresh_token', 'code', 'token')]
            params = kwargs.get('params') or {}
            values = {
                'connection_id': connection_id,
                'method': method.upper(),
                'endpoint': redact(endpoint_of(url, params), known),
                'request_id': params.get('requestid') if isinstance(params, dict) else False,
                'http_status': response.status_code if response is not None else 0,
                'intuit_tid': response.headers.get('intuit_tid') if response is not None else False,
                'duration_ms': int(duration * 1000),
                'request_body': redact(body, known) if body else False,
                'response_body': redact(response.text, known) if response is not None else False,
                'error': redact(repr(exc), known) if exc is not None else False,
                'content_type': headers.get('content-type', False),
            }
            with registry.cursor() as cr:
                cr.execute("SELECT 1 FROM qbo_connection WHERE id = %s", [connection_id])
                if cr.rowcount:
                    self.env(cr=cr)['qbo.sync.log']._qbo_write_row(values)
                    return
            # The connection was created in this very transaction (first Connect from
            # Settings): its log rows go with it.
            self._qbo_write_row(values)

        return record

    @api.autovacuum
    def _gc_old_logs(self, batch=const.LOG_VACUUM_BATCH):
        """Remove the rows older than their connection's retention (``log_retention_days``,
        90 days unless set; 0 keeps every row), oldest first, ``batch`` at a time. Returns
        (removed, more remain): Odoo's autovacuum calls again, each batch committed, as long as
        rows remain, so a busy site's log is emptied of old rows however many it wrote since the
        last run. Archived connections' rows age out too."""
        connections = (
            self.env['qbo.connection'].sudo().with_context(active_test=False).search([('log_retention_days', '>', 0)])
        )
        if not connections:
            return 0, False
        now = fields.Datetime.now()
        # One condition per retention (not per connection): the domain stays short however many
        # companies there are.
        domain = Domain.OR(
            Domain('connection_id', 'in', alike.ids) & Domain('create_date', '<', now - timedelta(days=days))
            for days, alike in connections.grouped('log_retention_days').items()
        )
        # By id, the primary key's order: the old rows are the first ones, so each batch is found
        # without reading the table through.
        old = self.sudo().search(domain, order='id', limit=batch)
        old.unlink()
        return len(old), len(old) == batch


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
