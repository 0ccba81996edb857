from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import float_round

from ..exceptions import QboDuplicateError, QboNotFoundError, QboRetryableError, QboValidationError
from ..tools.qbo_client import qbo_quote
from ..tools.qbo_names import qbo_name, qbo_same_name, qbo_unclaimed
from .account_move import ENTITY_BY_MOVE_TYPE, EXCHANGE_RATE_DIGITS, RECEIPT_PART
from .qbo_payment_method import PAYMENT_METHOD_NAME_MAX, payment_method_entity

# Money received is a Payment. Money paid back to a customer is a check (a Purchase) booked
# to Accounts Receivable, as QuickBooks records "refund a credit memo by check"; the credit
# notes it pays out are linked to it by a Receive Payment of 0 (see _qbo_push_refund).
ENTITY_BY_PAYMENT_TYPE = {'inbound': 'Payment', 'outbound': 'Purchase'}
# The payment states in which QuickBooks should hold the payment.
POSTED_STATES = ('in_process', 'paid')
# Payments go after the invoices they settle (which run at 20).
PAYMENT_PRIORITY = 30
# QuickBooks' length limits (2050 beyond them).
PAYMENT_REF_MAX = 21
# The journal's QuickBooks bank account, once matched by name; without one, the Undeposited
# Funds its money received waits in (per journal: a QuickBooks object maps once per kind).
BANK_ACCOUNT_ENTITY = 'Account:Bank'
DEPOSIT_FALLBACK_ENTITY = 'Account:Undeposited:%s'
# The refund: the outbound payment's mapping kinds for its Receive Payment linking the check
# to the credit notes, and for the account named in the refund-account setting.
REFUND_LINK_ENTITY = 'Payment'
REFUND_ACCOUNT_ENTITY = 'Account:Refund'
RECEIVABLE_ACCOUNT_ENTITY = 'Account:Receivable'
# The account a refund leaves from decides what kind of Purchase it is, and how a Receive
# Payment links it (the emulator's ACCOUNTING.md, on links to purchases).
PURCHASE_TYPE_BY_ACCOUNT_TYPE = {'Bank': 'Check', 'Credit Card': 'CreditCard'}
LINKED_TXN_TYPE_BY_PURCHASE_TYPE = {'Check': 'Check', 'CreditCard': 'Expense'}
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
            if self.payment_type == 'outbound':
                return entity, self._qbo_void_refund(job, client)
            return entity, self._qbo_void_txn(job, client, self, entity)
        if self.state not in POSTED_STATES:
            # Reset or cancelled since it was queued: its void job takes care of QuickBooks.
            return entity, False
        if self.payment_type == 'outbound':
            return entity, self._qbo_push_refund(job, client, outcome_unknown)
        values = self._qbo_prepare_values(connection, client)
        result = self._qbo_write_txn(job, client, self, entity, values, job.request_id, outcome_unknown)
        return entity, result['Id']

    @api.model
    def _qbo_write_txn(self, job, client, record, entity, values, request_id, outcome_unknown, current=None):
        """Create or update the QuickBooks transaction ``record`` is mapped to under ``entity``.

        ``entity`` is the mapping's kind: the QuickBooks entity, or the entity followed by
        ``:`` and a qualifier. After an attempt whose outcome is unknown, the transaction is
        looked up (same customer and date, our reference in the private note) before it is
        created again. An update reads the fresh SyncToken first (applying payments changes
        it), unless the caller has just read the transaction (``current``)."""
        connection = job.connection_id
        mappings = self.env['qbo.mapping']
        mapping = mappings._qbo_find(connection, record, entity)
        qbo_entity = entity.split(':', 1)[0]
        if not mapping and outcome_unknown:
            # QuickBooks filters purchases by date only: their payee is checked below.
            customer = values.get('CustomerRef') or values.get('EntityRef')
            condition = f" AND CustomerRef = {qbo_quote(customer['value'])}" if 'CustomerRef' in values else ''
            found = client.query(
                f"SELECT * FROM {qbo_entity} WHERE TxnDate = {qbo_quote(values['TxnDate'])}{condition} "
                f"MAXRESULTS {QUERY_PAGE}")
            found = [f for f in found if record._qbo_reference() in (f.get('PrivateNote') or '')
                     and str((f.get('CustomerRef') or f.get('EntityRef') or {}).get('value')) == str(customer['value'])]
            if found:
                # Odoo may have changed since that attempt (a payment posted alone, reconciled
                # with its invoice before the retry): brought up to date, under a request id of
                # its own, as a write with that attempt's would only replay the create's answer.
                result = client.update(qbo_entity, {**values, 'Id': found[0]['Id'], 'SyncToken': found[0]['SyncToken']},
                                       request_id=f'{request_id}-found')
                mappings._qbo_link(connection, record, entity, result)
                return result
        if mapping:
            current = current or client.read(qbo_entity, mapping.qbo_id)
            result = client.update(qbo_entity, {**values, 'Id': mapping.qbo_id, 'SyncToken': current['SyncToken']},
                                   request_id=request_id)
        else:
            result = client.create(qbo_entity, values, request_id=request_id)
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
        qbo_entity = entity.split(':', 1)[0]
        current = client.read(qbo_entity, qbo_id)
        client.void(qbo_entity, {'Id': qbo_id, 'SyncToken': current['SyncToken']}, request_id=request_id or job.request_id)
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
        back. A void queued when the payment was reset is nothing to do once it is posted
        again and still fits the receipt. Returns (entity, id), or None when no receipt holds
        the payment."""
        connection = job.connection_id
        mapping = self._qbo_receipt_mappings(connection)[:1]
        entity = next((receipt for receipt, part in RECEIPT_PART.items() if part == mapping.qbo_entity), None)
        document = self.env['qbo.mapping']._qbo_find_record(connection, entity, mapping.qbo_id, 'account.move') \
            if mapping else self.env['account.move']
        if not document:
            return None
        receipt = {'SalesReceipt': self.env._('sales receipt'), 'RefundReceipt': self.env._('refund receipt')}[entity]
        if document._qbo_receipt_payment(connection) == self:
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
        and credit notes it is reconciled with. Its customer is the one of the documents it
        settles (QuickBooks links a payment only to its own customer's documents: with
        sub-customers, a contact's), else its partner's."""
        self.ensure_one()
        applied = self._qbo_applied()
        # The documents must be in QuickBooks before anything is written (else it waits).
        lines = self._qbo_payment_lines(connection, applied)
        settled = self.env['account.move'].concat(*(
            move for move, amount in applied.items() if not move.currency_id.is_zero(amount)))._qbo_one_customer_partner(self)
        customer = settled or self.partner_id._qbo_customer_partner(connection)
        values = {
            'CustomerRef': customer._qbo_own_customer_ref(
                connection, client, currency=self.currency_id, invoiced_partner=self.partner_id.sudo()),
            'TxnDate': fields.Date.to_string(self.date),
            'PaymentRefNum': (self.name or '')[:PAYMENT_REF_MAX],
            'PrivateNote': f'{self.name} {self._qbo_reference()}',
        }
        method = self._qbo_payment_method_ref(connection, client)
        if method:
            values['PaymentMethodRef'] = method
        values.update(self._qbo_currency_values(connection))
        values['TotalAmt'] = self.amount
        values['Line'] = lines
        deposit = self._qbo_bank_account_ref(connection, client)
        if deposit:
            values['DepositToAccountRef'] = deposit
        return values

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
                self.currency_id, company_currency, self.company_id, self.date or fields.Date.context_today(self))
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

    # ------------------------------------------------------------------
    # Refunds: a check to the customer, linked to the credit notes it pays out
    # ------------------------------------------------------------------

    def _qbo_push_refund(self, job, client, outcome_unknown):
        """Money paid back to a customer, as QuickBooks records "refund a credit memo by
        check": a Purchase paid to the customer from the refund account, booked to Accounts
        Receivable (QuickBooks' and Odoo's receivable and bank move alike), and, when Odoo
        reconciled the refund with credit notes, a Receive Payment of 0 whose lines link those
        credit memos and the check, so that QuickBooks shows the credit used and the check
        settled, as Odoo does. Without credit notes (an overpayment paid back), the open check
        and the customer's unapplied credit cancel out in the customer's balance, as in Odoo.
        Returns the check's id."""
        connection = job.connection_id
        credits = {move: amount for move, amount in self._qbo_applied().items()
                   if move.move_type == 'out_refund' and not move.currency_id.is_zero(amount)}
        # The credit notes must be in QuickBooks before anything is written (else it waits).
        lines = self._qbo_payment_lines(connection, credits)
        check_mapping = self.env['qbo.mapping']._qbo_find(connection, self, 'Purchase')
        current = client.read('Purchase', check_mapping.qbo_id) if check_mapping else None
        if credits:
            # Paid to the customer of the credit notes (with sub-customers, maybe a contact's).
            payee = self.env['account.move'].concat(*credits)._qbo_one_customer_partner(self)._qbo_own_customer_ref(
                connection, client, currency=self.currency_id, invoiced_partner=self.partner_id.sudo())
        elif current:
            payee = current['EntityRef']  # a check keeps the customer it was paid to
        else:
            payee = self.partner_id._qbo_customer_ref(connection, client, currency=self.currency_id)
        if current and (not credits or str(payee['value']) != str(current['EntityRef']['value'])):
            # QuickBooks changes no payee of a check a payment settles: the link goes first.
            if self._qbo_void_txn(job, client, self, REFUND_LINK_ENTITY, request_id=f'{job.request_id}-unlink'):
                current = None  # voiding the link changed the check's SyncToken
        check_values, linked_type = self._qbo_refund_check_values(connection, client, payee)
        check = self._qbo_write_txn(job, client, self, 'Purchase', check_values, job.request_id, outcome_unknown,
                                    current=current)
        if not credits:
            return check['Id']
        lines.append({'Amount': self.currency_id.round(sum(line['Amount'] for line in lines)),
                      'LinkedTxn': [{'TxnId': check['Id'], 'TxnType': linked_type}]})
        link = {
            'CustomerRef': {k: v for k, v in check_values['EntityRef'].items() if k != 'type'},
            'TxnDate': check_values['TxnDate'],
            'PrivateNote': check_values['PrivateNote'],
            'TotalAmt': 0.0,
            'Line': lines,
        }
        for key in ('CurrencyRef', 'ExchangeRate'):
            if key in check_values:
                link[key] = check_values[key]
        self._qbo_write_txn(job, client, self, REFUND_LINK_ENTITY, link, f'{job.request_id}-link', outcome_unknown)
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
            'Line': [{
                'DetailType': 'AccountBasedExpenseLineDetail',
                'Amount': self.amount,
                'Description': (self.memo or self.name or '')[:4000],
                'AccountBasedExpenseLineDetail': {
                    'AccountRef': self._qbo_receivable_account_ref(connection, client, self.currency_id),
                },
            }],
        }
        if connection.qbo_country_code != 'US':
            values['GlobalTaxCalculation'] = 'NotApplicable'
        values.update(self._qbo_currency_values(connection))
        return values, LINKED_TXN_TYPE_BY_PURCHASE_TYPE[purchase_type]

    def _qbo_void_refund(self, job, client):
        """A refund cancelled in Odoo: its link to the credit notes is voided first (which
        gives the credit back), then its check deleted (QuickBooks voids no purchases through
        the API). Returns the check's id (False if it never reached QuickBooks)."""
        self._qbo_void_txn(job, client, self, REFUND_LINK_ENTITY, request_id=f'{job.request_id}-unlink')
        mappings = self.env['qbo.mapping']
        mapping = mappings._qbo_find(job.connection_id, self, 'Purchase')
        if not mapping:
            return False
        qbo_id = mapping.qbo_id
        try:
            current = client.read('Purchase', qbo_id)
        except QboNotFoundError:
            current = None  # deleted by an attempt whose answer was lost, or by hand
        if current:
            client.delete('Purchase', {'Id': qbo_id, 'SyncToken': current['SyncToken']}, request_id=f'{job.request_id}-delete')
        mapping.sudo().unlink()
        return qbo_id

    @api.model
    def _qbo_receivable_account_ref(self, connection, client, currency):
        """The Accounts Receivable account a refund in ``currency`` books to, chosen once per
        connection and currency: the oldest in that currency. QuickBooks (multicurrency)
        makes one per currency with the first foreign document; where it has none in that
        currency, the home one is sent and QuickBooks decides."""
        record = connection.sudo()
        home = connection._qbo_home_currency()
        code = currency.name if connection.qbo_multicurrency else home
        entity = RECEIVABLE_ACCOUNT_ENTITY if code == home else f'{RECEIVABLE_ACCOUNT_ENTITY}:{code}'
        mappings = self.env['qbo.mapping'].sudo()
        mapping = mappings._qbo_find(connection, record, entity)
        if not mapping:
            accounts = client.query("SELECT * FROM Account WHERE AccountType = 'Accounts Receivable' MAXRESULTS 1000")
            in_currency = {c: [a for a in accounts if (a.get('CurrencyRef') or {}).get('value', home) == c]
                           for c in (code, home)}
            candidates = in_currency[code] or in_currency[home]
            if not candidates:
                raise QboValidationError('no_receivable_account', self.env._(
                    'The QuickBooks company has no Accounts Receivable account for refunds to book to.'))
            account = min(candidates, key=lambda a: int(a['Id']) if str(a['Id']).isdigit() else 0)
            mapping = mappings._qbo_link(connection, record, entity, account)
        return {'value': mapping.qbo_id, 'name': mapping.qbo_name}

    def _qbo_refund_account_ref(self, connection, client):
        """The account a refund is paid from, and its QuickBooks type: the connection's refund
        account when one is set (the Bank or Credit Card account of that name, its type kept
        in the mapping's kind), else the bank account of the payment's journal (see
        _qbo_bank_account_ref)."""
        name = (connection.refund_account_name or '').strip()
        if not name:
            return self._qbo_bank_account_ref(connection, client, refund=True), 'Bank'
        record = connection.sudo()
        mappings = self.env['qbo.mapping'].sudo()
        mapping = mappings.search([
            ('connection_id', '=', connection.id), ('res_model', '=', record._name), ('res_id', '=', record.id),
            ('qbo_entity', '=like', f'{REFUND_ACCOUNT_ENTITY}:%')], limit=1)
        if mapping and not qbo_same_name(mapping.qbo_name, name):
            mapping.unlink()  # the setting changed since
            mapping = mappings
        if not mapping:
            # Read as a list and compared as QuickBooks compares names (any case): there are few.
            found = [a for a in client.query(
                "SELECT * FROM Account WHERE AccountType IN ('Bank', 'Credit Card') MAXRESULTS 1000")
                if a.get('AccountType') in PURCHASE_TYPE_BY_ACCOUNT_TYPE and qbo_same_name(a.get('Name'), name)]
            if not found:
                raise QboValidationError('refund_account', self.env._(
                    'The refund account "%(name)s" set in the QuickBooks settings is not an active Bank or Credit Card '
                    'account of the QuickBooks company: correct the setting (or clear it to pay refunds from the '
                    'journal\'s bank account), then retry.', name=name))
            mapping = mappings._qbo_link(connection, record, f'{REFUND_ACCOUNT_ENTITY}:{found[0]["AccountType"]}', found[0])
        account_type = mapping.qbo_entity.removeprefix(f'{REFUND_ACCOUNT_ENTITY}:')
        return {'value': mapping.qbo_id, 'name': mapping.qbo_name}, account_type

    # ------------------------------------------------------------------
    # Lists the payment refers to: bank account, payment method
    # ------------------------------------------------------------------

    def _qbo_bank_account_ref(self, connection, client, refund=False):
        """The QuickBooks Bank account of the payment's journal: the one named like the journal
        or its bank account number, matched once and then answered from the mapping.

        Without a match, money received goes to Undeposited Funds (QuickBooks' default, where
        it waits to be grouped into a bank deposit), remembered as well, so that a payment in
        steady state costs one request; a refund leaves from the first Bank account unless
        the connection names a refund account (see _qbo_refund_account_ref)."""
        journal = self.journal_id
        mappings = self.env['qbo.mapping'].sudo()
        mapping = mappings._qbo_find(connection, journal, BANK_ACCOUNT_ENTITY) or (
            not refund and mappings._qbo_find(connection, journal, DEPOSIT_FALLBACK_ENTITY % journal.id))
        if mapping:
            return {'value': mapping.qbo_id, 'name': mapping.qbo_name}
        accounts = client.query(
            f"SELECT * FROM Account WHERE AccountType IN ('Bank', 'Other Current Asset') MAXRESULTS {QUERY_PAGE}")
        banks = sorted((a for a in accounts if a.get('AccountType') == 'Bank'),
                       key=lambda a: int(a['Id']) if str(a['Id']).isdigit() else 0)
        names = [journal.name, journal.bank_account_id.acc_number]
        matched = [a for a in qbo_unclaimed(self.env, connection, BANK_ACCOUNT_ENTITY, journal, banks)
                   if any(name and qbo_same_name(a.get('Name'), name) for name in names)]
        if matched:
            mapping = mappings._qbo_link(connection, journal, BANK_ACCOUNT_ENTITY, matched[0])
            return {'value': mapping.qbo_id, 'name': mapping.qbo_name}
        if not refund:
            undeposited = next((a for a in accounts if a.get('AccountSubType') == 'UndepositedFunds'), None)
            if not undeposited:
                return None  # QuickBooks' own default, whatever it is
            mapping = mappings._qbo_link(connection, journal, DEPOSIT_FALLBACK_ENTITY % journal.id, undeposited)
            return {'value': mapping.qbo_id, 'name': mapping.qbo_name}
        home = connection._qbo_home_currency()
        banks = [a for a in banks if (a.get('CurrencyRef') or {}).get('value', home) == self.currency_id.name]
        if not banks:
            raise QboValidationError('no_bank_account', self.env._(
                'QuickBooks needs the bank account a refund is paid from, and the QuickBooks company has no Bank '
                'account in %(currency)s: create one named like the journal %(journal)s (or set the refund account '
                'in the QuickBooks settings), then retry.', currency=self.currency_id.name, journal=journal.display_name))
        return {'value': banks[0]['Id'], 'name': banks[0].get('Name')}

    def _qbo_payment_method_ref(self, connection, client):
        """The QuickBooks payment method of the payment's method line: the one it is mapped
        to (payment method mapping, no request), else the one named like it, created if
        missing, and remembered as its mapping. Lines of several journals named alike share
        the QuickBooks method of their name."""
        method_line = self.payment_method_line_id
        if not method_line:
            return None
        entity = payment_method_entity(method_line)
        mappings = self.env['qbo.mapping'].sudo()
        mapping = mappings._qbo_find(connection, method_line, entity)
        if mapping:
            return {'value': mapping.qbo_id, 'name': mapping.qbo_name}
        name = qbo_name(method_line.name, PAYMENT_METHOD_NAME_MAX)
        if not name:
            return None
        # Another line of that name already went (kind PaymentMethod was the one mapping of
        # a name before lines were mapped one by one).
        method = next(({'Id': m.qbo_id, 'Name': m.qbo_name} for m in mappings.search([
            ('connection_id', '=', connection.id), '|', ('qbo_entity', '=', 'PaymentMethod'),
            ('qbo_entity', '=like', 'PaymentMethod:%')]) if qbo_same_name(m.qbo_name, name)), None)
        if not method:
            found = client.query(f'SELECT * FROM PaymentMethod WHERE Name = {qbo_quote(name)}')
            try:
                method = found[0] if found else client.create('PaymentMethod', {'Name': name})
            except QboDuplicateError as error:
                # Taken by an inactive method (queries list active ones only): use it again.
                if not error.existing_id:
                    raise
                method = client.read('PaymentMethod', error.existing_id)
            method = client.activate('PaymentMethod', method)
        mapping = mappings._qbo_link(connection, method_line, entity, method)
        return {'value': mapping.qbo_id, 'name': mapping.qbo_name}
