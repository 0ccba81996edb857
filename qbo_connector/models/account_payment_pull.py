import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..exceptions import QboValidationError
from ..tools.qbo_objects import is_voided, version
from .account_move_pull import describe
from .qbo_inbound_event import is_odoo_note

_logger = logging.getLogger(__name__)

# What a QuickBooks Payment's lines link to, as Odoo documents.
PULLED_DOCUMENT_TYPES = {'Invoice': 'out_invoice', 'CreditMemo': 'out_refund'}


class AccountPayment(models.Model):
    """Customer payments recorded in QuickBooks, registered in Odoo (issue 10): the mapper from a
    QuickBooks Payment to an Odoo payment and its reconciliation, and what keeps a payment that came
    from QuickBooks from ever being pushed back."""

    _name = 'account.payment'
    _inherit = ['account.payment', 'qbo.conflict.mixin']

    # QuickBooks' answer to Odoo's last write of the payment, as compared (payment_snapshot).
    qbo_pushed_snapshot = fields.Json(copy=False, readonly=True, groups='base.group_user')

    qbo_pulled = fields.Boolean(
        string='From QuickBooks',
        readonly=True,
        copy=False,
        groups='base.group_user',
        help='Recorded in QuickBooks and registered here by the connector: never sent back to QuickBooks.',
    )
    # What of the QuickBooks payment this payment was registered from (amount, date, documents and
    # amounts applied): a later version that differs replaces it.
    qbo_pull_digest = fields.Char(readonly=True, copy=False, groups='base.group_user')
    # The credit notes QuickBooks applied with this payment, reconciled with the invoices it pays:
    # released with the payment when QuickBooks voids, deletes or changes it.
    qbo_pull_partial_ids = fields.Many2many(
        'account.partial.reconcile',
        'qbo_pulled_payment_partial_rel',
        'payment_id',
        'partial_id',
        readonly=True,
        copy=False,
        groups='base.group_user',
    )

    # ------------------------------------------------------------------
    # Never pushed back
    # ------------------------------------------------------------------

    def write(self, vals):
        """Whether a payment came from QuickBooks is the connector's to say: flipped by a user, it
        would be pushed back and recorded twice there."""
        if not self.env.su and {'qbo_pulled', 'qbo_pull_digest', 'qbo_pull_partial_ids'} & set(vals):
            raise AccessError(self.env._('Only the QuickBooks connector marks payments as coming from QuickBooks.'))
        return super().write(vals)

    def _qbo_pushable(self):
        return super()._qbo_pushable().filtered(lambda p: not p.sudo().qbo_pulled)

    def _qbo_enqueue(self, operation):
        if self.env.context.get('qbo_accepting'):
            return self.env['qbo.sync.job']  # QuickBooks already holds what the user accepted
        return super(AccountPayment, self.filtered(lambda p: not p.sudo().qbo_pulled))._qbo_enqueue(operation)

    # ------------------------------------------------------------------
    # A payment Odoo sent, changed in QuickBooks (flagged, never overwritten)
    # ------------------------------------------------------------------

    def _qbo_export(self, job, client, entity, values, role='record', step='', current=None, outcome_unknown=False):
        result = super()._qbo_export(
            job, client, entity, values, role=role, step=step, current=current, outcome_unknown=outcome_unknown
        )
        if entity == 'Payment' and role == 'record' and result:
            self._qbo_write_status({'qbo_pushed_snapshot': payment_snapshot(result)})
        return result

    def _qbo_push(self, job, outcome_unknown=False):
        if self.sudo().qbo_conflict:
            raise QboValidationError(
                'changed_in_quickbooks',
                self.env._(
                    '%(payment)s was changed in QuickBooks and is not sent until someone decides: Push again sends '
                    'Odoo\'s version, Accept keeps QuickBooks\'.',
                    payment=self.display_name,
                ),
            )
        return super()._qbo_push(job, outcome_unknown=outcome_unknown)

    def _qbo_pull_unchanged(self, entity, obj):
        """Whether QuickBooks' version ``obj`` of this payment Odoo sent is the one Odoo sent."""
        self.ensure_one()
        return bool(self.qbo_pushed_snapshot) and self.qbo_pushed_snapshot == payment_snapshot(obj)

    def _qbo_pull_owned(self, connection, obj, mapping):
        """A change QuickBooks made to this payment, which Odoo sent: nothing when it is Odoo's own
        version, else flagged. Returns the payment flagged (empty otherwise)."""
        self.ensure_one()
        deleted = obj.get('status') == 'Deleted'
        if not deleted and version(obj.get('SyncToken')) <= version(mapping.sync_token):
            return self.browse()
        if deleted:
            kind, differences = 'deleted', [(self.env._('Exists'), self.env._('yes'), self.env._('deleted'))]
        elif is_voided(obj):
            kind, differences = 'voided', [(self.env._('Status'), self.env._('open'), self.env._('voided'))]
        else:
            pushed, theirs = self.qbo_pushed_snapshot or {}, payment_snapshot(obj)
            differences = [
                (self.env._(label), describe(key, pushed.get(key)), describe(key, theirs[key]))
                for key, label in (
                    ('customer', 'Customer'),
                    ('date', 'Date'),
                    ('total', 'Amount'),
                    ('links', 'Applied'),
                )
                if pushed and pushed.get(key) != theirs[key]
            ]
            kind = 'changed' if differences else None
        if not kind:
            mapping.write({'sync_token': obj.get('SyncToken')})
            return self.browse()
        self._qbo_flag_conflict(kind, differences, obj)
        return self

    def _qbo_conflict_push_again(self, kind, payload):
        mapping = self._qbo_conflict_mapping('Payment')
        if kind == 'deleted':
            mapping.unlink()
            self._qbo_write_status({'qbo_pushed_snapshot': False})
        else:
            mapping._qbo_take_version(payload)
        if self.state == 'canceled':
            return
        self.env['qbo.sync.job']._qbo_enqueue(self, 'push', priority=30)

    def _qbo_conflict_accept(self, kind, payload):
        mapping = self._qbo_conflict_mapping('Payment')
        if kind in ('voided', 'deleted'):
            if self.state != 'canceled':
                self.with_context(qbo_accepting=True).action_cancel()
            mapping.unlink()
            self._qbo_write_status({'qbo_pushed_snapshot': False})
            mapping = mapping.browse()
        elif payload and mapping:
            mapping.write({'sync_token': payload.get('SyncToken')})
            self._qbo_write_status({'qbo_pushed_snapshot': payment_snapshot(payload)})
        self._qbo_conflict_settle_jobs(kind, mapping, self.state == 'canceled')

    # ------------------------------------------------------------------
    # Pull (in a pull job)
    # ------------------------------------------------------------------

    @api.model
    def _qbo_pull(self, connection, obj):
        """Bring the QuickBooks Payment ``obj`` (or its deletion) into Odoo: registered when new,
        replaced when changed, cancelled when voided or deleted; nothing when it is Odoo's own.
        Returns the Odoo payment that now stands for it (empty when none)."""
        mapping, payment = self._qbo_pull_found(connection, 'Payment', obj)
        if mapping.role == 'record' and payment and not payment.qbo_pulled:
            return payment._qbo_pull_owned(connection, obj, mapping)  # pushed by Odoo: never imported back
        return self._qbo_pull_follow(
            connection, obj, mapping, payment, self._qbo_pull_signature_of, self._qbo_pull_register
        )

    @api.model
    def _qbo_pull_found(self, connection, entity, obj):
        """The mapping of the QuickBooks ``entity`` (Payment, BillPayment) ``obj``, and the Odoo
        payment it names (empty when it names none)."""
        mapping = (
            self.env['qbo.mapping']
            .sudo()
            .search(
                [('connection_id', '=', connection.id), ('qbo_entity', '=', entity), ('qbo_id', '=', str(obj['Id']))],
                limit=1,
            )
        )
        payment = self.browse(mapping.res_id).exists() if mapping.res_model == self._name else self.browse()
        return mapping, payment

    @api.model
    def _qbo_pull_follow(self, connection, obj, mapping, payment, signature, register):
        """Follow a payment recorded in QuickBooks (a customer's Payment or a BillPayment): the one
        reading of versions, voids, deletions and changes for both. ``signature(connection, obj)``
        is what decides its Odoo payment; ``register(connection, obj)`` registers it anew."""
        if mapping and not (mapping.role == 'record' and payment.qbo_pulled):
            return self.browse()  # pushed by Odoo: never imported back
        deleted = obj.get('status') == 'Deleted'
        if not deleted and not payment and is_odoo_note(self.env, obj):
            return self.browse()  # written by Odoo, its answer lost before the mapping was kept
        if payment:
            if (
                not deleted
                and obj.get('SyncToken') is not None
                and version(obj.get('SyncToken')) <= version(mapping.sync_token)
            ):
                return payment  # this version, or a later one, is already in
            if deleted or is_voided(obj):
                payment._qbo_pull_cancel(
                    self.env._('Voided in QuickBooks.') if not deleted else self.env._('Deleted in QuickBooks.')
                )
                if deleted:
                    mapping.unlink()
                else:
                    mapping.write({'sync_token': obj.get('SyncToken')})
                return payment
            if payment.qbo_pull_digest == repr(signature(connection, obj)):
                mapping.write({'sync_token': obj.get('SyncToken')})
                return payment
            # The old one lets go of the documents first: the new one is reconciled for its own amounts.
            mapping.unlink()
            payment._qbo_pull_cancel()
            new = register(connection, obj)
            payment.message_post(
                body=Markup('%s %s') % (self.env._('Changed in QuickBooks: replaced by'), new._get_html_link())
            )
            return new
        if deleted or is_voided(obj):
            return self.browse()  # never in Odoo
        return register(connection, obj)

    @api.model
    def _qbo_pull_linked(self, connection, obj, types):
        """([(move, amount)], [unknown]) of the QuickBooks payment (or bill payment) ``obj``: the
        Odoo documents its lines link to among the QuickBooks ``types``, with the amounts applied,
        and the links to documents Odoo does not have, named for the user."""
        mappings = self.env['qbo.mapping'].sudo()
        applied, unknown = [], []
        for line in obj.get('Line') or []:
            for link in line.get('LinkedTxn') or []:
                txn_type = link.get('TxnType')
                if txn_type not in types:
                    continue
                move = mappings._qbo_record_of(connection, txn_type, link['TxnId'], 'account.move').exists()
                if move:
                    applied.append((move, float(line.get('Amount') or 0.0)))
                else:
                    unknown.append(f'{txn_type} {link["TxnId"]}')
        return applied, unknown

    @api.model
    def _qbo_pull_documents(self, connection, obj):
        """[(move, amount)] the QuickBooks payment ``obj`` applies to, as Odoo documents; raises,
        naming them, when it applies to documents Odoo does not have."""
        applied, unknown = self._qbo_pull_linked(connection, obj, PULLED_DOCUMENT_TYPES)
        if unknown:
            raise QboValidationError(
                'not_in_odoo',
                self.env._(
                    'QuickBooks payment %(id)s pays documents Odoo does not have (%(documents)s): it was left alone. '
                    'Once they are in Odoo and linked, Retry brings it in.',
                    id=obj['Id'],
                    documents=', '.join(unknown),
                ),
            )
        return applied

    @api.model
    def _qbo_pull_partner(self, connection, obj, applied):
        """The Odoo partner of the QuickBooks payment's customer (its mapping), else that of the
        documents it pays."""
        mappings = self.env['qbo.mapping'].sudo()
        customer_id = (obj.get('CustomerRef') or {}).get('value')
        for role in ('record', 'sub_customer'):
            partner = mappings._qbo_record_of(connection, 'Customer', customer_id, 'res.partner', role=role).exists()
            if partner:
                return partner.commercial_partner_id if role == 'record' else partner
        if applied:
            return applied[0][0].commercial_partner_id
        raise QboValidationError(
            'not_in_odoo',
            self.env._(
                'QuickBooks payment %(id)s is from a customer Odoo does not have (%(customer)s) and pays nothing Odoo '
                'has: it was left alone.',
                id=obj['Id'],
                customer=(obj.get('CustomerRef') or {}).get('name') or customer_id,
            ),
        )

    @api.model
    def _qbo_pull_method_line(self, connection, obj):
        """The Odoo payment method line (and so journal) a QuickBooks payment is registered with:
        the journal whose bank account it was deposited to; else the line its payment method is
        registered with (payment method mapping); else a journal that sends to the Undeposited Funds
        account it went to; else the company's first bank journal."""
        mappings = self.env['qbo.mapping'].sudo()
        company = connection.company_id
        deposit = (obj.get('DepositToAccountRef') or {}).get('value')
        method_line = self.env['account.payment.method.line']
        method_id = (obj.get('PaymentMethodRef') or {}).get('value')
        if method_id:
            method = (
                self.env['qbo.payment.method']
                .sudo()
                .search([('connection_id', '=', connection.id), ('qbo_id', '=', str(method_id))], limit=1)
            )
            method_line = method.payment_method_line_id or mappings._qbo_record_of(
                connection, 'PaymentMethod', method_id, method_line._name, role='payment_method'
            )
        journal = self.env['account.journal']
        if deposit:
            journal = mappings._qbo_record_of(connection, 'Account', deposit, journal._name, role='bank_account')
        if not journal and method_line:
            return method_line
        if not journal and deposit:
            journal = mappings._qbo_record_of(connection, 'Account', deposit, journal._name, role='undeposited')
        if not journal:
            journal = journal.search(
                [('company_id', '=', company.id), ('type', '=', 'bank')], order='sequence, id', limit=1
            )
        if method_line.journal_id == journal:
            return method_line
        return journal.inbound_payment_method_line_ids[:1]

    @api.model
    def _qbo_pull_signature_of(self, connection, obj):
        """What of a QuickBooks payment decides its Odoo payment: amount, date, and what it pays."""
        applied = self._qbo_pull_documents(connection, obj)
        return (
            round(float(obj.get('TotalAmt') or 0.0), 2),
            obj.get('TxnDate'),
            tuple(sorted((move.id, round(amount, 2)) for move, amount in applied)),
        )

    @api.model
    def _qbo_pull_register(self, connection, obj):
        """Register the QuickBooks payment ``obj`` as an Odoo customer payment, reconciled with the
        documents it names for the amounts it names; what it leaves unapplied stays an outstanding
        credit of the partner."""
        applied = self._qbo_pull_documents(connection, obj)
        if not float(obj.get('TotalAmt') or 0.0):
            raise QboValidationError(
                'nothing_to_register',
                self.env._(
                    'QuickBooks payment %(id)s is of 0 (it applies credit memos to invoices there): Odoo registers no '
                    'payment of 0; apply the credit notes to the invoices in Odoo.',
                    id=obj['Id'],
                ),
            )
        partner = self._qbo_pull_partner(connection, obj, applied)
        company = connection.company_id
        method_line = self._qbo_pull_method_line(connection, obj)
        if not method_line:
            raise QboValidationError(
                'no_journal',
                self.env._('The company has no bank journal to register QuickBooks payment %(id)s in.', id=obj['Id']),
            )
        currency_code = (obj.get('CurrencyRef') or {}).get('value')
        currency = (
            currency_code and self.env['res.currency'].search([('name', '=', currency_code)], limit=1)
        ) or company.currency_id
        values = {
            'payment_type': 'inbound',
            'partner_type': 'customer',
            'partner_id': partner.id,
            'company_id': company.id,
            'amount': float(obj.get('TotalAmt') or 0.0),
            'currency_id': currency.id,
            'date': obj.get('TxnDate') or fields.Date.context_today(self),
            'journal_id': method_line.journal_id.id,
            'payment_method_line_id': method_line.id,
            'memo': obj.get('PaymentRefNum') or self.env._('QuickBooks payment %(id)s', id=obj['Id']),
            'qbo_pulled': True,
            'qbo_pull_digest': repr(self._qbo_pull_signature_of(connection, obj)),
        }
        payment = self.with_context(qbo_pull=True).with_company(company).create(values)
        if not payment.outstanding_account_id:
            # A journal without an outstanding receipts account gives no journal entry, and so
            # nothing to reconcile the invoices with: the company's one is taken.
            payment.outstanding_account_id = payment._get_outstanding_account('inbound')
        payment.action_post()
        payment._qbo_pull_reconcile(applied)
        self.env['qbo.mapping']._qbo_link(connection, payment, 'Payment', obj)
        payment._qbo_write_status({'qbo_sync_state': 'synced', 'qbo_sync_error': False})
        app = connection.sudo()._qbo_urls().get('app')
        link = app and Markup('<a href="%s" target="_blank">%s</a>') % (
            f'{app}/recvpayment?txnId={obj["Id"]}',
            self.env._('QuickBooks payment %(id)s', id=obj['Id']),
        )
        payment.message_post(
            body=Markup('%s %s') % (self.env._('Recorded in QuickBooks:'), link or obj['Id']),
        )
        return payment

    def _qbo_pull_reconcile(self, applied):
        """Reconcile this payment pulled from QuickBooks, and the credit notes QuickBooks applied
        with it, with the documents it pays — a customer payment's invoices (receivable lines,
        debits), a vendor payment's bills (payable lines, credits) — for the amounts QuickBooks
        names in ``applied`` [(move, amount)]: partial payments and documents due in instalments
        (several open lines, the earliest due first) included."""
        self.ensure_one()
        if not applied:
            return
        customer = self.partner_type == 'customer'
        account_type, document_type = (
            ('asset_receivable', 'out_invoice') if customer else ('liability_payable', 'in_invoice')
        )

        def open_lines(move):
            return move.line_ids.filtered(
                lambda line: line.account_id.account_type == account_type and not line.reconciled
            ).sorted(lambda line: (line.date_maturity or line.date, line.id))

        own = open_lines(self.move_id)
        if self.currency_id != self.company_id.currency_id:
            # Foreign currency: Odoo applies it in full where it can (exchange differences included).
            lines = own
            for move, _amount in applied:
                lines |= open_lines(move)
            lines.with_context(qbo_pull=True).reconcile()
            return
        documents = [(open_lines(move), amount) for move, amount in applied if move.move_type == document_type]
        settlers = [(open_lines(move), amount) for move, amount in applied if move.move_type != document_type]
        settlers.append((own, self.amount))
        partials = plan_partials(documents, settlers, self.currency_id, 1 if customer else -1)
        if partials:
            created = self.env['account.partial.reconcile'].with_context(qbo_pull=True).create(partials)
            self.sudo().qbo_pull_partial_ids = created.filtered(
                lambda p: not (own & (p.debit_move_id | p.credit_move_id))
            )

    def _qbo_pull_cancel(self, reason=None):
        """Cancel this payment (it came from QuickBooks) and release the credit notes QuickBooks
        applied with it, saying why in its chatter."""
        self.ensure_one()
        self.qbo_pull_partial_ids.with_context(qbo_pull=True).unlink()
        if self.state != 'canceled':
            self.with_context(qbo_pull=True).action_cancel()
        if reason:
            self.message_post(body=reason)


