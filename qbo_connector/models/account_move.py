from odoo import api, fields, models
from odoo.tools import float_round

from .. import const
from ..exceptions import QboValidationError
from ..tools.qbo_client import qbo_quote

SYNC_STATES = [('pending', 'Pending'), ('synced', 'Synced'), ('failed', 'Failed')]
ENTITY_BY_MOVE_TYPE = {'out_invoice': 'Invoice', 'out_refund': 'CreditMemo'}


class AccountMove(models.Model):
    _inherit = 'account.move'

    qbo_sync_state = fields.Selection(SYNC_STATES, string='QuickBooks', copy=False, readonly=True, tracking=True)
    qbo_sync_error = fields.Text(string='QuickBooks Error', copy=False, readonly=True)
    qbo_id = fields.Char(string='QuickBooks Id', copy=False, readonly=True)
    qbo_url = fields.Char(string='Open in QuickBooks', compute='_compute_qbo_url')

    @api.depends('qbo_id', 'move_type')
    def _compute_qbo_url(self):
        for move in self:
            move.qbo_url = False
            entity = ENTITY_BY_MOVE_TYPE.get(move.move_type)
            if move.qbo_id and entity:
                connection = self.env['qbo.connection'].sudo()._qbo_for_company(move.company_id, create=False)
                if connection:
                    move.qbo_url = f'{connection._qbo_urls()["app"]}/{entity.lower()}?txnId={move.qbo_id}'

    # ------------------------------------------------------------------
    # Enqueue hooks: database writes only, never a network call
    # ------------------------------------------------------------------

    def _qbo_pushable(self):
        return self.filtered(lambda m: m.move_type in ENTITY_BY_MOVE_TYPE and m.state == 'posted')

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._qbo_pushable()._qbo_enqueue('push')
        return posted

    def button_cancel(self):
        mapped = self.filtered('qbo_id')
        result = super().button_cancel()
        mapped.filtered(lambda m: m.state == 'cancel')._qbo_enqueue('void')
        return result

    def _qbo_enqueue(self, operation):
        moves = self
        if operation == 'push':
            automatic = self.env['qbo.connection'].sudo().search([
                ('company_id', 'in', self.company_id.ids), ('sync_mode', '=', 'automatic')]).company_id
            moves = self.filtered(lambda m: m.company_id in automatic and m._qbo_after_start_date())
        self.env['qbo.sync.job']._qbo_enqueue(moves, operation, priority=20)

    def _qbo_after_start_date(self):
        connection = self.env['qbo.connection'].sudo()._qbo_for_company(self.company_id, create=False)
        start = connection.sync_start_date
        return not start or (self.invoice_date or self.date) >= start

    def action_qbo_push(self):
        """One-way, manual mode: the user decides when a document goes to QuickBooks."""
        moves = self._qbo_pushable()
        jobs = self.env['qbo.sync.job']._qbo_enqueue(moves, 'push', priority=20)
        return {
            'type': 'ir.actions.client', 'tag': 'display_notification',
            'params': {'type': 'info', 'message': self.env._('%(n)s document(s) queued for QuickBooks.', n=len(jobs))},
        }

    def action_qbo_open(self):
        self.ensure_one()
        return {'type': 'ir.actions.act_url', 'url': self.qbo_url, 'target': 'new'}

    def _qbo_on_job_state(self, job):
        values = {'qbo_sync_state': {'done': 'synced', 'failed': 'failed'}.get(job.state, 'pending')}
        if job.state == 'done':
            values.update(qbo_sync_error=False, qbo_id=job.qbo_id or self.qbo_id)
        elif job.state == 'failed':
            values['qbo_sync_error'] = job.error_message
        elif job.state == 'cancelled':
            values = {'qbo_sync_state': False}
        self.write(values)
        if job.state == 'failed':
            self.message_post(body=self.env._(
                'QuickBooks refused this document (%(code)s): %(message)s', code=job.error_code, message=job.error_message))

    # ------------------------------------------------------------------
    # Push (in the job, outside any user's transaction)
    # ------------------------------------------------------------------

    def _qbo_push(self, job, outcome_unknown=False):
        """Create, update or void this document in QuickBooks. Returns (entity, id)."""
        self.ensure_one()
        connection = job.connection_id
        client = connection._qbo_client()
        entity = ENTITY_BY_MOVE_TYPE[self.move_type]
        mappings = self.env['qbo.mapping']
        mapping = mappings._qbo_find(connection, self, entity)
        if job.operation == 'void':
            if not mapping:
                return entity, False
            current = client.read(entity, mapping.qbo_id)
            done = client.void(entity, {'Id': mapping.qbo_id, 'SyncToken': current['SyncToken']}, request_id=job.request_id)
            mappings._qbo_link(connection, self, entity, done)
            return entity, mapping.qbo_id
        values = self._qbo_prepare_values(connection, client)
        if not mapping and outcome_unknown:
            # The last attempt may have created it: find it rather than create it twice.
            found = client.query(f"SELECT * FROM {entity} WHERE DocNumber = {qbo_quote(values['DocNumber'])}")
            found = [f for f in found if self._qbo_reference() in (f.get('PrivateNote') or '')]
            if found:
                mappings._qbo_link(connection, self, entity, found[0])
                return entity, found[0]['Id']
        if mapping:
            current = client.read(entity, mapping.qbo_id)
            result = client.update(entity, {**values, 'Id': mapping.qbo_id, 'SyncToken': current['SyncToken']},
                                   request_id=job.request_id)
        else:
            result = client.create(entity, values, request_id=job.request_id)
        mappings._qbo_link(connection, self, entity, result)
        return entity, result['Id']

    def _qbo_reference(self):
        """What ties a QuickBooks document back to this one (kept in its private note)."""
        return f'[odoo:{self.env.cr.dbname}:account.move:{self.id}]'

    def _qbo_doc_number(self, connection):
        number = f'{connection.invoice_prefix or ""}{self.name}'
        if len(number) > const.DOC_NUMBER_MAX:
            raise QboValidationError('2050', self.env._(
                'The QuickBooks number %(number)s would be %(length)s characters long; QuickBooks allows %(max)s. '
                'Shorten the invoice number prefix in Settings or the journal\'s sequence.',
                number=number, length=len(number), max=const.DOC_NUMBER_MAX))
        return number

    def _qbo_prepare_values(self, connection, client):
        """The mapper: this invoice or credit note as a QuickBooks Invoice or CreditMemo."""
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id
        product_lines = self.invoice_line_ids.filtered(lambda l: l.display_type == 'product')
        if not product_lines:
            raise QboValidationError('odoo', self.env._('The document has no lines to send.'))
        taxes = self.env['account.tax']
        lines = []
        for line in self.invoice_line_ids.sorted('sequence'):
            if line.display_type in ('line_section', 'line_note'):
                if line.name:
                    lines.append({'DetailType': 'DescriptionOnly', 'Description': line.name[:4000],
                                  'DescriptionLineDetail': {}})
                continue
            if line.display_type != 'product':
                continue
            lines.append(line._qbo_prepare_line(connection, client, taxes))
        values = {
            'CustomerRef': partner._qbo_customer_ref(connection, client, currency=self.currency_id),
            'DocNumber': self._qbo_doc_number(connection),
            'TxnDate': fields.Date.to_string(self.invoice_date or self.date),
            'PrivateNote': f'{self.name} {self._qbo_reference()}',
            'Line': lines,
        }
        if self.move_type == 'out_invoice' and self.invoice_date_due:
            values['DueDate'] = fields.Date.to_string(self.invoice_date_due)
        if self.ref:
            values['CustomerMemo'] = {'value': self.ref[:1000]}
        if connection.qbo_multicurrency:
            values['CurrencyRef'] = {'value': self.currency_id.name}
            if self.currency_id != self.company_id.currency_id:
                values['ExchangeRate'] = float_round(
                    abs(self.amount_total_signed) / self.amount_total if self.amount_total else 1.0, precision_digits=6)
        tax_lines = product_lines.tax_ids
        if connection.qbo_country_code == 'US':
            txn_code = taxes._qbo_txn_tax_code_ref(connection, client, tax_lines)
            detail = {'TotalTax': self.amount_tax}
            if txn_code:
                detail['TxnTaxCodeRef'] = txn_code
            values['TxnTaxDetail'] = detail
        else:
            values['GlobalTaxCalculation'] = 'TaxExcluded'
        return values
