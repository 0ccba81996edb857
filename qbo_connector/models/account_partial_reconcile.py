from collections import defaultdict

from odoo import api, fields, models

from ..exceptions import QboRetryableError

APPLICATION_ENTITY = 'Payment'


class AccountPartialReconcile(models.Model):
    """A reconciliation made or undone changes what QuickBooks must show as applied: the
    payment's lines, or the credit note's application to invoices. Queued here (database
    writes only); the pushes read the reconciliation as it is when they run."""

    _inherit = 'account.partial.reconcile'

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        partials._qbo_enqueue_applications()
        return partials

    def unlink(self):
        payments, credit_notes = self._qbo_applying_documents()
        result = super().unlink()
        self.env['account.move']._qbo_enqueue_applications(payments, credit_notes)
        return result

    def _qbo_enqueue_applications(self):
        self.env['account.move']._qbo_enqueue_applications(*self._qbo_applying_documents())

    def _qbo_applying_documents(self):
        """(customer payments, credit notes) whose QuickBooks application these partials are
        part of: a payment's partial belongs to the payment; a partial between a credit note
        and an invoice alone is the credit note's application."""
        payments = self.env['account.payment']
        credit_notes = self.env['account.move']
        for partial in self:
            moves = partial.debit_move_id.move_id | partial.credit_move_id.move_id
            if moves.origin_payment_id:
                # Money received, and refunds (their link to the credit notes they pay out).
                payments |= moves.origin_payment_id.filtered(lambda p: p.partner_type == 'customer')
            elif sorted(moves.mapped('move_type')) == ['out_invoice', 'out_refund']:
                credit_notes |= moves.filtered(lambda m: m.move_type == 'out_refund')
        return payments, credit_notes


class AccountMove(models.Model):
    """A credit note applied to an invoice in Odoo (their reconciliation, no payment between)
    is, in QuickBooks, a Payment of 0 whose lines link the Invoice and the CreditMemo.

    That Payment belongs to the credit note: the credit note's own push job writes its
    CreditMemo, then (re)applies it. The outbox has one waiting job per record and operation
    ('push' or 'void'), so a separate operation is not available; and the application cannot
    exist without the CreditMemo anyway. Re-applying after each reconciliation change is one
    more push of the credit note."""

    _inherit = 'account.move'

    @api.model
    def _qbo_enqueue_applications(self, payments, credit_notes):
        payments._qbo_pushable()._qbo_enqueue('push')
        credit_notes.filtered(lambda m: m.state == 'posted')._qbo_enqueue('push')
        # A credit note leaving the books (reset, cancelled) takes its application back first:
        # QuickBooks refuses to void a credit memo a payment applies.
        leaving = credit_notes.filtered(lambda m: m.state != 'posted' and m._qbo_application_mapping())
        self.env['qbo.sync.job']._qbo_enqueue(leaving, 'push', priority=20)

    def _qbo_on_job_state(self, job):
        result = super()._qbo_on_job_state(job)
        if job.state == 'done' and job.operation == 'push':
            self._qbo_retry_dependents()
        return result

    def _qbo_retry_dependents(self):
        """Payments and credit applications that failed because this document was not in
        QuickBooks go again now that it is, without anyone retrying them by hand."""
        partials = self.line_ids.matched_debit_ids | self.line_ids.matched_credit_ids
        payments, credit_notes = partials._qbo_applying_documents()
        if not payments and not credit_notes:
            return
        self.env['qbo.sync.job'].sudo().search([
            ('state', '=', 'failed'), ('error_code', '=', 'dependency'),
            '|', '&', ('res_model', '=', 'account.payment'), ('res_id', 'in', payments.ids),
                 '&', ('res_model', '=', 'account.move'), ('res_id', 'in', credit_notes.ids),
        ]).action_retry()

    def _qbo_application_mapping(self):
        connection = self.env['qbo.connection'].sudo()._qbo_for_company(self.company_id, create=False)
        return connection and self.env['qbo.mapping'].sudo()._qbo_find(connection, self, APPLICATION_ENTITY)

    def _qbo_credit_applied(self):
        """({invoice: amount of this credit note applied to it}, date of the latest application)."""
        self.ensure_one()
        applied = defaultdict(float)
        dates = []
        partials, _exchange_moves = self._get_reconciled_invoices_partials()
        for partial, amount, counterpart in partials:
            invoice = counterpart.move_id
            if invoice.move_type == 'out_invoice' and not invoice.origin_payment_id:
                applied[invoice] += amount
                dates.append(partial.max_date)
        return applied, max(dates, default=self.invoice_date or self.date)

    def _qbo_push(self, job, outcome_unknown=False):
        if self.move_type != 'out_refund' or job.operation != 'push':
            return super()._qbo_push(job, outcome_unknown=outcome_unknown)
        connection = job.connection_id
        applied, date = self._qbo_credit_applied() if self.state == 'posted' else ({}, None)
        payments = self.env['account.payment']
        # The invoices must be in QuickBooks before anything is written: waiting after the
        # CreditMemo was created would roll its mapping back.
        lines = payments._qbo_payment_lines(connection, applied)
        if lines:
            # Checked before anything is written: QuickBooks applies a credit memo to its own customer's invoices only.
            self.browse().concat(*applied)._qbo_one_customer_partner(self, self._qbo_customer_partner(connection))
        memo = self.env['qbo.mapping']._qbo_find(connection, self, 'CreditMemo')
        if self.state == 'posted':
            # Looked up when not mapped: an earlier attempt may have created the CreditMemo and
            # then failed to apply it, which rolled its mapping back.
            entity, memo_id = super()._qbo_push(job, outcome_unknown=outcome_unknown or bool(lines and not memo))
        else:
            # Reset to draft or cancelled: a refund receipt Odoo no longer matches (its refund
            # cancelled, reset or taken off) is voided, as an invoice's sales receipt is.
            entity, memo_id = self._qbo_drop_receipt(job, connection._qbo_client(), payments, outcome_unknown) \
                or ('CreditMemo', memo.qbo_id)
        request_id = f'{job.request_id}-apply'
        client = connection._qbo_client()
        try:
            if not lines:
                payments._qbo_void_txn(job, client, self, APPLICATION_ENTITY, request_id=request_id)
                return entity, memo_id
            total = sum(applied.values())
            values = {
                'CustomerRef': self._qbo_sent_customer_partner()._qbo_own_customer_ref(
                    connection, client, currency=self.currency_id),
                'TxnDate': fields.Date.to_string(date),
                'TotalAmt': 0.0,
                'PrivateNote': f'{self.name} {self._qbo_reference()}',
                'Line': lines + [{
                    'Amount': self.currency_id.round(total),
                    'LinkedTxn': [{'TxnId': memo_id, 'TxnType': 'CreditMemo'}],
                }],
            }
            if connection.qbo_multicurrency:
                values['CurrencyRef'] = {'value': self.currency_id.name}
            payments._qbo_write_txn(job, client, self, APPLICATION_ENTITY, values, request_id, outcome_unknown)
        except QboRetryableError as error:
            # The CreditMemo may have been written by this attempt: look it up next time.
            error.outcome_unknown = True
            raise
        return entity, memo_id
