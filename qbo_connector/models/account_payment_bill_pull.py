from odoo import api, fields, models

from ..exceptions import QboValidationError

# What a QuickBooks BillPayment's lines link to, as Odoo documents.
PULLED_BILL_TYPES = {'Bill': 'in_invoice', 'VendorCredit': 'in_refund'}


class AccountPayment(models.Model):
    """Bill payments recorded in QuickBooks, registered in Odoo as vendor payments reconciled with
    the bills they pay (issue 12, item 5), as customer payments are (account_payment_pull.py): new
    ones registered, changed ones replaced, voided or deleted ones cancelled; Odoo's own never
    imported back."""

    # A file of its own (issue 12): account_payment_pull.py is the customer payments'.
    _inherit = 'account.payment'  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _qbo_pull(self, connection, obj, entity='Payment'):
        if entity != 'BillPayment':
            return super()._qbo_pull(connection, obj)
        mapping, payment = self._qbo_pull_found(connection, 'BillPayment', obj)
        return self._qbo_pull_follow(
            connection, obj, mapping, payment, self._qbo_pull_bill_signature, self._qbo_pull_register_bill_payment
        )

    @api.model
    def _qbo_pull_bill_documents(self, connection, obj):
        """[(move, amount)] the QuickBooks bill payment ``obj`` applies to, as Odoo bills and vendor
        credit notes; raises, naming them, when it applies to documents Odoo does not have."""
        applied, unknown = self._qbo_pull_linked(connection, obj, PULLED_BILL_TYPES)
        if unknown or not applied:
            raise QboValidationError(
                'not_in_odoo',
                self.env._(
                    'QuickBooks bill payment %(id)s pays bills Odoo does not have (%(documents)s): it was left alone. '
                    'Once they are in Odoo and linked, Retry brings it in.',
                    id=obj['Id'],
                    documents=', '.join(unknown) or self.env._('none'),
                ),
            )
        return applied

    @api.model
    def _qbo_pull_bill_signature(self, connection, obj):
        """What of a QuickBooks bill payment decides its Odoo payment: amount, date, what it pays."""
        applied = self._qbo_pull_bill_documents(connection, obj)
        return (
            round(float(obj.get('TotalAmt') or 0.0), 2),
            obj.get('TxnDate'),
            tuple(sorted((move.id, round(amount, 2)) for move, amount in applied)),
        )

    @api.model
    def _qbo_pull_bill_journal(self, connection, obj):
        """The Odoo journal a QuickBooks bill payment is registered in: the one bound to the Bank or
        Credit Card account it was paid from, else the company's first bank (credit card) journal."""
        account_id = (
            (obj.get('CheckPayment') or {}).get('BankAccountRef')
            or (obj.get('CreditCardPayment') or {}).get('CCAccountRef')
            or {}
        ).get('value')
        journal = self.env['account.journal']
        if account_id:
            journal = (
                self.env['qbo.mapping']
                .sudo()
                ._qbo_record_of(connection, 'Account', account_id, journal._name, role='bank_account')
            )
        if not journal:
            kind = 'credit' if obj.get('PayType') == 'CreditCard' else 'bank'
            journal = journal.search(
                [('company_id', '=', connection.company_id.id), ('type', '=', kind)], order='sequence, id', limit=1
            ) or journal.search(
                [('company_id', '=', connection.company_id.id), ('type', '=', 'bank')], order='sequence, id', limit=1
            )
        return journal

    @api.model
    def _qbo_pull_register_bill_payment(self, connection, obj):
        """Register the QuickBooks bill payment ``obj`` as an Odoo vendor payment, reconciled with
        the bills and vendor credit notes it names for the amounts it names."""
        applied = self._qbo_pull_bill_documents(connection, obj)
        if not float(obj.get('TotalAmt') or 0.0):
            raise QboValidationError(
                'nothing_to_register',
                self.env._(
                    'QuickBooks bill payment %(id)s is of 0 (it applies vendor credits to bills there): Odoo '
                    'registers no payment of 0; reconcile the vendor credit notes with the bills in Odoo.',
                    id=obj['Id'],
                ),
            )
        company = connection.company_id
        journal = self._qbo_pull_bill_journal(connection, obj)
        method_line = journal.outbound_payment_method_line_ids[:1]
        if not method_line:
            raise QboValidationError(
                'no_journal',
                self.env._(
                    'The company has no bank journal to register QuickBooks bill payment %(id)s in.', id=obj['Id']
                ),
            )
        currency_code = (obj.get('CurrencyRef') or {}).get('value')
        currency = (
            currency_code and self.env['res.currency'].search([('name', '=', currency_code)], limit=1)
        ) or company.currency_id
        payment = (
            self.with_context(qbo_pull=True)
            .with_company(company)
            .create(
                {
                    'payment_type': 'outbound',
                    'partner_type': 'supplier',
                    'partner_id': applied[0][0].commercial_partner_id.id,
                    'company_id': company.id,
                    'amount': float(obj.get('TotalAmt') or 0.0),
                    'currency_id': currency.id,
                    'date': obj.get('TxnDate') or fields.Date.context_today(self),
                    'journal_id': journal.id,
                    'payment_method_line_id': method_line.id,
                    'memo': obj.get('DocNumber') or self.env._('QuickBooks bill payment %(id)s', id=obj['Id']),
                    'qbo_pulled': True,
                    'qbo_pull_digest': repr(self._qbo_pull_bill_signature(connection, obj)),
                }
            )
        )
        if not payment.outstanding_account_id:
            payment.outstanding_account_id = payment._get_outstanding_account('outbound')
        payment.action_post()
        payment._qbo_pull_reconcile(applied)
        self.env['qbo.mapping']._qbo_link(connection, payment, 'BillPayment', obj)
        payment._qbo_write_status({'qbo_sync_state': 'synced', 'qbo_sync_error': False})
        payment.message_post(
            body=self.env._('Recorded in QuickBooks: bill payment %(id)s.', id=obj['Id']),
        )
        return payment
