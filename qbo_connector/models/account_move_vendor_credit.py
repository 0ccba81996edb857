from collections import defaultdict

from odoo import models

from ..exceptions import QboRetryableError
from .account_payment_bill import carrying_payment


class AccountMove(models.Model):
    """A vendor credit note applied to bills without a payment (reconciled with them in Odoo, or
    left applied when the payment registered with it was cancelled): QuickBooks applies vendor
    credits through a bill payment, here one of 0 (role credit_application of the credit note),
    linking the VendorCredit and the Bills it settles, rewritten with each push of the credit note
    and deleted when nothing is applied any more."""

    # A file of its own (issue 12): account_move_purchase.py pushes the VendorCredit itself.
    _inherit = 'account.move'  # pylint: disable=consider-merging-classes-inherited

    def _qbo_push_purchase(self, job, outcome_unknown=False):
        if self.move_type == 'in_refund' and job.operation == 'void':
            # QuickBooks deletes no vendor credit a bill payment links: its application goes first.
            self._qbo_delete(job, job.connection_id._qbo_client(), 'BillPayment', role='credit_application')
        result = super()._qbo_push_purchase(job, outcome_unknown=outcome_unknown)
        if self.move_type != 'in_refund' or job.operation != 'push':
            return result
        connection = job.connection_id
        client = connection._qbo_client()
        applied = self._qbo_vendor_credit_applied() if self.state == 'posted' else {}
        payments = self.env['account.payment']
        try:
            if not applied or not result[1]:
                self._qbo_delete(job, client, 'BillPayment', role='credit_application')
                return result
            lines = [
                {'Amount': self.currency_id.round(amount), 'LinkedTxn': [payments._qbo_linked_txn(connection, bill)]}
                for bill, amount in sorted(applied.items(), key=lambda item: item[0].id)
            ]
            total = self.currency_id.round(sum(applied.values()))
            lines.append({'Amount': total, 'LinkedTxn': [{'TxnId': result[1], 'TxnType': 'VendorCredit'}]})
            journal = self.env['account.journal'].search(
                [('company_id', '=', self.company_id.id), ('type', '=', 'bank')], order='sequence, id', limit=1
            )
            values = {
                'VendorRef': self.partner_id._qbo_vendor_ref(connection, client, currency=self.currency_id),
                'PayType': 'Check',
                'CheckPayment': {
                    'BankAccountRef': journal._qbo_deposit_account_ref(
                        connection, client, self.currency_id, refund=True
                    )
                },
                'TxnDate': max(applied_dates(self, applied)).isoformat(),
                'PrivateNote': f'{self.name} {self._qbo_reference()}',
                'TotalAmt': 0.0,
                'Line': lines,
            }
            if connection.qbo_multicurrency:
                values['CurrencyRef'] = {'value': self.currency_id.name}
            self._qbo_export(
                job,
                client,
                'BillPayment',
                values,
                role='credit_application',
                step='apply',
                outcome_unknown=outcome_unknown,
            )
        except QboRetryableError as error:
            # The VendorCredit may have been written by this attempt: look it up next time.
            error.outcome_unknown = True
            raise
        return result

    def _qbo_vendor_credit_applied(self):
        """{bill: amount of this vendor credit note applied to it} that no posted vendor payment
        carries (a credit note registered with bills for one payment goes in that payment's bill
        payment: account_payment_bill.carrying_payment) and that QuickBooks did not apply itself."""
        self.ensure_one()
        applied = defaultdict(float)
        payable = self.line_ids.filtered(lambda l: l.account_id.account_type == 'liability_payable')
        partials = payable.matched_credit_ids
        # Applied with a bill payment recorded in QuickBooks and pulled: QuickBooks holds it already.
        pulled = (
            self.env['account.payment']
            .sudo()
            .search([('qbo_pull_partial_ids', 'in', partials.ids)])
            .qbo_pull_partial_ids
        )
        for partial in partials - pulled:
            if partial.credit_move_id.move_id.move_type == 'in_invoice' and not carrying_payment(partial):
                applied[partial.credit_move_id.move_id] += partial.credit_amount_currency
        return {bill: amount for bill, amount in applied.items() if not bill.currency_id.is_zero(amount)}


def applied_dates(credit_note, applied):
    """The dates a credit application may carry: the credit note's and its bills'."""
    return [credit_note.invoice_date or credit_note.date, *(bill.invoice_date or bill.date for bill in applied)]
