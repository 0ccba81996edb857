from odoo import api, fields, models

from ..exceptions import QboRetryableError
from .account_payment import POSTED_STATES

# The memo QuickBooks keeps on a deposit line.
DEPOSIT_LINE_DESCRIPTION_MAX = 4000


class AccountPayment(models.Model):
    """The bank side of customer payments (issue 12; docs/bank-and-matters.md): a receipt into
    a trust journal is a QuickBooks Deposit into the trust bank account booked to the client
    trust liability (never a Payment applied to invoices), and a payment in QuickBooks makes
    the deposits waiting for it due."""

    # A file of its own: account_payment.py is the sales side's.
    _inherit = 'account.payment'  # pylint: disable=consider-merging-classes-inherited

    def _qbo_is_trust_receipt(self, connection):
        """Money a client entrusted: a customer receipt into a journal marked as a trust
        account, trust receipts switched on; or one that went to QuickBooks as a Deposit (it
        stays one, whatever the journal's flag has become since)."""
        self.ensure_one()
        if self.env['qbo.mapping']._qbo_find(connection, self, 'Deposit'):
            return True
        return bool(
            connection.sync_trust
            and self.payment_type == 'inbound'
            and self.partner_type == 'customer'
            and self.journal_id.sudo().qbo_trust_account
        )

    def _qbo_push_trust_receipt(self, job, outcome_unknown=False):
        """Create or update (posted), or delete (cancelled: job ``void``) this trust receipt's
        Deposit. Returns ('Deposit', id)."""
        self._qbo_lock_for_push()
        client = job.connection_id._qbo_client()
        if job.operation == 'void':
            # QuickBooks voids no deposits through its API: deleted, as a bill is.
            return 'Deposit', self._qbo_delete(job, client, 'Deposit')
        if self.state not in POSTED_STATES:
            if not outcome_unknown:
                return 'Deposit', False
            lost = self._qbo_find_lost(client, 'Deposit', {'TxnDate': fields.Date.to_string(self.date)})
            if not lost:
                return 'Deposit', False
            self.env['qbo.mapping']._qbo_link(job.connection_id, self, 'Deposit', lost)
            return 'Deposit', self._qbo_delete(job, client, 'Deposit')
        values = self._qbo_trust_receipt_values(job.connection_id, client)
        return 'Deposit', self._qbo_export(job, client, 'Deposit', values, outcome_unknown=outcome_unknown)['Id']

    def _qbo_trust_receipt_values(self, connection, client):
        """The mapper of a trust receipt: a Deposit into the journal's trust bank account, of one
        line booked to the client trust liability account, received from the client (the
        line's Entity), nothing applied to invoices: the client's receivable does not move."""
        self.ensure_one()
        journal = self.journal_id
        customer = self.partner_id._qbo_customer_ref(connection, client, currency=self.currency_id)
        values = {
            'DepositToAccountRef': journal._qbo_bank_account_ref(connection, client, self.currency_id),
            'TxnDate': fields.Date.to_string(self.date),
            'PrivateNote': f'{self.name} {self._qbo_reference()}',
            'Line': [
                {
                    'Amount': self.currency_id.round(self.amount),
                    'DetailType': 'DepositLineDetail',
                    'Description': (self.memo or self.name or '')[:DEPOSIT_LINE_DESCRIPTION_MAX],
                    'DepositLineDetail': {
                        'AccountRef': journal._qbo_trust_liability_ref(connection, client),
                        'Entity': {'value': customer['value'], 'name': customer.get('name'), 'type': 'Customer'},
                    },
                }
            ],
        }
        method = self.payment_method_line_id._qbo_payment_method_ref(connection, client)
        if method:
            values['Line'][0]['DepositLineDetail']['PaymentMethodRef'] = method
        if connection.qbo_country_code != 'US':
            values['GlobalTaxCalculation'] = 'NotApplicable'
        values.update(self._qbo_currency_values(connection))
        return values

    def _qbo_on_job_state(self, job):
        result = super()._qbo_on_job_state(job)
        if job.state == 'done' and job.operation == 'push':
            # The deposits waiting for this payment to be in QuickBooks go now.
            self.env['account.bank.statement.line']._qbo_wake_deposits_of(self)
        return result

    # ------------------------------------------------------------------
    # Matters: a payment of a matter's invoices names the matter's sub-customer
    # ------------------------------------------------------------------

    def _qbo_prepare_values(self, connection, client):
        values = super()._qbo_prepare_values(connection, client)
        settled = self.env['account.move'].concat(
            *(move for move, amount in self._qbo_applied().items() if not move.currency_id.is_zero(amount))
        )
        if settled:
            values['CustomerRef'] = settled._qbo_matter_customer_ref(connection, client, values['CustomerRef'])
        return values

    @api.model
    def _qbo_payment_body(self, customer_ref, txn_date, record, lines, total=0.0, currency_values=None):
        """A credit note that went to a matter's sub-customer applies to invoices under that
        sub-customer's name (QuickBooks links only its own customer's documents): its
        application names it too (the sub-customer is mapped: the credit note went to it)."""
        values = super()._qbo_payment_body(customer_ref, txn_date, record, lines, total, currency_values)
        if record._name == 'account.move' and record.qbo_matter_id:
            connection = self.env['qbo.connection'].sudo()._qbo_for_company(record.company_id, create=False)
            home = connection._qbo_home_currency()
            foreign = record.currency_id if record.currency_id.name != home else None
            mapping = self.env['qbo.mapping']._qbo_find(
                connection, record.qbo_matter_id.sudo(), 'Customer', 'matter', currency=foreign
            )
            if mapping:
                values['CustomerRef'] = mapping._qbo_ref()
        return values

    # ------------------------------------------------------------------
    # Write-offs: what Odoo wrote off of the invoices is a credit memo applied with the payment
    # ------------------------------------------------------------------

    def _qbo_writeoffs(self):
        """{Odoo write-off account: amount written off, in the payment's currency} of this
        customer receipt: its journal entry's lines that are neither the money nor the
        receivable (Register Payment's "Mark as fully paid" with a write-off account)."""
        self.ensure_one()
        writeoffs = {}
        if self.payment_type != 'inbound' or not self.move_id:
            return writeoffs
        _liquidity, _counterpart, lines = self._seek_for_lines()
        for line in lines:
            writeoffs[line.account_id] = writeoffs.get(line.account_id, 0.0) + line.amount_currency
        return {
            account: self.currency_id.round(amount)
            for account, amount in writeoffs.items()
            if not self.currency_id.is_zero(amount)
        }

    def _qbo_push(self, job, outcome_unknown=False):
        self.ensure_one()
        connection = job.connection_id
        if self._qbo_is_trust_receipt(connection):
            return self._qbo_push_trust_receipt(job, outcome_unknown)
        has_memo = self.env['qbo.mapping']._qbo_find(connection, self, 'CreditMemo', 'writeoff')
        if job.operation == 'void' and has_memo:
            # The payment first: QuickBooks voids no credit memo a payment relies on.
            result = super()._qbo_push(job, outcome_unknown=outcome_unknown)
            self._qbo_void(job, connection._qbo_client(), 'CreditMemo', role='writeoff', forget=True)
            return result
        writeoffs = {}
        if (
            job.operation == 'push'
            and self.state in POSTED_STATES
            and self.payment_type == 'inbound'
            and connection.sync_writeoffs
        ):
            writeoffs = self._qbo_writeoffs()
        if job.operation != 'push' or self.state not in POSTED_STATES or not (writeoffs or has_memo):
            return super()._qbo_push(job, outcome_unknown=outcome_unknown)
        return 'Payment', self._qbo_push_with_writeoff(job, writeoffs, outcome_unknown)

    def _qbo_push_with_writeoff(self, job, writeoffs, outcome_unknown):
        """The payment, and the credit memo (role writeoff) of what it wrote off, applied with it
        to the invoices: the memo's lines are on the write-off item of each write-off account, so
        that the loss sits on that account's QuickBooks counterpart and the invoices are closed.
        Returns the Payment's id."""
        self._qbo_lock_for_push()
        connection = job.connection_id
        client = connection._qbo_client()
        # The invoices must be in QuickBooks, and the customer known, before anything is written.
        values = self._qbo_prepare_values(connection, client)
        try:
            if writeoffs:
                memo_values = self._qbo_writeoff_memo_values(connection, client, values['CustomerRef'], writeoffs)
                memo = self._qbo_export(
                    job,
                    client,
                    'CreditMemo',
                    memo_values,
                    role='writeoff',
                    step='writeoff',
                    outcome_unknown=outcome_unknown,
                )
                values['Line'].append(
                    {
                        'Amount': self.currency_id.round(sum(writeoffs.values())),
                        'LinkedTxn': [{'TxnId': memo['Id'], 'TxnType': 'CreditMemo'}],
                    }
                )
            result = self._qbo_export(job, client, 'Payment', values, outcome_unknown=outcome_unknown)
            if not writeoffs:
                # No longer written off (reset and posted again without): the memo goes.
                self._qbo_void(job, client, 'CreditMemo', role='writeoff', forget=True)
        except QboRetryableError as error:
            # The credit memo may have been written by this attempt: look it up next time.
            error.outcome_unknown = True
            raise
        return result['Id']

    def _qbo_writeoff_memo_values(self, connection, client, customer_ref, writeoffs):
        """The write-off credit memo: to the payment's customer, dated as the payment, one
        untaxed line per write-off account on its write-off item."""
        self.ensure_one()
        untaxed = self.env['account.tax']._qbo_line_tax_code_ref(connection, client, self.env['account.tax'])
        lines = []
        for account, amount in sorted(writeoffs.items(), key=lambda item: item[0].id):
            detail = {'ItemRef': account._qbo_writeoff_item_ref(connection, client), 'Qty': 1, 'UnitPrice': amount}
            if untaxed:
                detail['TaxCodeRef'] = untaxed
            lines.append(
                {
                    'DetailType': 'SalesItemLineDetail',
                    'Amount': amount,
                    'Description': self.env._('Written off with %(payment)s', payment=self.name),
                    'SalesItemLineDetail': detail,
                }
            )
        values = {
            'CustomerRef': customer_ref,
            'TxnDate': fields.Date.to_string(self.date),
            'PrivateNote': f'Write-off {self.name} {self._qbo_reference()}',
            'Line': lines,
        }
        if connection.qbo_country_code != 'US':
            values['GlobalTaxCalculation'] = 'TaxExcluded'
            values['TxnTaxDetail'] = {'TotalTax': 0}
        values.update(self._qbo_currency_values(connection))
        return values
