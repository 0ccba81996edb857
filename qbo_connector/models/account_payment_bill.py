from collections import defaultdict

from odoo import fields, models

from ..exceptions import QboValidationError
from ..tools.qbo_names import qbo_same_name
from . import account_payment
from .account_account import oldest, qbo_accounts
from .account_move import EXCHANGE_RATE_DIGITS, PAYMENT_PRIORITY
from .account_move_purchase import PRIVATE_NOTE_MAX

# QuickBooks pays bills by check (from a Bank account) or by credit card (charged to a Credit
# Card account): a vendor payment's pay type follows the kind of its journal.
CREDIT_CARD_JOURNAL_TYPES = ('credit',)


class AccountPayment(models.Model):
    """Vendor payments as QuickBooks BillPayments (issue 12, item 5): the mapper, the push and
    its lost-answer rules. Customer payments and refunds are in account_payment.py.

    A vendor payment (outbound, to a supplier) goes as one BillPayment of its vendor, linked to
    the bills it pays (LinkedTxn Bill) and the vendor credit notes used with it (LinkedTxn
    VendorCredit), for the amounts Odoo reconciled, in the bills' currency. QuickBooks voids no
    bill payment through its API (qbo-api-facts names no such operation): cancelled or reset in
    Odoo, it is deleted, which gives the bills their balance back; posted again, a new one."""

    # A file of its own (issue 12): account_payment.py is the customers'.
    _inherit = 'account.payment'  # pylint: disable=consider-merging-classes-inherited

    def _qbo_is_bill_payment(self):
        """Money paid to a vendor: what QuickBooks records as a bill payment."""
        self.ensure_one()
        return self.partner_type == 'supplier' and self.payment_type == 'outbound'

    # ------------------------------------------------------------------
    # Enqueue hooks: database writes only, never a network call
    # ------------------------------------------------------------------

    def _qbo_pushable(self):
        return super()._qbo_pushable() | self.filtered(
            lambda p: (
                p._qbo_is_bill_payment()
                and p.partner_id
                and p.state in account_payment.POSTED_STATES
                and not p.sudo().qbo_pulled
            )  # came from QuickBooks: never sent back
        )

    def _qbo_enqueue(self, operation):
        """Vendor payments follow the vendor payments switch (on with the bills switch), the
        connection's mode and start date, as customer payments follow theirs; deletions always go."""
        jobs = super()._qbo_enqueue(operation)
        bill_payments = self.filtered(lambda p: p._qbo_is_bill_payment() and not p.sudo().qbo_pulled)
        if not bill_payments:
            return jobs
        if operation == 'push':
            connections = {
                c.company_id: c
                for c in self.env['qbo.connection']
                .sudo()
                .search([('company_id', 'in', bill_payments.company_id.ids), ('sync_mode', '=', 'automatic')])
            }
            bill_payments = bill_payments.filtered(
                lambda p: p.company_id in connections and connections[p.company_id]._qbo_syncs_bill_payment(p)
            )
        return jobs | self.env['qbo.sync.job']._qbo_enqueue(bill_payments, operation, priority=PAYMENT_PRIORITY)

    # ------------------------------------------------------------------
    # Push (in the job)
    # ------------------------------------------------------------------

    def _qbo_push(self, job, outcome_unknown=False):
        if not self._qbo_is_bill_payment():
            return super()._qbo_push(job, outcome_unknown=outcome_unknown)
        self._qbo_lock_for_push()
        client = job.connection_id._qbo_client()
        if job.operation == 'void':
            deleted = self._qbo_delete(job, client, 'BillPayment')
            self._qbo_enqueue_credits_left_applied()
            return 'BillPayment', deleted
        if self.state not in account_payment.POSTED_STATES:
            # Cancelled or reset since it was queued: its void job deletes what QuickBooks holds of it;
            # what an attempt whose answer was lost may have made is looked for and deleted.
            return 'BillPayment', outcome_unknown and self._qbo_delete_lost_bill_payment(job, client) or False
        values = self._qbo_prepare_bill_payment_values(job.connection_id, client)
        return 'BillPayment', self._qbo_export(job, client, 'BillPayment', values, outcome_unknown=outcome_unknown)[
            'Id'
        ]

    def _qbo_enqueue_credits_left_applied(self):
        """The vendor credit notes of this payment's vendor still reconciled with bills: cancelling
        a payment registered with a credit note leaves the credit note applied to the bill in Odoo,
        which QuickBooks lost with the bill payment; their push applies it again (role
        credit_application), now that the bill payment is gone. Queued, never sent from here."""
        credit_notes = self.env['account.move'].search(
            [
                ('move_type', '=', 'in_refund'),
                ('state', '=', 'posted'),
                ('company_id', '=', self.company_id.id),
                ('commercial_partner_id', '=', self.partner_id.commercial_partner_id.id),
            ]
        )
        credit_notes.filtered(lambda m: m._qbo_vendor_credit_applied())._qbo_enqueue('push')

    def _qbo_delete_lost_bill_payment(self, job, client):
        """The bill payment an attempt whose answer was lost made of this payment, no longer posted
        (its cancellation queued no deletion: Odoo knew of nothing in QuickBooks): found by its date
        and the reference in its memo, and deleted. Its id, False when there was none."""
        connection = job.connection_id
        mappings = self.env['qbo.mapping']
        if mappings._qbo_find(connection, self, 'BillPayment'):
            return False  # known to Odoo: the deletion queued with the cancellation takes it
        lost = self._qbo_find_lost(client, 'BillPayment', {'TxnDate': fields.Date.to_string(self.date)})
        if not lost:
            return False
        mappings._qbo_link(connection, self, 'BillPayment', lost)
        return self._qbo_delete(job, client, 'BillPayment')

    # ------------------------------------------------------------------
    # Mapper
    # ------------------------------------------------------------------

    def _qbo_prepare_bill_payment_values(self, connection, client):
        """The mapper: this vendor payment as a QuickBooks BillPayment of its vendor, paid by
        check from the journal's Bank account, or by credit card from its Credit Card account
        (a credit card journal), linked to the bills and vendor credits it settles."""
        self.ensure_one()
        applied = self._qbo_bill_applied()
        if not applied:
            raise QboValidationError(
                'unapplied',
                self.env._(
                    'QuickBooks records a bill payment only against the bills it pays: reconcile %(payment)s with '
                    'its vendor bills in Odoo, then retry.',
                    payment=self.display_name,
                ),
            )
        foreign = [move for move in applied if move.currency_id != self.currency_id]
        if foreign:
            raise QboValidationError(
                'currency',
                self.env._(
                    'QuickBooks pays a bill in its own currency: %(payment)s is in %(currency)s, %(bill)s in '
                    '%(bill_currency)s. Pay it in %(bill_currency)s, then retry.',
                    payment=self.display_name,
                    currency=self.currency_id.name,
                    bill=foreign[0].display_name,
                    bill_currency=foreign[0].currency_id.name,
                ),
            )
        # The bills and credits must be in QuickBooks before anything is written (else it waits).
        lines = [
            {'Amount': self.currency_id.round(amount), 'LinkedTxn': [self._qbo_linked_txn(connection, move)]}
            for move, amount in sorted(applied.items(), key=lambda item: item[0].id)
        ]
        total = self.currency_id.round(
            sum(amount if move.move_type == 'in_invoice' else -amount for move, amount in applied.items())
        )
        if self.currency_id.compare_amounts(total, self.amount):
            raise QboValidationError(
                'unapplied',
                self.env._(
                    '%(payment)s pays %(amount)s but is reconciled with bills for %(applied)s: QuickBooks keeps no '
                    'unapplied bill payment. Reconcile it in full with its bills (or split it), then retry.',
                    payment=self.display_name,
                    amount=self.amount,
                    applied=total,
                ),
            )
        vendor = self.partner_id._qbo_vendor_ref(connection, client, currency=self.currency_id)
        values = {
            'VendorRef': vendor,
            'TxnDate': fields.Date.to_string(self.date),
            'PrivateNote': f'{self.name} {self._qbo_reference()}'[:PRIVATE_NOTE_MAX],
            'TotalAmt': total,
            'Line': lines,
        }
        if self.journal_id.type in CREDIT_CARD_JOURNAL_TYPES:
            values['PayType'] = 'CreditCard'
            values['CreditCardPayment'] = {'CCAccountRef': self._qbo_credit_card_account_ref(connection, client)}
        else:
            values['PayType'] = 'Check'
            values['CheckPayment'] = {
                'BankAccountRef': self.journal_id._qbo_deposit_account_ref(
                    connection, client, self.currency_id, refund=True
                )
            }
        if connection.qbo_multicurrency:
            values['CurrencyRef'] = {'value': self.currency_id.name}
            if self.currency_id != self.company_id.currency_id:
                rate = self.env['res.currency']._get_conversion_rate(
                    self.currency_id, self.company_id.currency_id, self.company_id, self.date
                )
                values['ExchangeRate'] = round(rate, EXCHANGE_RATE_DIGITS)
        return values

    def _qbo_bill_applied(self):
        """{vendor bill or vendor credit note: amount applied, in its currency}: the bills this
        payment is reconciled with, and the vendor credit notes it was registered for with them,
        reconciled with those bills (registering one payment for bills and credit notes together
        reconciles the credit notes with the bills directly, not with the payment: carrying_payment).
        A bill's amount is what the payment and those credit notes settle of it; a credit note's,
        what it gives."""
        self.ensure_one()
        applied = defaultdict(float)
        if not self.move_id:
            return applied
        payable = self.move_id.line_ids.filtered(lambda l: l.account_id.account_type == 'liability_payable')
        own = payable.matched_credit_ids | payable.matched_debit_ids
        for partial in own:
            counterpart = partial.credit_move_id if partial.debit_move_id in payable else partial.debit_move_id
            move = counterpart.move_id
            if move.move_type != 'in_invoice':
                continue  # a vendor payment's debit settles bills (credits) only
            applied[move] += partial.credit_amount_currency
            for credit_partial in counterpart.matched_debit_ids:
                credit_note = credit_partial.debit_move_id.move_id
                if credit_note.move_type != 'in_refund' or carrying_payment(credit_partial) != self:
                    continue
                applied[move] += credit_partial.credit_amount_currency
                applied[credit_note] += credit_partial.debit_amount_currency
        return {move: amount for move, amount in applied.items() if not move.currency_id.is_zero(amount)}

    def _qbo_credit_card_account_ref(self, connection, client):
        """The QuickBooks Credit Card account a payment of this credit card journal is charged to:
        the one named like the journal, else the company's first (oldest) one, kept for the
        journal (role bank_account); fails, saying so, when QuickBooks has none."""
        journal = self.journal_id.sudo()
        mappings = self.env['qbo.mapping'].sudo()
        mapping = mappings._qbo_find(connection, journal, 'Account', 'bank_account')
        if mapping:
            return mapping._qbo_ref()
        cards = mappings._qbo_unclaimed(
            connection, journal, 'Account', qbo_accounts(client, ('Credit Card',)), 'bank_account'
        )
        named = [a for a in cards if qbo_same_name(a.get('Name'), journal.name)]
        if not named and not cards:
            raise QboValidationError(
                'no_credit_card_account',
                self.env._(
                    'QuickBooks needs the credit card account a bill payment of %(journal)s is charged to, and has no '
                    'Credit Card account free for it: create one named like the journal in QuickBooks, then retry.',
                    journal=journal.display_name,
                ),
            )
        account = named[0] if named else oldest(cards)
        return mappings._qbo_link(connection, journal, 'Account', account, 'bank_account')._qbo_ref()


def carrying_payment(credit_partial):
    """The vendor payment whose bill payment carries a vendor credit note's reconciliation with a
    bill (Register Payment on bills and credit notes together reconciles the credit notes with the
    bills directly, not with the payment): a posted one registered for both, reconciled with the
    bill in the same transaction by the first partial after the credit note's (the wizard
    reconciles them together, the credit note first; and as it marks every document of a payment
    matched with every payment any of them had, being registered for both is not enough).
    None: the credit note's own application (account_move_vendor_credit)."""
    credit_note, bill_line = credit_partial.debit_move_id.move_id, credit_partial.credit_move_id
    payments = (credit_note.sudo().matched_payment_ids & bill_line.move_id.sudo().matched_payment_ids).filtered(
        lambda p: p.state in account_payment.POSTED_STATES and p.move_id and p._qbo_is_bill_payment()
    )
    partials = bill_line.matched_debit_ids.filtered(
        lambda p: (
            p.id > credit_partial.id
            and p.create_date == credit_partial.create_date
            and p.debit_move_id.move_id.origin_payment_id in payments
        )
    )
    return partials.sorted('id')[:1].debit_move_id.move_id.origin_payment_id