def payment_snapshot(obj):
    """What of a QuickBooks Payment makes it the payment it is: customer, date, amount, what it pays."""
    links = sorted(
        [link.get('TxnType') or '', str(link.get('TxnId')), round(float(line.get('Amount') or 0.0), 2)]
        for line in obj.get('Line') or []
        for link in line.get('LinkedTxn') or []
    )
    return {
        'customer': str((obj.get('CustomerRef') or {}).get('value') or ''),
        'date': obj.get('TxnDate') or '',
        'total': round(float(obj.get('TotalAmt') or 0.0), 2),
        'links': links,
    }


def plan_partials(documents, settlers, currency, sign):
    """The partial reconciliations that settle the open lines of ``documents`` [(lines, amount)]
    with those of ``settlers`` [(lines, amount)], in order, for the amounts QuickBooks names, each
    capped by what is still open on either side (company currency). ``sign`` is 1 when the
    documents' lines are debits (customer invoices, settled by credits), -1 when they are credits
    (bills, settled by debits)."""
    partials = []

    def still_open(line, side):
        return max(0.0, sign * side * line.amount_residual - _taken_by(partials, line))

    # Each settler's amount is shared by its lines (a box), spent in their order.
    queue = iter([(line, box) for lines, amount in settlers for box in [[amount]] for line in lines])
    current = next(queue, None)
    for lines, need in documents:
        for line in lines:
            want = min(need, still_open(line, 1))
            while current and currency.compare_amounts(want, 0) > 0:
                settler, box = current
                take = min(want, box[0], still_open(settler, -1))
                if currency.compare_amounts(take, 0) > 0:
                    debit, credit = (line, settler) if sign > 0 else (settler, line)
                    partials.append(
                        {
                            'debit_move_id': debit.id,
                            'credit_move_id': credit.id,
                            'amount': take,
                            'debit_amount_currency': take,
                            'credit_amount_currency': take,
                        }
                    )
                    want -= take
                    need -= take
                    box[0] -= take
                if currency.compare_amounts(box[0], 0) <= 0 or currency.is_zero(still_open(settler, -1)):
                    current = next(queue, None)
    return partials


def _taken_by(partials, line):
    """What the partials planned so far take of ``line``, on whichever side it is."""
    return sum(p['amount'] for p in partials if line.id in (p['debit_move_id'], p['credit_move_id']))
