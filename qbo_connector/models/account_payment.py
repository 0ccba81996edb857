from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import float_round

from ..exceptions import QboDuplicateError, QboRetryableError, QboValidationError
from ..tools.qbo_client import qbo_quote
from ..tools.qbo_names import qbo_name, qbo_same_name, qbo_unclaimed
from .account_move import ENTITY_BY_MOVE_TYPE, RECEIPT_PART

# Money received is a Payment; money paid back to a customer a RefundReceipt.
ENTITY_BY_PAYMENT_TYPE = {'inbound': 'Payment', 'outbound': 'RefundReceipt'}
# The payment states in which QuickBooks should hold the payment.
POSTED_STATES = ('in_process', 'paid')
# Payments go after the invoices they settle (which run at 20).
PAYMENT_PRIORITY = 30
# QuickBooks' length limits (2050 beyond them).
PAYMENT_REF_MAX = 21
PAYMENT_METHOD_NAME_MAX = 31
# The journal's QuickBooks bank account, once matched by name.
BANK_ACCOUNT_ENTITY = 'Account:Bank'
# A refund receipt needs an item on its line. It books to Accounts Receivable, so that the
# refund takes back the customer's credit instead of reversing the sale a second time
# (the credit memo already did). Not translated: it is found again by name.
REFUND_ITEM_NAME = 'Odoo customer refund'
REFUND_ITEM_ENTITY = 'Item:Refund'
QUERY_PAGE = 1000


