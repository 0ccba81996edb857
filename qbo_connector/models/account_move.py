import logging
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from odoo import api, fields, models
from odoo.tools import float_round

from .. import const
from ..exceptions import QboRetryableError, QboValidationError
from ..tools.qbo_client import qbo_quote
from .account_move_line import LINE_DESCRIPTION_MAX
from .qbo_synced_mixin import own_mappings

ENTITY_BY_MOVE_TYPE = {'out_invoice': 'Invoice', 'out_refund': 'CreditMemo'}
# Money received is a Payment. Money paid back to a customer is a check (a Purchase) booked
# to Accounts Receivable, as QuickBooks records "refund a credit memo by check"; the credit
# notes it pays out are linked to it by a Receive Payment of 0 (role refund_link).
ENTITY_BY_PAYMENT_TYPE = {'inbound': 'Payment', 'outbound': 'Purchase'}
# Paid (refunded) at once, with the connection's setting on, a document goes as a receipt with
# its payment inside (see _qbo_receipt_payment). The receipt is bound to the document, and to
# the payment in the role "receipt", which also says that the receipt is live (not voided).
RECEIPT_BY_MOVE_TYPE = {'out_invoice': 'SalesReceipt', 'out_refund': 'RefundReceipt'}
RECEIPT_PAYMENT_TYPE = {'out_invoice': 'inbound', 'out_refund': 'outbound'}
# Payments go after the invoices they settle (which run at 20).
PAYMENT_PRIORITY = 30
# What an invoice has and a receipt has not: it is paid.
NOT_ON_RECEIPTS = ('DueDate', 'SalesTermRef')
DESCRIPTION_LINE_TYPES = ('line_section', 'line_subsection', 'line_note')
# QuickBooks refuses taxable sales documents of more lines than this.
TAXABLE_LINES_MAX = 750
EXCHANGE_RATE_DIGITS = 10

_logger = logging.getLogger(__name__)


