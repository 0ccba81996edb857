from odoo import fields, models

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

    _qbo_entities = ('Payment', 'Purchase', 'SalesReceipt', 'RefundReceipt', 'Deposit')

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

    def _qbo_push(self, job, outcome_unknown=False):
        self.ensure_one()
        if not self._qbo_is_trust_receipt(job.connection_id):
            return super()._qbo_push(job, outcome_unknown=outcome_unknown)
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
