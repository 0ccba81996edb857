import logging

from odoo import api, fields, models

from ..exceptions import QboRetryableError, QboValidationError
from .account_payment import POSTED_STATES

_logger = logging.getLogger(__name__)

# Deposits go before payments (30): a payment cancelled in Odoo leaves its deposit first, then
# is voided (QuickBooks refuses to void a deposited payment, 6540). A new deposit whose payments
# are not in QuickBooks yet waits for them (no attempt spent) and is made due by their push.
DEPOSIT_PRIORITY = 25


class AccountBankStatementLine(models.Model):
    """A bank statement line reconciled with customer payments is a QuickBooks Deposit of those
    payments (a deposit slip) into the journal's bank account (issue 12, item 7;
    docs/bank-and-matters.md). The payments wait in Undeposited Funds until then (the
    connection's deposits switch makes them go there)."""

    _name = 'account.bank.statement.line'
    _inherit = ['account.bank.statement.line', 'qbo.synced.mixin']

    _qbo_entities = ('Deposit',)

    # ------------------------------------------------------------------
    # What it deposits
    # ------------------------------------------------------------------

    def _qbo_deposited_payments(self):
        """The posted customer receipts Odoo reconciled with this statement line, by id."""
        self.ensure_one()
        lines = self.move_id.line_ids
        partials = lines.matched_debit_ids | lines.matched_credit_ids
        counterparts = (partials.debit_move_id | partials.credit_move_id) - lines
        return counterparts.move_id.origin_payment_id.filtered(
            lambda p: p.partner_type == 'customer' and p.payment_type == 'inbound' and p.state in POSTED_STATES
        ).sorted('id')

    def _qbo_deposit_other_lines(self):
        """The lines of this statement line's entry that are neither its money nor matched with
        anything: what Odoo booked besides the payments (bank fees, interest)."""
        self.ensure_one()
        _liquidity, _suspense, others = self._seek_for_lines()
        return others.filtered(
            lambda l: not l.account_id.reconcile and not (l.matched_debit_ids or l.matched_credit_ids)
        )

    def _qbo_deposit_amount(self, connection):
        """What the Deposit of this line amounts to: its payments, less the fees booked with them."""
        self.ensure_one()
        payments = self._qbo_deposited_payments().filtered(lambda p: not p._qbo_is_trust_receipt(connection))
        if not payments:
            return 0.0
        return sum(payments.mapped('amount')) - sum(self._qbo_deposit_other_lines().mapped('amount_currency'))

    def _qbo_connection(self):
        self.ensure_one()
        return self.env['qbo.connection'].sudo()._qbo_for_company(self.company_id, create=False)

    def _qbo_pushable(self):
        return self.filtered(lambda l: l.exists())

    def _qbo_enqueue(self, operation='push'):
        """Queue the deposit of each line whose connection sends deposits, dated on or after its
        start date; a line QuickBooks holds a deposit of always goes (to be updated or deleted)."""
        lines = self.browse()
        for line in self._qbo_pushable():
            connection = line._qbo_connection()
            if not connection:
                continue
            held = self.env['qbo.mapping'].sudo()._qbo_find(connection, line, 'Deposit')
            if held or (
                connection.sync_deposits
                and connection.sync_mode == 'automatic'
                and connection._qbo_dated_in(line.date)
                and line._qbo_deposited_payments()
            ):
                lines |= line
        if lines:
            self.env['qbo.sync.job']._qbo_enqueue(lines, operation, priority=DEPOSIT_PRIORITY)

    @api.model
    def _qbo_lines_of_partials(self, partials):
        """The statement lines whose reconciliation ``partials`` are part of."""
        moves = partials.debit_move_id.move_id | partials.credit_move_id.move_id
        return moves.statement_line_id

    # ------------------------------------------------------------------
    # Push (in the job)
    # ------------------------------------------------------------------

    def _qbo_push(self, job, outcome_unknown=False):
        """Create or update the Deposit of the payments reconciled with this line; delete it when
        none is left (reconciliation undone). Returns ('Deposit', id)."""
        self.ensure_one()
        self._qbo_lock_for_push()
        connection = job.connection_id
        client = connection._qbo_client()
        payments = self._qbo_deposited_payments().filtered(lambda p: not p._qbo_is_trust_receipt(connection))
        if not payments:
            if outcome_unknown and not self.env['qbo.mapping']._qbo_find(connection, self, 'Deposit'):
                lost = self._qbo_find_lost(client, 'Deposit', {'TxnDate': fields.Date.to_string(self.date)})
                if lost:
                    self.env['qbo.mapping']._qbo_link(connection, self, 'Deposit', lost)
            # QuickBooks voids no deposits through its API: deleted, which lets its payments go.
            return 'Deposit', self._qbo_delete(job, client, 'Deposit')
        values = self._qbo_prepare_values(connection, client, payments)
        return 'Deposit', self._qbo_export(job, client, 'Deposit', values, outcome_unknown=outcome_unknown)['Id']

    def _qbo_prepare_values(self, connection, client, payments=None):
        """The mapper: one Deposit into the journal's bank account, one line per payment
        (its whole amount, linked: LinkedTxn TxnType Payment). Dated as the statement line."""
        self.ensure_one()
        payments = payments if payments is not None else self._qbo_deposited_payments()
        lines = [
            {
                'Amount': payment.currency_id.round(payment.amount),
                'LinkedTxn': [self._qbo_payment_link(connection, payment)],
            }
            for payment in payments
        ]
        for line in self._qbo_deposit_other_lines():
            # A bank fee (or interest) booked on the statement line: the deposit is the bank's amount.
            lines.append(
                {
                    'Amount': line.currency_id.round(-line.amount_currency),
                    'DetailType': 'DepositLineDetail',
                    'Description': (line.name or '')[:4000],
                    'DepositLineDetail': {'AccountRef': line.account_id._qbo_expense_account_ref(connection, client)},
                }
            )
        currency = payments[:1].currency_id
        values = {
            'DepositToAccountRef': self.journal_id._qbo_bank_account_ref(connection, client, currency),
            'TxnDate': fields.Date.to_string(self.date),
            'PrivateNote': f'{self.payment_ref or self.move_id.name} {self._qbo_reference()}'[:4000],
            'Line': lines,
        }
        values.update(payments[:1]._qbo_currency_values(connection))
        return values

    def _qbo_payment_link(self, connection, payment):
        """The QuickBooks transaction ``payment`` is, as a deposit line's LinkedTxn: its Payment,
        or the SalesReceipt holding it (an invoice paid at once). Not there yet: the deposit waits
        while the payment's push is queued (no attempt spent), and fails, naming it, when that
        push failed or was never queued."""
        mappings = self.env['qbo.mapping']
        mapping = mappings._qbo_find(connection, payment, 'Payment')
        if mapping:
            return {'TxnId': mapping.qbo_id, 'TxnType': 'Payment'}
        receipt = mappings._qbo_find(connection, payment, 'SalesReceipt', 'receipt')
        if receipt:
            return {'TxnId': receipt.qbo_id, 'TxnType': 'SalesReceipt'}
        job = (
            self.env['qbo.sync.job']
            .sudo()
            .search(
                [('res_model', '=', payment._name), ('res_id', '=', payment.id), ('operation', '=', 'push')],
                order='id desc',
                limit=1,
            )
        )
        if job.state in ('pending', 'in_progress'):
            raise QboRetryableError(
                'waiting',
                self.env._('Waiting for %(payment)s to reach QuickBooks first.', payment=payment.display_name),
            )
        raise QboValidationError(
            'dependency',
            self.env._(
                'The deposit holds %(payment)s, which is not in QuickBooks (refused, not sent in manual mode, or '
                'dated before the start date): send it, then retry.',
                payment=payment.display_name,
            ),
        )

    @api.model
    def _qbo_wake_deposits_of(self, payments):
        """The deposits waiting for ``payments`` go now (they are in QuickBooks)."""
        lines = self.browse()
        for payment in payments:
            move_lines = payment.move_id.line_ids
            lines |= self._qbo_lines_of_partials(move_lines.matched_debit_ids | move_lines.matched_credit_ids)
        if not lines:
            return
        domain = [('res_model', '=', self._name), ('res_id', 'in', lines.ids)]
        self.env['qbo.sync.job']._qbo_wake_waiting(domain, payments)

    def _qbo_on_job_state(self, job):
        """Mirror the job on the line; a refusal goes to the chatter of its journal entry."""
        values = {'qbo_sync_state': {'done': 'synced', 'failed': 'failed'}.get(job.state, 'pending')}
        if job.state == 'done':
            values['qbo_sync_error'] = False
            if not job.qbo_id:
                values['qbo_sync_state'] = False
        elif job.state == 'failed':
            values['qbo_sync_error'] = job.error_message
        elif job.state == 'cancelled':
            values = {'qbo_sync_state': False}
        self.write(values)
        if job.state == 'failed':
            self.move_id.message_post(
                body=self.env._(
                    'QuickBooks refused the deposit of this bank statement line (%(code)s): %(message)s',
                    code=job.error_code,
                    message=job.error_message,
                )
            )
