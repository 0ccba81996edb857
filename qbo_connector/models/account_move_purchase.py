from odoo import fields, models

from .. import const
from ..exceptions import QboValidationError
from .account_move import ENTITY_BY_MOVE_TYPE, EXCHANGE_RATE_DIGITS, RECEIPT_BY_MOVE_TYPE

# What the company owes its vendors: a vendor bill is a QuickBooks Bill, a vendor credit note
# a VendorCredit. QuickBooks voids neither through its API: cancelled in Odoo, they are deleted.
PURCHASE_ENTITY_BY_MOVE_TYPE = {'in_invoice': 'Bill', 'in_refund': 'VendorCredit'}
# The memo a bill carries (PrivateNote): QuickBooks' limit.
PRIVATE_NOTE_MAX = 4000


class AccountMove(models.Model):
    """Vendor bills and vendor credit notes (the mapper, the push, its lost-answer rules).
    Invoices and credit notes are in account_move.py; this file adds the purchase side to
    its hooks (_qbo_pushable, _qbo_push, _qbo_prepare_values) by move type."""

    # A file of its own (issue 12): account_move.py is the sales side's.
    _inherit = 'account.move'  # pylint: disable=consider-merging-classes-inherited

    _qbo_entities = (
        *ENTITY_BY_MOVE_TYPE.values(),
        *RECEIPT_BY_MOVE_TYPE.values(),
        *PURCHASE_ENTITY_BY_MOVE_TYPE.values(),
    )

    def _qbo_pushable(self):
        return super()._qbo_pushable() | self.filtered(
            lambda m: m.move_type in PURCHASE_ENTITY_BY_MOVE_TYPE and m.state == 'posted'
        )

    def _qbo_push(self, job, outcome_unknown=False):
        if self.move_type not in PURCHASE_ENTITY_BY_MOVE_TYPE:
            return super()._qbo_push(job, outcome_unknown=outcome_unknown)
        return self._qbo_push_purchase(job, outcome_unknown=outcome_unknown)

    def _qbo_prepare_values(self, connection, client):
        if self.move_type not in PURCHASE_ENTITY_BY_MOVE_TYPE:
            return super()._qbo_prepare_values(connection, client)
        return self._qbo_prepare_purchase_values(connection, client)

    # ------------------------------------------------------------------
    # Push (in the job)
    # ------------------------------------------------------------------

    def _qbo_push_purchase(self, job, outcome_unknown=False):
        """Create or update (posted), or delete (cancelled: job ``void``) this bill's Bill or
        vendor credit note's VendorCredit. Returns (entity, id).

        Reset to draft or cancelled since it was queued, nothing is sent; unless the attempt
        whose answer was lost created it: found (by vendor reference, else by date and the
        reference in its memo), it is bound, and deleted if the bill is cancelled (cancelling
        queued no delete: Odoo knew of nothing in QuickBooks), updated when posted again."""
        self.ensure_one()
        connection = job.connection_id
        client = connection._qbo_client()
        entity = PURCHASE_ENTITY_BY_MOVE_TYPE[self.move_type]
        if job.operation == 'void':
            return entity, self._qbo_delete(job, client, entity)
        if self.state != 'posted':
            mapping = self.env['qbo.mapping']._qbo_find(connection, self, entity)
            if not mapping and outcome_unknown:
                lost = self._qbo_find_lost(client, entity, self._qbo_purchase_lookup())
                if lost:
                    mapping = self.env['qbo.mapping']._qbo_link(connection, self, entity, lost)
                    if self.state == 'cancel':
                        return entity, self._qbo_delete(job, client, entity)
            return entity, mapping.qbo_id or False
        values = self._qbo_prepare_purchase_values(connection, client)
        result = self._qbo_export(job, client, entity, values, outcome_unknown=outcome_unknown)
        return entity, result['Id']

    def _qbo_find_lost(self, client, entity, values, duplicate=None, job=None):
        """A Bill or VendorCredit an attempt whose answer was lost made: by its vendor reference
        (DocNumber), else — no reference, or the reference changed since (reset, edited, posted
        again) — by its date and the reference to this document in its memo."""
        if entity not in PURCHASE_ENTITY_BY_MOVE_TYPE.values():
            return super()._qbo_find_lost(client, entity, values, duplicate, job)
        found = None
        if values.get('DocNumber'):
            found, _others = self._qbo_find_by_number(client, entity, values['DocNumber'])
        if not found:
            dated = {'TxnDate': values.get('TxnDate') or fields.Date.to_string(self.invoice_date or self.date)}
            found = super()._qbo_find_lost(client, entity, dated)
        if duplicate and not found:
            raise duplicate
        return found

    def _qbo_purchase_lookup(self):
        """What a lost Bill or VendorCredit of this document is looked for by (_qbo_find_lost):
        its vendor reference, and its date (and, always, the reference in its memo)."""
        return {'DocNumber': (self.ref or '').strip(), 'TxnDate': fields.Date.to_string(self.invoice_date or self.date)}

    # ------------------------------------------------------------------
    # Mapper
    # ------------------------------------------------------------------

    def _qbo_purchase_doc_number(self):
        """The vendor reference as the Bill's number (DocNumber, "Bill no." in QuickBooks), or
        None: a bill without one goes without a number, which QuickBooks allows; its Odoo number
        is in its memo. Longer than QuickBooks takes, it fails, saying so (a number cut short
        would be another vendor invoice's)."""
        number = (self.ref or '').strip()
        if not number:
            return None
        if len(number) > const.DOC_NUMBER_MAX:
            raise QboValidationError(
                '2050',
                self.env._(
                    'The vendor reference %(number)s is %(length)s characters long; QuickBooks takes at most %(max)s '
                    'as the bill number. Shorten the bill reference, then retry.',
                    number=number,
                    length=len(number),
                    max=const.DOC_NUMBER_MAX,
                ),
            )
        return number

    def _qbo_prepare_purchase_values(self, connection, client):
        """The mapper: this vendor bill as a QuickBooks Bill, this vendor credit note as a
        VendorCredit.

        Lines with a product are item lines (ItemBasedExpenseLineDetail: QuickBooks books them
        to the item's expense account); lines without are account lines
        (AccountBasedExpenseLineDetail) to the QuickBooks account of the line's Odoo account
        (account.account._qbo_expense_account_ref).

        Taxes: QuickBooks US keeps no tax on purchases, so a US bill's tax, as Odoo computes
        it, is part of its lines' cost (each line's amount with its tax; a cent of global
        rounding on the largest line): the Bill's total is Odoo's. Elsewhere each line carries
        the tax code of its tax (the tax mapping, as for invoices), its amount without tax, and
        the bill Odoo's tax (TxnTaxDetail.TotalTax, GlobalTaxCalculation TaxExcluded, also for
        tax-included prices, whose net Odoo knows)."""
        self.ensure_one()
        lines = self.invoice_line_ids.filtered(lambda l: l.display_type == 'product').sorted(
            lambda l: (l.sequence, l.id)
        )
        if not lines:
            raise QboValidationError('odoo', self.env._('The document has no lines to send.'))
        us = connection.qbo_country_code == 'US'
        currency = self.currency_id
        amounts = [currency.round(line.price_total if us else line.price_subtotal) for line in lines]
        target = self.amount_total if us else self.amount_untaxed
        difference = currency.round(target - sum(amounts))
        if not currency.is_zero(difference):
            largest = max(range(len(amounts)), key=lambda i: abs(amounts[i]))
            amounts[largest] = currency.round(amounts[largest] + difference)
        number = self._qbo_purchase_doc_number()
        values = {
            'VendorRef': self.partner_id._qbo_vendor_ref(connection, client, currency=currency),
            'TxnDate': fields.Date.to_string(self.invoice_date or self.date),
            'PrivateNote': f'{self.name} {self._qbo_reference()}'[:PRIVATE_NOTE_MAX],
            'Line': [
                line._qbo_prepare_expense_line(connection, client, amount, us)
                for line, amount in zip(lines, amounts, strict=True)
            ],
        }
        if number:
            values['DocNumber'] = number
        if self.move_type == 'in_invoice' and self.invoice_date_due:
            values['DueDate'] = fields.Date.to_string(self.invoice_date_due)
            term = self.invoice_payment_term_id._qbo_term_ref(connection, client)
            if term:
                values['SalesTermRef'] = term
        if connection.qbo_multicurrency:
            values['CurrencyRef'] = {'value': currency.name}
            if currency != self.company_id.currency_id:
                values['ExchangeRate'] = round(1 / self.invoice_currency_rate, EXCHANGE_RATE_DIGITS)
        if not us:
            values['GlobalTaxCalculation'] = 'TaxExcluded'
            values['TxnTaxDetail'] = {'TotalTax': currency.round(self.amount_tax)}
        return values