class AccountPayment(models.Model):
    _name = 'account.payment'
    _inherit = ['account.payment', 'qbo.synced.mixin']

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
        self._qbo_enqueue_receipt_documents()
        payments = self.filtered(lambda p: p.partner_type == 'customer')
        if operation == 'push':
            connections = {c.company_id: c for c in self.env['qbo.connection'].sudo().search([
                ('company_id', 'in', payments.company_id.ids), ('sync_mode', '=', 'automatic')])}
            payments = payments.filtered(lambda p: p.company_id in connections and connections[p.company_id]._qbo_syncs_payment(p))
        return self.env['qbo.sync.job']._qbo_enqueue(payments, operation, priority=PAYMENT_PRIORITY)

    def action_qbo_push(self):
        """Manual mode: the user decides when a payment goes to QuickBooks."""
        jobs = self.env['qbo.sync.job']._qbo_enqueue(self._qbo_pushable(), 'push', priority=PAYMENT_PRIORITY)
        return {
            'type': 'ir.actions.client', 'tag': 'display_notification',
            'params': {'type': 'info', 'message': self.env._('%(n)s payment(s) queued for QuickBooks.', n=len(jobs))},
        }

    # ------------------------------------------------------------------
    # Push (in the job, outside any user's transaction)
    # ------------------------------------------------------------------

    def _qbo_entity(self):
        return ENTITY_BY_PAYMENT_TYPE[self.payment_type]

    def _qbo_push(self, job, outcome_unknown=False):
        """Create, update or void this payment in QuickBooks. Returns (entity, id)."""
        self.ensure_one()
        in_receipt = self._qbo_push_in_receipt(job)
        if in_receipt:
            return in_receipt
        connection = job.connection_id
        client = connection._qbo_client()
        entity = self._qbo_entity()
        if job.operation == 'void':
            return entity, self._qbo_void_txn(job, client, self, entity)
        if self.state not in POSTED_STATES:
            # Reset or cancelled since it was queued: its void job takes care of QuickBooks.
            return entity, False
        values = self._qbo_prepare_values(connection, client)
        result = self._qbo_write_txn(job, client, self, entity, values, job.request_id, outcome_unknown)
        return entity, result['Id']

    @api.model
    def _qbo_write_txn(self, job, client, record, entity, values, request_id, outcome_unknown):
        """Create or update the QuickBooks transaction ``record`` is mapped to under ``entity``.

        After an attempt whose outcome is unknown, the transaction is looked up (same
        customer and date, our reference in the private note) before it is created again.
        An update reads the fresh SyncToken first: applying payments changes it."""
        connection = job.connection_id
        mappings = self.env['qbo.mapping']
        mapping = mappings._qbo_find(connection, record, entity)
        if not mapping and outcome_unknown:
            found = client.query(
                f"SELECT * FROM {entity} WHERE TxnDate = {qbo_quote(values['TxnDate'])} "
                f"AND CustomerRef = {qbo_quote(values['CustomerRef']['value'])} MAXRESULTS {QUERY_PAGE}")
            found = [f for f in found if record._qbo_reference() in (f.get('PrivateNote') or '')]
            if found:
                # The request id of that attempt is this one: a write with it would only replay
                # the create's answer, so the found transaction is taken as it is.
                mappings._qbo_link(connection, record, entity, found[0])
                return found[0]
        if mapping:
            current = client.read(entity, mapping.qbo_id)
            result = client.update(entity, {**values, 'Id': mapping.qbo_id, 'SyncToken': current['SyncToken']},
                                   request_id=request_id)
        else:
            result = client.create(entity, values, request_id=request_id)
        mappings._qbo_link(connection, record, entity, result)
        return result

    @api.model
    def _qbo_void_txn(self, job, client, record, entity, request_id=None):
        """Void the transaction ``record`` is mapped to, and forget the mapping: a voided
        transaction is kept by QuickBooks with every amount at 0 and cannot be revived, so a
        payment posted again becomes a new one. Returns the voided id (False if none)."""
        mapping = self.env['qbo.mapping']._qbo_find(job.connection_id, record, entity)
        if not mapping:
            return False
        qbo_id = mapping.qbo_id
        current = client.read(entity, qbo_id)
        client.void(entity, {'Id': qbo_id, 'SyncToken': current['SyncToken']}, request_id=request_id or job.request_id)
        mapping.sudo().unlink()
        return qbo_id

    # ------------------------------------------------------------------
    # Inside a receipt: paid at once (account.move's _qbo_receipt_payment)
    # ------------------------------------------------------------------

    def _qbo_receipt_mappings(self, connection=None):
        domain = [('res_model', '=', self._name), ('res_id', 'in', self.ids), ('qbo_entity', 'in', list(RECEIPT_PART.values()))]
        if connection:
            domain.append(('connection_id', '=', connection.id))
        return self.env['qbo.mapping'].sudo().search(domain)

    def _qbo_enqueue_receipt_documents(self):
        """A payment QuickBooks holds inside a receipt was cancelled, reset or reconciled
        otherwise: the receipt's document goes again first (priority 20), to void or update
        its receipt. Whatever the sync mode, as for voids: QuickBooks must not keep money
        Odoo no longer has."""
        receipt_by_part = {part: receipt for receipt, part in RECEIPT_PART.items()}
        documents = self.env['account.move'].union(*(
            self.env['qbo.mapping'].sudo()._qbo_find_record(
                mapping.connection_id, receipt_by_part[mapping.qbo_entity], mapping.qbo_id, 'account.move')
            for mapping in self._qbo_receipt_mappings()))
        self.env['qbo.sync.job']._qbo_enqueue(documents, 'push', priority=20)

    def _qbo_put_in_receipt(self, connection, entity, receipt):
        """The document's push wrote ``receipt`` (an ``entity``, as JSON) holding this payment:
        remembered, and, unless the payment already says so, its own job queued (or found
        waiting) to say so."""
        self.env['qbo.mapping']._qbo_link(connection, self, RECEIPT_PART[entity], receipt)
        if (self.qbo_sync_state, self.qbo_id) != ('synced', str(receipt['Id'])):
            self.env['qbo.sync.job']._qbo_enqueue(self, 'push', priority=PAYMENT_PRIORITY)

    def _qbo_take_out_of_receipt(self, connection):
        """The receipt that held these payments was voided or holds another one: each goes
        again as what it now is (nothing, when it is no longer posted)."""
        self._qbo_receipt_mappings(connection).unlink()
        self.env['qbo.sync.job']._qbo_enqueue(self._qbo_pushable(), 'push', priority=PAYMENT_PRIORITY)

    def _qbo_push_in_receipt(self, job):
        """A payment held by its document's receipt sends nothing of its own: it is synced as
        that receipt, and says so once in its chatter. When Odoo no longer matches the
        receipt, this waits for the document's push, which voids it and hands the payment
        back. Returns (entity, id), or None when no receipt holds the payment."""
        connection = job.connection_id
        mapping = self._qbo_receipt_mappings(connection)[:1]
        entity = next((receipt for receipt, part in RECEIPT_PART.items() if part == mapping.qbo_entity), None)
        document = self.env['qbo.mapping']._qbo_find_record(connection, entity, mapping.qbo_id, 'account.move') \
            if mapping else self.env['account.move']
        if not document:
            return None
        receipt = {'SalesReceipt': self.env._('sales receipt'), 'RefundReceipt': self.env._('refund receipt')}[entity]
        if job.operation == 'push' and document._qbo_receipt_payment(connection) == self:
            if self.qbo_id != mapping.qbo_id:
                self.message_post(body=self.env._(
                    'Sent to QuickBooks inside the %(receipt)s of %(document)s (QuickBooks id %(id)s), not as a payment '
                    'of its own.', receipt=receipt, document=document._get_html_link(), id=mapping.qbo_id))
            return entity, mapping.qbo_id
        waiting = self.env['qbo.sync.job'].sudo().search_count([
            ('res_model', '=', document._name), ('res_id', '=', document.id), ('state', 'in', ('pending', 'in_progress'))])
        if waiting:
            raise QboRetryableError('waiting', self.env._(
                'Waiting for %(document)s to take this payment out of its QuickBooks %(receipt)s first.',
                document=document.display_name, receipt=receipt))
        raise QboValidationError('dependency', self.env._(
            'QuickBooks holds this payment inside the %(receipt)s of %(document)s, which Odoo no longer matches: push '
            '%(document)s to QuickBooks again (the %(receipt)s is then voided, and this payment sent as it now is).',
            receipt=receipt, document=document.display_name))

    # ------------------------------------------------------------------
    # Mapper
    # ------------------------------------------------------------------

    def _qbo_prepare_values(self, connection, client):
        """The mapper: a customer payment as a QuickBooks Payment applied to the invoices
        and credit notes it is reconciled with, or a refund paid out as a RefundReceipt."""
        self.ensure_one()
        values = {
            'CustomerRef': self.partner_id._qbo_customer_ref(connection, client, currency=self.currency_id),
            'TxnDate': fields.Date.to_string(self.date),
            'PaymentRefNum': (self.name or '')[:PAYMENT_REF_MAX],
            'PrivateNote': f'{self.name} {self._qbo_reference()}',
        }
        method = self._qbo_payment_method_ref(connection, client)
        if method:
            values['PaymentMethodRef'] = method
        if connection.qbo_multicurrency:
            values['CurrencyRef'] = {'value': self.currency_id.name}
            if self.currency_id != self.company_id.currency_id and self.amount:
                values['ExchangeRate'] = float_round(
                    abs(self.amount_company_currency_signed) / self.amount, precision_digits=6)
        if self.payment_type == 'outbound':
            values.update(self._qbo_refund_values(connection, client))
            return values
        values['TotalAmt'] = self.amount
        values['Line'] = self._qbo_payment_lines(connection, self._qbo_applied())
        deposit = self._qbo_bank_account_ref(connection, client)
        if deposit:
            values['DepositToAccountRef'] = deposit
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
        entity = ENTITY_BY_MOVE_TYPE[move.move_type]
        mapping = self.env['qbo.mapping']._qbo_find(connection, move, entity)
        if mapping:
            return {'TxnId': mapping.qbo_id, 'TxnType': entity}
        job = self.env['qbo.sync.job'].sudo().search([
            ('res_model', '=', move._name), ('res_id', '=', move.id), ('operation', '=', 'push'),
        ], order='id desc', limit=1)
        if job.state in ('pending', 'in_progress'):
            raise QboRetryableError('waiting', self.env._(
                'Waiting for %(document)s to reach QuickBooks first.', document=move.display_name))
        if job.state == 'failed':
            raise QboValidationError('dependency', self.env._(
                'QuickBooks refused %(document)s, which this applies to: correct it and send it again, then retry.',
                document=move.display_name))
        raise QboValidationError('dependency', self.env._(
            '%(document)s, which this applies to, was not sent to QuickBooks (manual mode, or dated before the start '
            'date): push it, then retry.', document=move.display_name))

    def _qbo_refund_values(self, connection, client):
        """Money paid back to a customer: a RefundReceipt on the bank account it leaves from.
        Its one line books to Accounts Receivable (see REFUND_ITEM_NAME)."""
        detail = {'ItemRef': self._qbo_refund_item_ref(connection, client), 'Qty': 1, 'UnitPrice': self.amount}
        values = {
            'DepositToAccountRef': self._qbo_bank_account_ref(connection, client, refund=True),
            'Line': [{
                'DetailType': 'SalesItemLineDetail', 'Amount': self.amount,
                'Description': (self.memo or self.name or '')[:4000], 'SalesItemLineDetail': detail,
            }],
        }
        if connection.qbo_country_code == 'US':
            detail['TaxCodeRef'] = {'value': 'NON'}
        else:
            values['GlobalTaxCalculation'] = 'NotApplicable'
        return values

    # ------------------------------------------------------------------
    # Lists the payment refers to: bank account, payment method, refund item
    # ------------------------------------------------------------------

    def _qbo_bank_account_ref(self, connection, client, refund=False):
        """The QuickBooks Bank account of the payment's journal: the one named like the journal
        or its bank account number, matched once and then answered from the mapping.

        Without a match, money received goes to Undeposited Funds (QuickBooks' default, where
        it waits to be grouped into a bank deposit), and a refund leaves from the first Bank
        account; a refund-account setting on the connection is to come for companies that
        want another one."""
        journal = self.journal_id
        mappings = self.env['qbo.mapping'].sudo()
        mapping = mappings._qbo_find(connection, journal, BANK_ACCOUNT_ENTITY)
        if mapping:
            return {'value': mapping.qbo_id, 'name': mapping.qbo_name}
        banks = sorted(client.query(f"SELECT * FROM Account WHERE AccountType = 'Bank' MAXRESULTS {QUERY_PAGE}"),
                       key=lambda a: int(a['Id']) if str(a['Id']).isdigit() else 0)
        names = [journal.name, journal.bank_account_id.acc_number]
        matched = [a for a in qbo_unclaimed(self.env, connection, BANK_ACCOUNT_ENTITY, journal, banks)
                   if any(name and qbo_same_name(a.get('Name'), name) for name in names)]
        if matched:
            mapping = mappings._qbo_link(connection, journal, BANK_ACCOUNT_ENTITY, matched[0])
            return {'value': mapping.qbo_id, 'name': mapping.qbo_name}
        if not refund:
            return None
        if not banks:
            raise QboValidationError('no_bank_account', self.env._(
                'QuickBooks needs the bank account a refund is paid from, and the QuickBooks company has no Bank '
                'account: create one named like the journal %(journal)s, then retry.', journal=journal.display_name))
        return {'value': banks[0]['Id'], 'name': banks[0].get('Name')}

    def _qbo_payment_method_ref(self, connection, client):
        """The QuickBooks payment method named like the payment method (created if missing).
        Several journals have methods of the same name: they share the QuickBooks one."""
        name = qbo_name(self.payment_method_line_id.name, PAYMENT_METHOD_NAME_MAX)
        if not name:
            return None
        mappings = self.env['qbo.mapping'].sudo()
        mapping = mappings._qbo_find(connection, self.payment_method_line_id, 'PaymentMethod') or next(iter(
            mappings.search([('connection_id', '=', connection.id), ('qbo_entity', '=', 'PaymentMethod')])
            .filtered(lambda m: qbo_same_name(m.qbo_name, name))), None)
        if not mapping:
            found = client.query(f'SELECT * FROM PaymentMethod WHERE Name = {qbo_quote(name)}')
            try:
                method = found[0] if found else client.create('PaymentMethod', {'Name': name})
            except QboDuplicateError as error:
                # Taken by an inactive method (queries list active ones only): use it again.
                if not error.existing_id:
                    raise
                method = client.read('PaymentMethod', error.existing_id)
            if method.get('Active') is False:
                method = client.update('PaymentMethod', {'Id': method['Id'], 'SyncToken': method['SyncToken'], 'Active': True})
            mapping = mappings._qbo_link(connection, self.payment_method_line_id, 'PaymentMethod', method)
        return {'value': mapping.qbo_id, 'name': mapping.qbo_name}

    @api.model
    def _qbo_refund_item_ref(self, connection, client):
        """The item refund receipts use, booked to Accounts Receivable; chosen once per connection."""
        record = connection.sudo()
        mappings = self.env['qbo.mapping'].sudo()
        mapping = mappings._qbo_find(connection, record, REFUND_ITEM_ENTITY)
        if not mapping:
            found = client.query(
                f'SELECT * FROM Item WHERE Name = {qbo_quote(REFUND_ITEM_NAME)} AND Active IN (true, false)')
            item = found[0] if found else None
            if item and item.get('Active') is False:
                item = client.update('Item', {'Id': item['Id'], 'SyncToken': item['SyncToken'], 'Active': True})
            if not item:
                receivable = client.query("SELECT * FROM Account WHERE AccountType = 'Accounts Receivable'")
                if not receivable:
                    raise QboValidationError('no_receivable_account', self.env._(
                        'The QuickBooks company has no Accounts Receivable account for refunds to book to.'))
                item = client.create('Item', {
                    'Name': REFUND_ITEM_NAME, 'Type': 'Service',
                    'IncomeAccountRef': {'value': receivable[0]['Id']},
                    'Description': 'Refunds of customer credit paid from Odoo',
                })
            mapping = mappings._qbo_link(connection, record, REFUND_ITEM_ENTITY, item)
        return {'value': mapping.qbo_id, 'name': mapping.qbo_name}
