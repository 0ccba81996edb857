from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import float_round

from ..exceptions import QboRetryableError, QboValidationError
from .account_move import (
    ENTITY_BY_MOVE_TYPE,
    ENTITY_BY_PAYMENT_TYPE,
    EXCHANGE_RATE_DIGITS,
    PAYMENT_PRIORITY,
    RECEIPT_BY_MOVE_TYPE,
)
from .account_move_purchase import PURCHASE_ENTITY_BY_MOVE_TYPE

# The payment states in which QuickBooks should hold the payment.
POSTED_STATES = ('in_process', 'paid')
# QuickBooks' length limits (2050 beyond them).
PAYMENT_REF_MAX = 21
# The account a refund leaves from decides what kind of Purchase it is, and how a Receive
# Payment links it (the emulator's ACCOUNTING.md, on links to purchases).
PURCHASE_TYPE_BY_ACCOUNT_TYPE = {'Bank': 'Check', 'Credit Card': 'CreditCard'}
LINKED_TXN_TYPE_BY_PURCHASE_TYPE = {'Check': 'Check', 'CreditCard': 'Expense'}


class AccountPayment(models.Model):
    _name = 'account.payment'
    _inherit = ['account.payment', 'qbo.synced.mixin']

    # All in one place (a later file's own tuple would replace, not extend, this one): a customer
    # payment, a refund's check, a receipt holding it, a trust receipt's Deposit, a bill payment.
    _qbo_entities = ('Payment', 'Purchase', *RECEIPT_BY_MOVE_TYPE.values(), 'Deposit', 'BillPayment')

    # ------------------------------------------------------------------
    # Enqueue hooks: database writes only, never a network call
    # ------------------------------------------------------------------

    def _qbo_pushable(self):
        return self.filtered(lambda p: p.partner_type == 'customer' and p.partner_id and p.state in POSTED_STATES)

    def write(self, vals):
        """Posting queues the push; cancelling, rejecting or resetting a payment QuickBooks
        holds queues its void. Hooked on the state rather than on the buttons, so that every
        way Odoo confirms a payment (register wizard, action_post, action_validate) counts."""
        if 'state' not in vals:
            return super().write(vals)
        unposted = self.filtered(lambda p: p.state not in POSTED_STATES)
        synced = self.filtered(lambda p: p.qbo_id and p.state in POSTED_STATES)
        result = super().write(vals)
        if vals['state'] in POSTED_STATES:
            unposted._qbo_pushable()._qbo_enqueue('push')
        else:
            synced._qbo_enqueue('void')
        return result

    def _qbo_enqueue(self, operation):
        """Queue ``operation``; pushes follow the connection's mode and start date, as for
        invoices. Voids always go: QuickBooks must not keep money Odoo no longer has."""
        self.env['account.move']._qbo_enqueue_receipts_holding(self)
        payments = self.filtered(lambda p: p.partner_type == 'customer')
        if operation == 'push':
            connections = {
                c.company_id: c
                for c in self.env['qbo.connection']
                .sudo()
                .search([('company_id', 'in', payments.company_id.ids), ('sync_mode', '=', 'automatic')])
            }
            payments = payments.filtered(
                lambda p: p.company_id in connections and connections[p.company_id]._qbo_syncs_payment(p)
            )
        return self.env['qbo.sync.job']._qbo_enqueue(payments, operation, priority=PAYMENT_PRIORITY)

    def action_qbo_push(self):
        """Manual mode: the user decides when a payment goes to QuickBooks."""
        self._qbo_check_push_access()
        jobs = self.env['qbo.sync.job']._qbo_enqueue(self._qbo_pushable(), 'push', priority=PAYMENT_PRIORITY)
        return {
            'type': 'ir.actions.client',
            'tag': 'display_notification',
            'params': {'type': 'info', 'message': self.env._('%(n)s payment(s) queued for QuickBooks.', n=len(jobs))},
        }

    # ------------------------------------------------------------------
    # Push (in the job, outside any user's transaction)
    # ------------------------------------------------------------------

    def _qbo_push(self, job, outcome_unknown=False):
        """Create, update or void this payment in QuickBooks. Returns (entity, id)."""
        self.ensure_one()
        self._qbo_lock_for_push()
        in_receipt = self.env['account.move']._qbo_push_held_payment(self, job)
        if in_receipt:
            return in_receipt
        client = job.connection_id._qbo_client()
        entity = ENTITY_BY_PAYMENT_TYPE[self.payment_type]
        if job.operation == 'void':
            if self.payment_type == 'outbound':
                # The link to the credit notes goes first (which gives the credit back), then the check is
                # deleted: QuickBooks voids no purchases through the API.
                self._qbo_void(job, client, 'Payment', role='refund_link', forget=True)
                return entity, self._qbo_delete(job, client, 'Purchase')
            return entity, self._qbo_void(job, client, entity, forget=True)
        if self.state not in POSTED_STATES:
            # Reset or cancelled since it was queued: its void job takes care of what QuickBooks holds
            # of it; what an attempt whose answer was lost may have created is looked for and voided.
            return entity, outcome_unknown and self._qbo_void_lost(job, client) or False
        if self.payment_type == 'outbound':
            return entity, self._qbo_push_refund(job, client, outcome_unknown)
        values = self._qbo_prepare_values(job.connection_id, client)
        return entity, self._qbo_export(job, client, entity, values, outcome_unknown=outcome_unknown)['Id']

    def _qbo_void_lost(self, job, client):
        """This payment, no longer posted, may be in QuickBooks although Odoo has no mapping of it:
        an attempt whose answer was lost created it, and cancelling it queued no void (Odoo knew
        of nothing to void). Looks for what that attempt wrote (the refund's link, then its check;
        the Payment) and voids (deletes) it. Returns the id of the payment or check, False when
        there was none."""
        connection = job.connection_id
        mappings = self.env['qbo.mapping']
        found = False
        writes = (
            [('Payment', 'refund_link'), ('Purchase', 'record')]
            if self.payment_type == 'outbound'
            else [('Payment', 'record')]
        )
        for entity, role in writes:
            if mappings._qbo_find(connection, self, entity, role):
                continue  # known to Odoo: the void job queued with the cancellation takes it
            lost = self._qbo_find_lost(client, entity, {'TxnDate': fields.Date.to_string(self.date)})
            if not lost:
                continue
            mappings._qbo_link(connection, self, entity, lost, role)
            if entity == 'Purchase':
                found = self._qbo_delete(job, client, entity)  # QuickBooks voids no purchases through the API
            elif role == 'record':
                found = self._qbo_void(job, client, entity, forget=True)
            else:
                self._qbo_void(job, client, entity, role=role, forget=True)
        return found

    # ------------------------------------------------------------------
    # Mapper
    # ------------------------------------------------------------------

    def _qbo_prepare_values(self, connection, client):
        """The mapper: a customer payment as a QuickBooks Payment applied to the invoices
        and credit notes it is reconciled with. Its customer is the one of the documents it
        settles (QuickBooks links a payment only to its own customer's documents: with
        sub-customers, a contact's), else its partner's."""
        self.ensure_one()
        applied = self._qbo_applied()
        # The documents must be in QuickBooks before anything is written (else it waits).
        lines = self._qbo_payment_lines(connection, applied)
        settled = (
            self.env['account.move']
            .concat(*(move for move, amount in applied.items() if not move.currency_id.is_zero(amount)))
            ._qbo_one_customer_partner(self)
        )
        customer = settled or self.partner_id._qbo_customer_partner(connection)
        customer_ref = customer._qbo_resolve_customer(
            connection, client, currency=self.currency_id, invoiced_partner=self.partner_id.sudo()
        )
        values = self._qbo_payment_body(
            customer_ref, self.date, self, lines, self.amount, self._qbo_currency_values(connection)
        )
        values['PaymentRefNum'] = (self.name or '')[:PAYMENT_REF_MAX]
        method = self.payment_method_line_id._qbo_payment_method_ref(connection, client)
        if method:
            values['PaymentMethodRef'] = method
        deposit = self.journal_id._qbo_deposit_account_ref(connection, client, self.currency_id)
        if deposit:
            values['DepositToAccountRef'] = deposit
        return values

    @api.model
    def _qbo_payment_body(self, customer_ref, txn_date, record, lines, total=0.0, currency_values=None):
        """The one QuickBooks Payment builder: a payment of ``total`` by ``customer_ref`` on
        ``txn_date``, applied to documents by ``lines``, tied back to ``record`` (its private note).
        Of 0 it links documents to each other: a credit memo to invoices, credit memos to a
        refund's check."""
        return {
            'CustomerRef': customer_ref,
            'TxnDate': fields.Date.to_string(txn_date),
            'PrivateNote': f'{record.name} {record._qbo_reference()}',
            'TotalAmt': total,
            'Line': lines,
            **(currency_values or {}),
        }

    def _qbo_currency_values(self, connection):
        """CurrencyRef and ExchangeRate (home currency per unit of the payment's) with
        multicurrency: Odoo's rate of the payment's date, unrounded, so that QuickBooks'
        home amount is Odoo's to the cent whatever the amount (a ratio of rounded amounts
        is not)."""
        if not connection.qbo_multicurrency:
            return {}
        values = {'CurrencyRef': {'value': self.currency_id.name}}
        company_currency = self.company_id.currency_id
        if self.currency_id != company_currency:
            rate = self.env['res.currency']._get_conversion_rate(
                self.currency_id, company_currency, self.company_id, self.date or fields.Date.context_today(self)
            )
            values['ExchangeRate'] = float_round(rate, precision_digits=EXCHANGE_RATE_DIGITS)
        return values

    def _qbo_applied(self):
        """{invoice or credit note: amount of this payment applied to it, in its currency},
        read from the reconciliation. A payment without a journal entry is reconciled with
        nothing in Odoo: it goes as unapplied credit, as Odoo counts it."""
        self.ensure_one()
        applied = defaultdict(float)
        if self.move_id:
            partials, _exchange_moves = self.move_id._get_reconciled_invoices_partials()
            for _partial, amount, counterpart in partials:
                if counterpart.move_id.move_type in ENTITY_BY_MOVE_TYPE:
                    applied[counterpart.move_id] += amount
        return applied

    @api.model
    def _qbo_payment_lines(self, connection, applied):
        """Payment lines linking each invoice or credit note of ``applied`` ({move: amount})."""
        return [
            {'Amount': move.currency_id.round(amount), 'LinkedTxn': [self._qbo_linked_txn(connection, move)]}
            for move, amount in sorted(applied.items(), key=lambda item: item[0].id)
            if not move.currency_id.is_zero(amount)
        ]

    @api.model
    def _qbo_linked_txn(self, connection, move):
        """The QuickBooks document ``move`` is, as a LinkedTxn. A move not there yet makes the
        payment (or credit application) wait for it while its own push is queued, and fail,
        naming it, when that push failed or was never queued (rather than wait forever)."""
        entity = ENTITY_BY_MOVE_TYPE.get(move.move_type) or PURCHASE_ENTITY_BY_MOVE_TYPE[move.move_type]
        mapping = self.env['qbo.mapping']._qbo_find(connection, move, entity)
        if mapping:
            return {'TxnId': mapping.qbo_id, 'TxnType': entity}
        job = (
            self.env['qbo.sync.job']
            .sudo()
            .search(
                [
                    ('res_model', '=', move._name),
                    ('res_id', '=', move.id),
                    ('operation', '=', 'push'),
                ],
                order='id desc',
                limit=1,
            )
        )
        if job.state in ('pending', 'in_progress'):
            raise QboRetryableError(
                'waiting', self.env._('Waiting for %(document)s to reach QuickBooks first.', document=move.display_name)
            )
        if job.state == 'failed':
            # Refused by QuickBooks, or given up after faults that kept it from getting there: its
            # own job says which. This one is retried by itself once that document is in.
            raise QboValidationError(
                'dependency',
                self.env._(
                    '%(document)s, which this applies to, is not in QuickBooks: its push failed (%(reason)s). '
                    'Retry it (after correcting it if QuickBooks refused it); this follows on its own once it is in.',
                    document=move.display_name,
                    reason=(job.error_message or job.error_code or '').strip()[:300],
                ),
            )
        raise QboValidationError(
            'dependency',
            self.env._(
                '%(document)s, which this applies to, was not sent to QuickBooks (manual mode, or dated before the '
                'start '
                'date): push it, then retry.',
                document=move.display_name,
            ),
        )

    # ------------------------------------------------------------------
    # Refunds: a check to the customer, linked to the credit notes it pays out
    # ------------------------------------------------------------------

    def _qbo_push_refund(self, job, client, outcome_unknown):
        """Money paid back to a customer, as QuickBooks records "refund a credit memo by
        check": a Purchase paid to the customer from the refund account, booked to Accounts
        Receivable, and, when Odoo reconciled the refund with credit notes, a Receive Payment of
        0 (role refund_link) linking those credit memos and the check. Without credit notes (an
        overpayment paid back), the open check and the customer's unapplied credit cancel out
        in the customer's balance, as in Odoo. Returns the check's id."""
        connection = job.connection_id
        credits = {
            move: amount
            for move, amount in self._qbo_applied().items()
            if move.move_type == 'out_refund' and not move.currency_id.is_zero(amount)
        }
        # The credit notes must be in QuickBooks before anything is written (else it waits).
        lines = self._qbo_payment_lines(connection, credits)
        check_mapping = self.env['qbo.mapping']._qbo_find(connection, self, 'Purchase')
        current = client.read('Purchase', check_mapping.qbo_id) if check_mapping else None
        if credits:
            # Paid to the customer of the credit notes (with sub-customers, maybe a contact's).
            payee = (
                self.env['account.move']
                .concat(*credits)
                ._qbo_one_customer_partner(self)
                ._qbo_resolve_customer(
                    connection, client, currency=self.currency_id, invoiced_partner=self.partner_id.sudo()
                )
            )
        elif current:
            payee = current['EntityRef']  # a check keeps the customer it was paid to
        else:
            payee = self.partner_id._qbo_customer_ref(connection, client, currency=self.currency_id)
        if current and (not credits or str(payee['value']) != str(current['EntityRef']['value'])):
            # QuickBooks changes no payee of a check a payment settles: the link goes first.
            if self._qbo_void(job, client, 'Payment', role='refund_link', forget=True):
                current = None  # voiding the link changed the check's SyncToken
        check_values, linked_type = self._qbo_refund_check_values(connection, client, payee)
        check = self._qbo_export(
            job, client, 'Purchase', check_values, current=current, outcome_unknown=outcome_unknown
        )
        if not credits:
            return check['Id']
        lines.append(
            {
                'Amount': self.currency_id.round(sum(line['Amount'] for line in lines)),
                'LinkedTxn': [{'TxnId': check['Id'], 'TxnType': linked_type}],
            }
        )
        link = self._qbo_payment_body(
            {k: v for k, v in check_values['EntityRef'].items() if k != 'type'},
            self.date,
            self,
            lines,
            currency_values={k: v for k, v in check_values.items() if k in ('CurrencyRef', 'ExchangeRate')},
        )
        self._qbo_export(job, client, 'Payment', link, role='refund_link', step='link', outcome_unknown=outcome_unknown)
        return check['Id']

    def _qbo_refund_check_values(self, connection, client, customer):
        """The refund's Purchase paid to ``customer`` (a QuickBooks reference), and the
        TxnType a Receive Payment links it under."""
        self.ensure_one()
        account, account_type = self._qbo_refund_account_ref(connection, client)
        purchase_type = PURCHASE_TYPE_BY_ACCOUNT_TYPE[account_type]
        values = {
            'PaymentType': purchase_type,
            'AccountRef': account,
            'EntityRef': {'value': customer['value'], 'name': customer.get('name'), 'type': 'Customer'},
            'TxnDate': fields.Date.to_string(self.date),
            'PrivateNote': f'{self.name} {self._qbo_reference()}',
            'Line': [
                {
                    'DetailType': 'AccountBasedExpenseLineDetail',
                    'Amount': self.amount,
                    'Description': (self.memo or self.name or '')[:4000],
                    'AccountBasedExpenseLineDetail': {
                        'AccountRef': self.currency_id._qbo_receivable_account_ref(connection, client),
                    },
                }
            ],
        }
        if connection.qbo_country_code != 'US':
            values['GlobalTaxCalculation'] = 'NotApplicable'
        values.update(self._qbo_currency_values(connection))
        return values, LINKED_TXN_TYPE_BY_PURCHASE_TYPE[purchase_type]

    def _qbo_refund_account_ref(self, connection, client):
        """The account a refund is paid from, and its QuickBooks type (Bank or Credit Card): the
        connection's refund account when one is set, else the bank account of the journal."""
        account, account_type = self.env['account.account']._qbo_refund_account_ref(connection, client)
        if account:
            return account, account_type
        return self.journal_id._qbo_deposit_account_ref(connection, client, self.currency_id, refund=True), 'Bank'