class AccountMove(models.Model):
    _name = 'account.move'
    _inherit = ['account.move', 'qbo.synced.mixin']

    _qbo_entities = (*ENTITY_BY_MOVE_TYPE.values(), *RECEIPT_BY_MOVE_TYPE.values())

    qbo_url = fields.Char(string='Open in QuickBooks', compute='_compute_qbo_url', groups='base.group_user')
    qbo_customer_partner_id = fields.Many2one(
        'res.partner',
        string='QuickBooks Customer',
        copy=False,
        readonly=True,
        groups='base.group_user',
        help='The partner whose QuickBooks customer (or sub-customer) the document was last sent to.',
    )

    @api.depends('move_type')
    @api.depends_context('uid')
    def _compute_qbo_url(self):
        # The link names the connection's base URL, which only system administrators read: it is
        # for the QuickBooks users, who are given the button.
        if not self.env.su and not self.env.user.has_group('qbo_connector.group_qbo_user'):
            self.qbo_url = False
            return
        # One search for the whole list, not one per move.
        mappings = own_mappings(self, roles=('record',))
        entity_by_move = {(mapping.res_id, mapping.qbo_id): mapping.qbo_entity for mapping in mappings}
        app_urls = {c.company_id: c._qbo_urls()['app'] for c in mappings.connection_id}
        for move in self:
            app = app_urls.get(move.company_id)
            entity = entity_by_move.get((move.id, move.qbo_id))
            move.qbo_url = app and entity and f'{app}/{entity.lower()}?txnId={move.qbo_id}'

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
            connections = {
                c.company_id: c
                for c in self.env['qbo.connection']
                .sudo()
                .search([('company_id', 'in', self.company_id.ids), ('sync_mode', '=', 'automatic')])
            }
            moves = self.filtered(
                lambda m: m.company_id in connections and connections[m.company_id]._qbo_syncs_move(m)
            )
        self.env['qbo.sync.job']._qbo_enqueue(moves, operation, priority=20)

    def action_qbo_push(self):
        """One-way, manual mode: the user decides when a document goes to QuickBooks."""
        self._qbo_check_push_access()
        moves = self._qbo_pushable()
        jobs = self.env['qbo.sync.job']._qbo_enqueue(moves, 'push', priority=20)
        return {
            'type': 'ir.actions.client',
            'tag': 'display_notification',
            'params': {'type': 'info', 'message': self.env._('%(n)s document(s) queued for QuickBooks.', n=len(jobs))},
        }

    def action_qbo_open(self):
        self.ensure_one()
        return {'type': 'ir.actions.act_url', 'url': self.qbo_url, 'target': 'new'}

    # ------------------------------------------------------------------
    # Push (in the job, outside any user's transaction)
    # ------------------------------------------------------------------

    def _qbo_push_document(self, job, outcome_unknown=False):
        """Create, update or void this document in QuickBooks. Returns (entity, id).

        Paid at once (_qbo_receipt_payment), it is a receipt holding its payment, unless
        QuickBooks may hold either as itself already (_qbo_may_hold_unbound); a receipt
        Odoo no longer matches is voided (_qbo_drop_receipt), once what replaces it is built:
        a document that can no longer be sent fails, saying why, and leaves its receipt live."""
        self.ensure_one()
        connection = job.connection_id
        client = connection._qbo_client()
        payment = self.env['account.payment']
        values = None
        if job.operation == 'push':
            payment = self._qbo_receipt_payment(connection)
            if payment and self._qbo_may_hold_unbound(job, client, payment, outcome_unknown):
                payment = self.env['account.payment']
            if self.state == 'posted':
                values = (
                    self._qbo_prepare_receipt_values(connection, client, payment)
                    if payment
                    else self._qbo_prepare_values(connection, client)
                )
        dropped = self._qbo_drop_receipt(job, client, payment, outcome_unknown)
        if dropped:
            return dropped
        entity = RECEIPT_BY_MOVE_TYPE[self.move_type] if payment else ENTITY_BY_MOVE_TYPE[self.move_type]
        if job.operation == 'void':
            return entity, self._qbo_void(
                job,
                client,
                entity,
                before=lambda current: self._qbo_wait_for_linking_payments(connection, entity, current),
            )
        if values is None:
            # Reset to draft (or cancelled) since it was queued: nothing to send; posted
            # again it is queued again, cancelled its void job takes care of QuickBooks.
            mapping = self.env['qbo.mapping']._qbo_find(connection, self, entity)
            if not mapping and outcome_unknown:
                # Unless the attempt whose answer was lost created it: cancelling then queued no void
                # (Odoo knew of nothing to void). Bound now, it is voided if cancelled, updated if posted.
                lost = self._qbo_find_sent(client, entity, connection)
                if lost:
                    mapping = self.env['qbo.mapping']._qbo_link(connection, self, entity, lost)
                    if self.state == 'cancel':
                        return entity, self._qbo_void(
                            job,
                            client,
                            entity,
                            before=lambda current: self._qbo_wait_for_linking_payments(connection, entity, current),
                        )
            return entity, mapping.qbo_id or False
        # Rolled back with the attempt when QuickBooks refuses the document.
        self._qbo_write_status({'qbo_customer_partner_id': self._qbo_customer_partner(connection).id})
        result = self._qbo_export(
            job, client, entity, values, step='receipt' if payment else '', outcome_unknown=outcome_unknown
        )
        result = self._qbo_keep_odoo_tax(job, client, entity, values, result)
        if payment:
            self._qbo_bind_held_payment(payment, connection, entity, result)
        return entity, result['Id']

    def _qbo_find_lost(self, client, entity, values, duplicate=None, job=None):
        """A document sent with its number goes by it (_qbo_find_by_number): the one of that number
        made from this document. With ``duplicate``, a number held by the twins (voided, or live)
        of documents deleted in Odoo, which gives a deleted document's number again, is freed: the
        twins are deleted, as their documents were; a number another document holds fails, naming
        that one. A document QuickBooks numbers itself (no DocNumber sent: custom transaction
        numbers off) and a credit application go by date and reference, as payments do."""
        if 'DocNumber' not in values:
            return super()._qbo_find_lost(client, entity, values, duplicate, job)
        number = values['DocNumber']
        mine, others = self._qbo_find_by_number(client, entity, number)
        if mine or not duplicate:
            return mine
        twins = (
            self.env['qbo.mapping']
            .sudo()
            .search(
                [
                    ('connection_id', '=', job.connection_id.id),
                    ('res_model', '=', self._name),
                    ('qbo_entity', '=', entity),
                    ('role', '=', 'record'),
                    ('qbo_id', 'in', [str(other['Id']) for other in others]),
                ]
            )
        )
        if others and len(twins) == len(others) and not self.browse(twins.mapped('res_id')).exists():
            for other in others:
                body = {'Id': other['Id'], 'SyncToken': other['SyncToken']}
                client.delete(entity, body, request_id=job._qbo_request_id('free', body))
            twins.unlink()
            return None
        # A number QuickBooks gave another document (made there by hand, or by another system):
        # named, so that someone can decide which one changes.
        other = others[0] if others else {}
        if other:
            existing = self.env._(
                '%(entity)s %(number)s (QuickBooks id %(id)s, customer %(customer)s, dated %(date)s, total %(total)s '
                '%(currency)s)',
                entity=entity,
                number=number,
                id=other.get('Id'),
                customer=(other.get('CustomerRef') or {}).get('name') or (other.get('CustomerRef') or {}).get('value'),
                date=other.get('TxnDate'),
                total=other.get('TotalAmt'),
                currency=(other.get('CurrencyRef') or {}).get('value') or '',
            )
        else:
            existing = self.env._(
                '%(entity)s %(number)s (QuickBooks id %(id)s)',
                entity=entity,
                number=number,
                id=duplicate.existing_id or '?',
            )
        raise QboValidationError(
            '6140',
            self.env._(
                'QuickBooks already has %(existing)s, which was not sent from this document. Rename or delete that one '
                'in QuickBooks, or set an invoice number prefix in the QuickBooks settings of Odoo, then retry.',
                existing=existing,
            ),
            duplicate.detail,
        ) from duplicate

    # ------------------------------------------------------------------
    # Receipts: documents paid (refunded) at once
    # ------------------------------------------------------------------

    def _qbo_receipt_payment(self, connection):
        """The decision: the payment this document goes to QuickBooks with, inside a receipt
        (a SalesReceipt for an invoice, a RefundReceipt for a credit note); none when it goes
        as an Invoice or a CreditMemo, and its payments as themselves.

        Paid at once means, when the document's push runs: the connection's setting is on;
        the document is posted and settled in full by exactly one posted customer payment (a
        refund, for a credit note) of its currency, its total and its date, applied to it
        alone; that payment goes to QuickBooks (payments switched on, its method chosen); and
        neither is in QuickBooks as itself already: a document sent as an Invoice stays one
        (its payment goes as a Payment applied to it), and so does a payment sent on its own
        before the document was posted. Whether the payment or the document was posted first
        does not matter, as long as both are in Odoo's books when the queue runs. A refund
        receipt is paid out of a Bank account (QuickBooks takes no other kind): with the
        refund account a Credit Card account, a credit note goes as a CreditMemo, its refund
        as a credit card refund out of that account."""
        self.ensure_one()
        none = self.env['account.payment']
        if not (
            connection.receipts_paid_at_once
            and self.move_type in RECEIPT_BY_MOVE_TYPE
            and self.state == 'posted'
            and self.currency_id.is_zero(self.amount_residual)
        ):
            return none
        partials, _exchange_moves = self._get_reconciled_invoices_partials()
        counterparts = self.browse(list({line.move_id.id for _partial, _amount, line in partials}))
        payment = counterparts.origin_payment_id
        if len(counterparts) != 1 or len(payment) != 1:
            return none
        paid_at_once = (
            payment._qbo_pushable()
            and payment.payment_type == RECEIPT_PAYMENT_TYPE[self.move_type]
            and payment.currency_id == self.currency_id
            and not self.currency_id.compare_amounts(payment.amount, self.amount_total)
            and payment.date == (self.invoice_date or self.date)
            and set(payment._qbo_applied()) == {self}
            and connection._qbo_syncs_payment(payment)
        )
        mappings = self.env['qbo.mapping']
        if (
            not paid_at_once
            or mappings._qbo_find(connection, self, ENTITY_BY_MOVE_TYPE[self.move_type])
            or mappings._qbo_find(connection, payment, ENTITY_BY_PAYMENT_TYPE[payment.payment_type])
        ):
            return none
        if (
            self.move_type == 'out_refund'
            and (connection.refund_account_name or '').strip()
            and payment._qbo_refund_account_ref(connection, connection._qbo_client())[1] != 'Bank'
        ):
            return none
        return payment

    def _qbo_may_hold_unbound(self, job, client, payment, outcome_unknown):
        """Whether QuickBooks may hold this document or ``payment`` as itself (an Invoice,
        CreditMemo, Payment or check) although Odoo has no mapping of it: an attempt whose
        answer was lost may have created it, and its mapping was rolled back with the attempt.
        A receipt then would count the sale (or the money) twice, so the document goes as
        itself, and the usual lookups of each push link what QuickBooks holds.

        The document's own attempt: its Invoice (CreditMemo) is looked up by number. The
        payment: while its latest job's outcome is unknown, it may be in QuickBooks."""
        job_model = self.env['qbo.sync.job'].sudo()
        latest = job_model.search(
            [('res_model', '=', payment._name), ('res_id', '=', payment.id)], order='id desc', limit=1
        )
        if latest.outcome_unknown:
            return True
        if not outcome_unknown:
            return False
        return bool(self._qbo_find_sent(client, ENTITY_BY_MOVE_TYPE[self.move_type], job.connection_id))

    def _qbo_prepare_receipt_values(self, connection, client, payment):
        """The receipt mapper: this document as a SalesReceipt (an invoice) or RefundReceipt
        (a credit note) holding ``payment``. Its lines, taxes, customer, number, class and
        currency are the Invoice's or CreditMemo's (_qbo_prepare_values); the money goes into
        (comes out of) the QuickBooks bank account of the payment's journal — for money
        received, Undeposited Funds when no account is named like the journal; a refund
        receipt must name one, the refund account when the connection sets one — with the
        payment's method. Income and tax are booked as by
        the invoice; receivables are not touched, as in Odoo, where the payment settles the
        document at once; the bank gets the payment, as in Odoo."""
        values = self._qbo_prepare_values(connection, client)
        for key in NOT_ON_RECEIPTS:
            values.pop(key, None)
        values['PrivateNote'] = f"{values['PrivateNote']} {payment.name} {payment._qbo_reference()}"
        if self.move_type == 'out_refund':
            # Paid out of the refund account, as any refund: a Bank account here, as a refund
            # receipt takes no other (_qbo_receipt_payment).
            deposit = payment._qbo_refund_account_ref(connection, client)[0]
        else:
            deposit = payment.journal_id._qbo_deposit_account_ref(connection, client, payment.currency_id)
        if deposit:
            values['DepositToAccountRef'] = deposit
        method = payment.payment_method_line_id._qbo_payment_method_ref(connection, client)
        if method:
            values['PaymentMethodRef'] = method
        return values

    def _qbo_drop_receipt(self, job, client, payment, outcome_unknown):
        """Take the receipt QuickBooks holds of this document away when Odoo no longer
        matches it (its payment cancelled, reset or taken off, the document cancelled or
        changed): void it, and hand the payment it held back to the payment's own job, which
        sends it as what it now is (a Payment, or nothing when it is no longer posted).

        A posted document then goes on as an Invoice or CreditMemo, for good (returns None);
        one cancelled or in draft keeps the voided receipt as its QuickBooks twin (returns
        (entity, id)), which it updates if it is posted again paid at once. Returns None too
        when the receipt still fits: ``payment``, the one it goes with now, replaces any other.

        After an attempt whose outcome is unknown, a receipt that attempt may have created is
        looked up by its number first, so that it is updated or voided, never left behind;
        whatever the setting says now, as it may have been on for that attempt — unless
        receipts were never on for this connection (``receipts_used``): then no attempt made
        one, and the lookup would be a read for nothing."""
        connection = job.connection_id
        entity = RECEIPT_BY_MOVE_TYPE.get(self.move_type)
        if not entity:
            return None
        mappings = self.env['qbo.mapping']
        mapping = mappings._qbo_find(connection, self, entity)
        held = (
            mappings._qbo_record_of(connection, entity, mapping.qbo_id, 'account.payment', role='receipt')
            if mapping
            else self.env['account.payment']
        )
        live = bool(held)
        if not mapping and outcome_unknown and connection.receipts_used:
            found = self._qbo_find_sent(client, entity, connection)
            if found:
                mapping = mappings._qbo_link(connection, self, entity, found)
                live = True
        if not mapping:
            return None
        if payment:
            self._qbo_take_out_of_receipt(held - payment, connection)
            return None
        if live:
            self._qbo_void(job, client, entity)
            self._qbo_take_out_of_receipt(held, connection)
        if job.operation == 'push' and self.state == 'posted':
            mapping.sudo().unlink()
            return None
        return entity, mapping.qbo_id

    @api.model
    def _qbo_receipt_bindings(self, payments, connection=None):
        """The bindings of ``payments`` to the receipts holding them."""
        domain = [('res_model', '=', payments._name), ('res_id', 'in', payments.ids), ('role', '=', 'receipt')]
        if connection:
            domain.append(('connection_id', '=', connection.id))
        return self.env['qbo.mapping'].sudo().search(domain)

    @api.model
    def _qbo_enqueue_receipts_holding(self, payments):
        """``payments``, held inside receipts, were cancelled, reset or reconciled otherwise:
        the receipts' documents go again first (priority 20), to void or update their receipts.
        Whatever the sync mode, as for voids: QuickBooks must not keep money Odoo no longer has."""
        documents = self.union(
            *(
                self.env['qbo.mapping']
                .sudo()
                ._qbo_record_of(mapping.connection_id, mapping.qbo_entity, mapping.qbo_id, self._name)
                for mapping in self._qbo_receipt_bindings(payments)
            )
        )
        self.env['qbo.sync.job']._qbo_enqueue(documents, 'push', priority=20)

    def _qbo_bind_held_payment(self, payment, connection, entity, receipt):
        """This document's push wrote ``receipt`` (an ``entity``, as JSON) holding ``payment``:
        bound to it, and, unless its last push already said so, the payment's own job queued (or
        found waiting) to say so."""
        self.env['qbo.mapping']._qbo_link(connection, payment, entity, receipt, role='receipt')
        if (payment.qbo_sync_state, last_pushed_id(payment)) != ('synced', str(receipt['Id'])):
            self.env['qbo.sync.job']._qbo_enqueue(payment, 'push', priority=PAYMENT_PRIORITY)

    @api.model
    def _qbo_take_out_of_receipt(self, payments, connection):
        """The receipt that held ``payments`` was voided or holds another one: each goes again
        as what it now is (nothing, when it is no longer posted)."""
        self._qbo_receipt_bindings(payments, connection).unlink()
        self.env['qbo.sync.job']._qbo_enqueue(payments._qbo_pushable(), 'push', priority=PAYMENT_PRIORITY)

    @api.model
    def _qbo_push_held_payment(self, payment, job):
        """The push of ``payment`` when a receipt holds it: nothing of its own, it is synced as
        that receipt and says so once in its chatter; when Odoo no longer matches the receipt, it
        waits for the document's push, which voids the receipt and hands the payment back.
        Returns (entity, id), or None when no receipt holds the payment."""
        connection = job.connection_id
        mapping = self._qbo_receipt_bindings(payment, connection)[:1]
        if not mapping:
            return None
        entity = mapping.qbo_entity
        document = self.env['qbo.mapping']._qbo_record_of(connection, entity, mapping.qbo_id, self._name)
        if not document:
            return None
        receipt = {'SalesReceipt': self.env._('sales receipt'), 'RefundReceipt': self.env._('refund receipt')}[entity]
        if document._qbo_receipt_payment(connection) == payment:
            # A void queued when the payment was reset is nothing to do once it fits the receipt again.
            if last_pushed_id(payment) != mapping.qbo_id:
                payment.message_post(
                    body=self.env._(
                        'Sent to QuickBooks inside the %(receipt)s of %(document)s (QuickBooks id %(id)s), not as a '
                        'payment '
                        'of its own.',
                        receipt=receipt,
                        document=document._get_html_link(),
                        id=mapping.qbo_id,
                    )
                )
            return entity, mapping.qbo_id
        waiting = (
            self.env['qbo.sync.job']
            .sudo()
            .search_count(
                [
                    ('res_model', '=', document._name),
                    ('res_id', '=', document.id),
                    ('state', 'in', ('pending', 'in_progress')),
                ]
            )
        )
        if waiting:
            raise QboRetryableError(
                'waiting',
                self.env._(
                    'Waiting for %(document)s to take this payment out of its QuickBooks %(receipt)s first.',
                    document=document.display_name,
                    receipt=receipt,
                ),
            )
        raise QboValidationError(
            'dependency',
            self.env._(
                'QuickBooks holds this payment inside the %(receipt)s of %(document)s, which Odoo no longer matches: '
                'push '
                '%(document)s to QuickBooks again (the %(receipt)s is then voided, and this payment sent as it now '
                'is).',
                receipt=receipt,
                document=document.display_name,
            ),
        )

    def _qbo_wait_for_linking_payments(self, connection, entity, current):
        """Before a credit memo is voided: QuickBooks refuses to void one that a payment or a
        refund's link still applies, and cancelling the credit note in Odoo took it off those
        payments, whose pushes (which take the link back) are queued behind this void. Wait
        for them, rather than fail."""
        if entity != 'CreditMemo':
            return  # an invoice: QuickBooks voids it and leaves its payments unapplied
        linking = [
            str(link.get('TxnId')) for link in current.get('LinkedTxn') or [] if link.get('TxnType') == 'Payment'
        ]
        if not linking:
            return
        payment_ids = (
            self.env['qbo.mapping']
            .sudo()
            .search(
                [
                    ('connection_id', '=', connection.id),
                    ('res_model', '=', 'account.payment'),
                    ('qbo_entity', '=', 'Payment'),
                    ('role', 'in', ('record', 'refund_link')),
                    ('qbo_id', 'in', linking),
                ]
            )
            .mapped('res_id')
        )
        if payment_ids and self.env['qbo.sync.job'].sudo().search_count(
            [
                ('res_model', '=', 'account.payment'),
                ('res_id', 'in', payment_ids),
                ('state', 'in', ('pending', 'in_progress')),
            ]
        ):
            raise QboRetryableError(
                'waiting',
                self.env._(
                    'Waiting for the payments and refunds applied to %(document)s to be taken off it in QuickBooks '
                    'first.',
                    document=self.display_name,
                ),
            )

    def _qbo_keep_odoo_tax(self, job, client, entity, values, result):
        """The document as QuickBooks keeps it, with Odoo's tax.

        QuickBooks takes the TotalTax sent in place of its own tax (rounded per rate over
        the document, where Odoo may round per line), except a value equal to the one it
        already holds: python-quickbooks echoes that one on every write, so it is taken
        for an echo and the tax computed again (emulator's ACCOUNTING.md, assumption 8).
        Sending a changed document again therefore loses a kept TotalTax; told once more,
        alone, QuickBooks takes it. Costs a request only when the two roundings differ."""
        sent = (values.get('TxnTaxDetail') or {}).get('TotalTax')
        kept = (result.get('TxnTaxDetail') or {}).get('TotalTax') or 0.0
        if not sent or self.currency_id.is_zero(sent - float(kept)):
            return result
        body = {'Id': result['Id'], 'SyncToken': result['SyncToken'], 'TxnTaxDetail': values['TxnTaxDetail']}
        result = client.update(entity, body, request_id=job._qbo_request_id('tax', body))
        self.env['qbo.mapping']._qbo_link(job.connection_id, self, entity, result)  # its SyncToken, for the next write
        return result

    def _qbo_customer_partner(self, connection):
        """The partner whose QuickBooks customer this document goes to. A document already
        in QuickBooks keeps the customer it went to while its partner stays the same, even
        if "Child contacts as sub-customers" changed since: QuickBooks refuses to move a
        document with payments to another customer. Otherwise, as the connection says for
        its partner."""
        self.ensure_one()
        if self.env['qbo.mapping'].sudo()._qbo_find(connection, self, ENTITY_BY_MOVE_TYPE[self.move_type]):
            sent = self._qbo_sent_customer_partner()
            if sent in self.partner_id | self.partner_id.commercial_partner_id:
                return sent
        return self.partner_id._qbo_customer_partner(connection)

    def _qbo_sent_customer_partner(self):
        """The partner whose QuickBooks customer this document went to: what links to it in
        QuickBooks (payments, credit applications) must name the same customer. Documents
        sent before sub-customers existed went to their commercial partner."""
        self.ensure_one()
        return self.qbo_customer_partner_id or self.commercial_partner_id

    def _qbo_one_customer_partner(self, settling, partner=None):
        """The one partner whose QuickBooks customer these documents went to (and
        ``partner``, the settling document's own, if it has one), or an empty recordset for
        no documents. ``settling`` (a payment, a credit note) links them in QuickBooks,
        which takes only documents of the customer it names: documents of several customers
        (a company's and its contacts', sent as sub-customers) fail it, saying so."""
        partners = partner or self.env['res.partner']
        for move in self:
            partners |= move._qbo_sent_customer_partner()
        if len(partners) > 1:
            raise QboValidationError(
                'customer',
                self.env._(
                    'In QuickBooks, a payment or a credit applies only to documents of one customer, and %(settling)s '
                    'settles documents of several: %(customers)s (contacts are sub-customers of their company). Settle '
                    'the documents of each contact separately, or turn off "Child contacts as sub-customers" before '
                    'sending the documents.',
                    settling=settling.display_name,
                    customers=', '.join(partners.mapped('display_name')),
                ),
            )
        return partners

    def _qbo_find_by_number(self, client, entity, doc_number):
        """The QuickBooks documents numbered ``doc_number``: (the one made from this document
        or None, the others)."""
        found = client.query(f"SELECT * FROM {entity} WHERE DocNumber = {qbo_quote(doc_number)}")
        reference = self._qbo_reference()
        mine = [doc for doc in found if reference in (doc.get('PrivateNote') or '')]
        return (mine[0] if mine else None), [doc for doc in found if doc not in mine]

    def _qbo_find_sent(self, client, entity, connection):
        """The QuickBooks ``entity`` an earlier attempt made from this document, or None. By its
        number when the QuickBooks company takes ours (custom transaction numbers on); else
        QuickBooks numbered it itself, and it is the one of the document's date whose private
        note carries this document's reference (as _qbo_find_lost finds it when no DocNumber
        is sent)."""
        if connection.qbo_custom_txn_numbers:
            return self._qbo_find_by_number(client, entity, self._qbo_doc_number(connection))[0]
        return self._qbo_find_lost(client, entity, {'TxnDate': fields.Date.to_string(self.invoice_date or self.date)})

    def _qbo_doc_number(self, connection):
        number = f'{connection.invoice_prefix or ""}{self.name}'
        if len(number) > const.DOC_NUMBER_MAX:
            raise QboValidationError(
                '2050',
                self.env._(
                    'The QuickBooks number %(number)s would be %(length)s characters long; QuickBooks allows %(max)s. '
                    'Shorten the invoice number prefix in Settings or the journal\'s sequence.',
                    number=number,
                    length=len(number),
                    max=const.DOC_NUMBER_MAX,
                ),
            )
        return number

    def _qbo_prepare_values(self, connection, client):
        """The mapper: this invoice or credit note as a QuickBooks Invoice or CreditMemo."""
        self.ensure_one()
        product_lines = self.invoice_line_ids.filtered(lambda l: l.display_type == 'product')
        if not product_lines:
            raise QboValidationError('odoo', self.env._('The document has no lines to send.'))
        tax_included = self._qbo_tax_included(connection, client, product_lines)
        as_lines = self._qbo_taxes_sent_as_lines(product_lines)
        values = {
            'CustomerRef': self._qbo_customer_partner(connection)._qbo_resolve_customer(
                connection, client, currency=self.currency_id, invoiced_partner=self.partner_id.sudo()
            ),
            'TxnDate': fields.Date.to_string(self.invoice_date or self.date),
            'PrivateNote': f'{self.name} {self._qbo_reference()}',
            'Line': self._qbo_prepare_lines(connection, client, tax_included, as_lines),
        }
        if connection.qbo_custom_txn_numbers:
            values['DocNumber'] = self._qbo_doc_number(connection)
        # Else QuickBooks numbers documents itself, whatever is sent (Intuit: send none, or numbers
        # may clash): the Odoo number is in the private note, and a lost attempt is found by the
        # reference there (_qbo_find_lost without DocNumber).
        if self.move_type == 'out_invoice' and self.invoice_date_due:
            values['DueDate'] = fields.Date.to_string(self.invoice_date_due)
            term = self.invoice_payment_term_id._qbo_term_ref(connection, client)
            if term:
                values['SalesTermRef'] = term
        if self.ref:
            values['CustomerMemo'] = {'value': self.ref[:1000]}
        class_ref = connection._qbo_class_ref(client)
        if class_ref and connection.qbo_class_per_line:
            for line in values['Line']:
                if line.get('DetailType') == 'SalesItemLineDetail':
                    line['SalesItemLineDetail']['ClassRef'] = class_ref
        elif class_ref:
            values['ClassRef'] = class_ref
        if connection.qbo_multicurrency:
            values['CurrencyRef'] = {'value': self.currency_id.name}
            if self.currency_id != self.company_id.currency_id:
                # Odoo keeps document currency per unit of company currency; QuickBooks the
                # other way round (home currency per unit of the document's).
                values['ExchangeRate'] = float_round(
                    1 / self.invoice_currency_rate, precision_digits=EXCHANGE_RATE_DIGITS
                )
        # QuickBooks rounds tax once per rate over the document; Odoo (by default) per line.
        # Odoo's tax is sent as TotalTax, which QuickBooks keeps for tax-excluded prices; with
        # tax-included prices it always computes its own, hence _qbo_tax_included's check.
        # Taxes sent as lines are in the lines' total, not in the tax.
        detail = {'TotalTax': self.currency_id.round(self.amount_tax - sum(amount for _tax, amount in as_lines))}
        if connection.qbo_country_code == 'US':
            txn_code = self.env['account.tax']._qbo_txn_tax_code_ref(connection, client, product_lines.tax_ids)
            if txn_code:
                detail['TxnTaxCodeRef'] = txn_code
        else:
            values['GlobalTaxCalculation'] = 'TaxInclusive' if tax_included else 'TaxExcluded'
        if not tax_included:
            values['TxnTaxDetail'] = detail
        return values

    def _qbo_prepare_lines(self, connection, client, tax_included, as_lines=()):
        """The QuickBooks lines: one per Odoo line, sections and notes as description lines;
        or, in the connection's aggregated mode, and always for a taxable document of more
        than TAXABLE_LINES_MAX lines (QuickBooks refuses those), one line per product, unit,
        tax and sign (descriptions and notes left out), which keeps every amount, and so the
        totals, the same. Then a line for each of ``as_lines``, the taxes sent as lines
        (_qbo_taxes_sent_as_lines), which count against the limit as QuickBooks counts
        them. A document still too long fails, saying so, before its items are looked for."""
        lines = self.invoice_line_ids.filtered(
            lambda l: l.display_type == 'product' or (l.display_type in DESCRIPTION_LINE_TYPES and l.name)
        ).sorted(lambda l: (l.sequence, l.id))
        product_lines = lines.filtered(lambda l: l.display_type == 'product')
        taxable = connection.qbo_country_code != 'US' or self.env['account.tax']._qbo_charged(product_lines.tax_ids)
        if connection.line_mode != 'aggregated' and (len(lines) + len(as_lines) <= TAXABLE_LINES_MAX or not taxable):
            result = [
                line._qbo_prepare_line(connection, client, tax_included)
                if line.display_type == 'product'
                else {
                    'DetailType': 'DescriptionOnly',
                    'Description': line.name[:LINE_DESCRIPTION_MAX],
                    'DescriptionLineDetail': {},
                }
                for line in lines
            ]
        else:
            groups = product_lines.grouped(lambda l: (l.product_id, l.product_uom_id, l.tax_ids, l.price_subtotal < 0))
            if taxable and len(groups) + len(as_lines) > TAXABLE_LINES_MAX:
                raise QboValidationError(
                    'lines',
                    self.env._(
                        'QuickBooks takes at most %(max)s lines on a taxable document, and this one has %(count)s '
                        '(%(groups)s once lines of the same product and tax are added together), counting one line for '
                        'each tax sent as a line: split it into several documents.',
                        max=TAXABLE_LINES_MAX,
                        count=len(lines) + len(as_lines),
                        groups=len(groups) + len(as_lines),
                    ),
                )
            result = [group._qbo_prepare_line(connection, client, tax_included) for group in groups.values()]
        return result + [tax._qbo_prepare_as_line(connection, client, amount) for tax, amount in as_lines]

    def _qbo_tax_included(self, connection, client, product_lines):
        """Whether the document goes to QuickBooks with tax-included prices (TaxInclusive,
        outside the US): when the taxes of its taxed lines are all price-included in Odoo.

        QuickBooks then carves each tax code's tax out of the gross total of its lines,
        rounded once per code, and ignores a TotalTax sent with it. Odoo may round per line
        and find another cent: then (as for a mix of included and excluded taxes) the
        document goes with tax-excluded prices and Odoo's TotalTax, as the books must agree."""
        if connection.qbo_country_code == 'US':
            return False  # QuickBooks US has no tax-included prices
        taxes = self.env['account.tax']
        charged = taxes._qbo_charged(product_lines.tax_ids)
        if not charged or not all(tax.price_include for tax in charged.flatten_taxes_hierarchy()):
            return False
        if product_lines.tax_ids._qbo_sent_as_line():
            return False  # a line's gross would hold the tax that goes as a line of its own
        gross_by_code, rate_by_code = defaultdict(Decimal), {}
        for line in product_lines:
            code = taxes._qbo_line_tax_code_ref(connection, client, line.tax_ids)['value']
            rate = line.tax_ids._qbo_rate() if line.tax_ids else 0.0
            if rate is None:
                return False  # a fixed amount is not carved out of a price
            gross_by_code[code] += Decimal(str(line.price_total))
            rate_by_code[code] = Decimal(str(rate))
        cent = Decimal(str(self.currency_id.rounding))
        carved = sum(
            (gross * rate_by_code[code] / (100 + rate_by_code[code])).quantize(cent, rounding=ROUND_HALF_UP)
            for code, gross in gross_by_code.items()
        )
        return self.currency_id.is_zero(float(carved) - self.amount_tax)

    def _qbo_taxes_sent_as_lines(self, product_lines):
        """[(tax, amount)] of the taxes of ``product_lines`` that go to QuickBooks as lines of
        their own (account.tax._qbo_sent_as_line), each with its amount on this document in
        the document's currency, as Odoo's tax journal items have it; none of 0."""
        self.ensure_one()
        result = []
        tax_lines = self.line_ids.filtered(lambda line: line.display_type == 'tax')
        for tax in product_lines.tax_ids._qbo_sent_as_line().sorted(lambda tax: (tax.sequence, tax.id)):
            # A group's tax lines are its children's, marked with the group that made them.
            mine = tax_lines.filtered(
                lambda line, tax=tax: (
                    line.group_tax_id == tax
                    if tax.amount_type == 'group'
                    else line.tax_line_id == tax and not line.group_tax_id
                )
            )
            amount = self.currency_id.round(self.direction_sign * sum(mine.mapped('amount_currency')))
            if not self.currency_id.is_zero(amount):
                result.append((tax, amount))
        return result

    # ------------------------------------------------------------------
    # Credit notes applied to invoices
    # ------------------------------------------------------------------
    # A credit note applied to an invoice in Odoo (their reconciliation, no payment between)
    # is, in QuickBooks, a Payment of 0 whose lines link the Invoice and the CreditMemo.
    #
    # That Payment belongs to the credit note: the credit note's own push job writes its
    # CreditMemo, then (re)applies it. The outbox has one waiting job per record and operation
    # ('push' or 'void'), so a separate operation is not available; and the application cannot
    # exist without the CreditMemo anyway. Re-applying after each reconciliation change is one
    # more push of the credit note.
    # ------------------------------------------------------------------

    @api.model
    def _qbo_enqueue_applications(self, payments, credit_notes):
        payments._qbo_pushable()._qbo_enqueue('push')
        credit_notes.filtered(lambda m: m.state == 'posted')._qbo_enqueue('push')
        # A credit note leaving the books (reset, cancelled) takes its application back first:
        # QuickBooks refuses to void a credit memo a payment applies.
        connections = self.env['qbo.connection'].sudo().search([('company_id', 'in', credit_notes.company_id.ids)])
        applied = (
            self.env['qbo.mapping']
            .sudo()
            .search(
                [
                    ('connection_id', 'in', connections.ids),
                    ('res_model', '=', self._name),
                    ('res_id', 'in', credit_notes.ids),
                    ('qbo_entity', '=', 'Payment'),
                    ('role', '=', 'credit_application'),
                ]
            )
            .mapped('res_id')
        )
        leaving = credit_notes.filtered(lambda m: m.state != 'posted' and m.id in applied)
        self.env['qbo.sync.job']._qbo_enqueue(leaving, 'push', priority=20)

    def _qbo_on_job_state(self, job):
        result = super()._qbo_on_job_state(job)
        if job.state == 'done' and job.operation == 'push':
            # Payments and credit applications that failed, or wait out a backoff, because this
            # document was not in QuickBooks go again now that it is, without anyone retrying them.
            partials = self.line_ids.matched_debit_ids | self.line_ids.matched_credit_ids
            payments, credit_notes = partials._qbo_applying_documents()
            if payments or credit_notes:
                documents = [
                    '|',
                    '&',
                    ('res_model', '=', 'account.payment'),
                    ('res_id', 'in', payments.ids),
                    '&',
                    ('res_model', '=', 'account.move'),
                    ('res_id', 'in', credit_notes.ids),
                ]
                self.env['qbo.sync.job']._qbo_wake_waiting(documents, self)
        return result

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
        """Create, update or void this document in QuickBooks (_qbo_push_document); a credit
        note's push also (re)writes its application to invoices (see _qbo_credit_applied).
        Returns (entity, id)."""
        self._qbo_lock_for_push()
        if self.move_type != 'out_refund' or job.operation != 'push':
            return self._qbo_push_document(job, outcome_unknown=outcome_unknown)
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
            entity, memo_id = self._qbo_push_document(job, outcome_unknown=outcome_unknown or bool(lines and not memo))
        else:
            # Reset to draft or cancelled: a refund receipt Odoo no longer matches (its refund
            # cancelled, reset or taken off) is voided, as an invoice's sales receipt is.
            entity, memo_id = self._qbo_drop_receipt(job, connection._qbo_client(), payments, outcome_unknown) or (
                'CreditMemo',
                memo.qbo_id,
            )
        client = connection._qbo_client()
        try:
            if not lines:
                self._qbo_void(job, client, 'Payment', role='credit_application', forget=True)
                return entity, memo_id
            total = sum(applied.values())
            customer_ref = self._qbo_sent_customer_partner()._qbo_resolve_customer(
                connection, client, currency=self.currency_id
            )
            memo_line = {
                'Amount': self.currency_id.round(total),
                'LinkedTxn': [{'TxnId': memo_id, 'TxnType': 'CreditMemo'}],
            }
            values = payments._qbo_payment_body(
                customer_ref,
                date,
                self,
                lines + [memo_line],
                currency_values={'CurrencyRef': {'value': self.currency_id.name}}
                if connection.qbo_multicurrency
                else None,
            )
            self._qbo_export(
                job, client, 'Payment', values, role='credit_application', step='apply', outcome_unknown=outcome_unknown
            )
        except QboRetryableError as error:
            # The CreditMemo may have been written by this attempt: look it up next time.
            error.outcome_unknown = True
            raise
        return entity, memo_id


def last_pushed_id(record):
    """The QuickBooks id the last push of ``record`` that went through ended with."""
    return (
        record.env['qbo.sync.job']
        .sudo()
        .search(
            [('res_model', '=', record._name), ('res_id', '=', record.id), ('state', '=', 'done')],
            order='id desc',
            limit=1,
        )
        .qbo_id
    )
