from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..exceptions import QboError

KIND_BY_ENTITY = {
    'Invoice': 'invoice',
    'CreditMemo': 'credit_note',
    'SalesReceipt': 'sales_receipt',
    'RefundReceipt': 'refund_receipt',
    'Bill': 'bill',
    'VendorCredit': 'vendor_credit',
}
# What the company owes its vendors. QuickBooks US keeps no tax on them: a US bill's tax is in
# its lines (account.move._qbo_prepare_purchase_values), and compared as none.
PAYABLES = ('Bill', 'VendorCredit')
# A credit memo's open amount is its RemainingCredit (QuickBooks mirrors it in Balance); a
# receipt is paid when written, its Balance always 0, against which an Odoo document no
# longer settled at once shows what it still owes.
BALANCE_KEY = {
    'Invoice': 'Balance',
    'CreditMemo': 'RemainingCredit',
    'SalesReceipt': 'Balance',
    'RefundReceipt': 'Balance',
    'Bill': 'Balance',
    'VendorCredit': 'Balance',
}

KINDS = [
    ('invoice', 'Invoice'),
    ('credit_note', 'Credit Note'),
    ('sales_receipt', 'Sales Receipt'),
    ('refund_receipt', 'Refund Receipt'),
    ('bill', 'Vendor Bill'),
    ('vendor_credit', 'Vendor Credit'),
    ('customer', 'Customer'),
    ('vendor', 'Vendor'),
    ('missing', 'Missing'),
]
COMPARED = [
    ('total', 'Total'),
    ('tax', 'Tax'),
    ('balance', 'Balance'),
    ('receivable', 'Receivable'),
    ('payable', 'Payable'),
    ('exists', 'Exists'),
]


class QboBooksCheck(models.TransientModel):
    """Compares what QuickBooks holds with what Odoo holds, for one connection (invariant 5:
    the books agree). Read-only on both sides: it reports, the user decides."""

    _name = 'qbo.books.check'
    _description = 'QuickBooks Online Books Check'
    _rec_name = 'connection_id'

    connection_id = fields.Many2one('qbo.connection', required=True, ondelete='cascade')
    company_id = fields.Many2one(related='connection_id.company_id', store=True)  # its record rule's
    run_date = fields.Datetime(string='Checked On', readonly=True)
    line_ids = fields.One2many('qbo.books.check.line', 'check_id', string='Differences', readonly=True)
    document_count = fields.Integer(string='Documents Checked', readonly=True)
    customer_count = fields.Integer(string='Customers Checked', readonly=True)
    difference_count = fields.Integer(string='Differences Found', compute='_compute_difference_count')

    @api.depends('line_ids')
    def _compute_difference_count(self):
        for check in self:
            check.difference_count = len(check.line_ids)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_run(self):
        """Compare now and show the differences on this check's form."""
        self.ensure_one()
        try:
            result = self._qbo_compare(self.connection_id)
        except QboError as exc:
            raise UserError(self.env._('The books could not be checked: %(error)s', error=exc.message)) from exc
        self.line_ids.unlink()
        lines = self.env['qbo.books.check.line']
        self.write(
            {
                'run_date': fields.Datetime.now(),
                'document_count': result['document_count'],
                'customer_count': result['customer_count'],
                'line_ids': [fields.Command.create(lines._qbo_values(d)) for d in result['differences']],
            }
        )
        return {
            'type': 'ir.actions.act_window',
            'name': self.env._('Books Check'),
            'res_model': self._name,
            'res_id': self.id,
            'view_mode': 'form',
            'target': 'current',
        }

    @api.model
    def _qbo_run_for(self, connection):
        """The connection form's "Check the Books": a new check, run at once."""
        connection.ensure_one()
        return self.create({'connection_id': connection.id}).action_run()

    # ------------------------------------------------------------------
    # The comparison
    # ------------------------------------------------------------------

    @api.model
    def _qbo_compare(self, connection):
        """{'differences': every disagreement between Odoo and QuickBooks for ``connection``,
        'document_count', 'customer_count'}. A difference is a dict: ``{'kind': 'invoice' |
        'credit_note' | 'sales_receipt' | 'refund_receipt' | 'customer' | 'missing', 'record', 'qbo_entity',
        'qbo_id', 'field': 'total' | 'tax' | 'balance' | 'receivable' | 'exists', 'odoo', 'qbo', 'currency'}``;
        for 'missing' the amounts say which side has the object (1.0 where it exists).

        QuickBooks is read entity by entity, a page of 1000 at a time, so the number of
        requests grows with the size of the QuickBooks company in thousands, never with
        the number of documents one by one."""
        connection.ensure_one()
        # The mappings are the connector's bookkeeping, read for whoever may see the
        # connection (companies are walls); the moves and partners are read with the
        # caller's own rights.
        connection.check_access('read')
        client = connection._qbo_client()
        mappings = self.env['qbo.mapping'].sudo().search([('connection_id', '=', connection.id)])
        doc_mappings = mappings.filtered(
            lambda m: m.res_model == 'account.move' and m.qbo_entity in KIND_BY_ENTITY and m.role == 'record'
        )
        customer_mappings = mappings.filtered(
            lambda m: m.res_model == 'res.partner' and m.qbo_entity == 'Customer' and m.role == 'record'
        )
        differences = self._qbo_document_differences(client, doc_mappings)
        differences += self._qbo_customer_differences(client, connection, customer_mappings)
        vendor_mappings = mappings.filtered(
            lambda m: m.res_model == 'res.partner' and m.qbo_entity == 'Vendor' and m.role == 'record'
        )
        differences += self._qbo_vendor_differences(client, connection, vendor_mappings, doc_mappings)
        return {
            'differences': differences,
            'document_count': len(doc_mappings),
            'customer_count': len(customer_mappings),
        }

    @api.model
    def _qbo_fetch_all(self, client, entity, condition=None):
        """Every object of ``entity`` in QuickBooks (matching ``condition``), by Id."""
        where = f' WHERE {condition}' if condition else ''
        return {str(obj['Id']): obj for obj in client.query_all(f'SELECT * FROM {entity}{where}')}

    @api.model
    def _qbo_document_differences(self, client, doc_mappings):
        """Each mapped invoice and credit note, whether QuickBooks holds it as an invoice or
        credit memo or as a sales or refund receipt, and each mapped vendor bill and vendor
        credit note (Bill, VendorCredit; payables, whose tax is none in the US): TotalAmt,
        TxnTaxDetail.TotalTax (plus the lines of the tax item) and Balance (RemainingCredit for a
        credit memo; always 0 for a receipt) against amount_total, amount_tax and amount_residual, all in the document's
        currency, compared at its rounding.

        Only a posted document counts in Odoo's books: a cancelled one counts for zero (its
        QuickBooks twin is voided, all amounts zero), and so does one reset to draft, which
        QuickBooks keeps open until it is posted again."""
        differences = []
        # Iterated, not browsed one by one, so that the moves are read in one batch.
        moves = {move.id: move for move in self.env['account.move'].browse(doc_mappings.mapped('res_id')).exists()}
        no_move = self.env['account.move']
        # Taxes QuickBooks cannot carry as a tax code go as lines of the tax item: tax all the
        # same, under every item that was the tax item when they went.
        tax_items = doc_mappings.connection_id[:1]._qbo_tax_item_ids() if doc_mappings else set()
        untaxed_payables = doc_mappings.connection_id[:1].qbo_country_code == 'US'
        for entity in KIND_BY_ENTITY:
            mappings = doc_mappings.filtered_domain([("qbo_entity", "=", entity)])
            if not mappings:
                continue
            qbo_docs = self._qbo_fetch_all(client, entity)
            for mapping in mappings:
                move = moves.get(mapping.res_id, no_move)
                doc = qbo_docs.get(mapping.qbo_id)
                if not move or doc is None:
                    # Deleted on one side only: the other still counts it in its books, unless it
                    # is the voided twin of a document deleted in Odoo (zero, as a cancelled one's).
                    voided = doc is not None and not any(
                        float(doc.get(key) or 0.0) for key in ('TotalAmt', BALANCE_KEY[entity])
                    )
                    if move or (doc is not None and not voided):
                        differences.append(self._qbo_missing(move, mapping, doc is not None))
                    continue
                compared = self._qbo_document_compared(move, entity, doc, tax_items, untaxed_payables)
                for field, odoo_amount, qbo_amount in compared:
                    if move.currency_id.compare_amounts(odoo_amount, qbo_amount):
                        differences.append(
                            {
                                'kind': KIND_BY_ENTITY[entity],
                                'record': move,
                                'qbo_entity': entity,
                                'qbo_id': mapping.qbo_id,
                                'field': field,
                                'odoo': odoo_amount,
                                'qbo': qbo_amount,
                                'currency': move.currency_id,
                            }
                        )
        return differences

    @api.model
    def _qbo_document_compared(self, move, entity, doc, tax_items, untaxed_payables):
        """[(field, Odoo's amount, QuickBooks' amount)] of the document ``move`` and its QuickBooks
        ``entity`` ``doc``: total, tax and balance as the books count them (a document not posted
        counts for zero)."""
        posted = move.state == 'posted'
        compared = (
            ('total', move.amount_total, doc.get('TotalAmt')),
            (
                'tax',
                0.0 if untaxed_payables and entity in PAYABLES else move.amount_tax,
                float((doc.get('TxnTaxDetail') or {}).get('TotalTax') or 0.0)
                + sum(
                    float(line.get('Amount') or 0.0)
                    for line in doc.get('Line') or []
                    if (line.get('SalesItemLineDetail') or {}).get('ItemRef', {}).get('value') in tax_items
                ),
            ),
            ('balance', move.amount_residual, doc.get(BALANCE_KEY[entity], doc.get('Balance'))),
        )
        return [(field, odoo if posted else 0.0, float(qbo or 0.0)) for field, odoo, qbo in compared]

    @api.model
    def _qbo_compare_document(self, connection, move, entity, doc):
        """The books check's comparison of one document (see _qbo_document_compared): the
        fields whose amounts differ, as (field, Odoo's, QuickBooks')."""
        compared = self._qbo_document_compared(
            move, entity, doc, connection._qbo_tax_item_ids(), connection.qbo_country_code == 'US'
        )
        return [(f, o, q) for f, o, q in compared if move.currency_id.compare_amounts(o, q)]

    @api.model
    def _qbo_customer_differences(self, client, connection, customer_mappings):
        """Each mapped customer: Odoo's open receivable against QuickBooks' Customer.BalanceWithJobs.

        QuickBooks' Balance of a customer is, in the customer's currency, the open Balance of
        its invoices, minus the RemainingCredit of its credit memos, minus the UnappliedAmt of
        its payments; BalanceWithJobs adds its sub-customers' balances, where the documents
        of the company's contacts go with "Child contacts as sub-customers" (a
        sub-customer's mapping has the role sub_customer, never compared by itself). Odoo's
        counterpart is therefore not only the residual of invoices and credit notes but of
        every open posted receivable journal item of the commercial partner (its contacts'
        included) in the company, which also holds the payments not yet matched with an
        invoice:

        - the home currency customer (a mapping without currency): the sum of
          ``amount_residual``, in the company currency, of those items in every currency that
          has no customer of its own;
        - a customer of a currency CUR (multicurrency: one QuickBooks customer per currency):
          the sum of ``amount_residual_currency`` of those items in CUR.

        Documents QuickBooks has and Odoo does not (or the other way round: dated before
        the start date, not pushed yet, refused) show up here as a receivable difference.
        """
        if not customer_mappings:
            return []
        company = connection.company_id
        partners = self.env['res.partner'].browse(customer_mappings.mapped('res_id')).exists()
        partner_by_id = {partner.id: partner for partner in partners}
        own_currency = {(m.res_id, m.currency_id) for m in customer_mappings if m.currency_id}
        receivable = defaultdict(float)
        groups = self.env['account.move.line']._read_group(
            [
                ('company_id', '=', company.id),
                ('parent_state', '=', 'posted'),
                ('account_id.account_type', '=', 'asset_receivable'),
                ('partner_id.commercial_partner_id', 'in', partners.ids),
            ],
            ['partner_id', 'currency_id'],
            ['amount_residual:sum', 'amount_residual_currency:sum'],
        )
        for partner, currency, residual, residual_currency in groups:
            commercial = partner.commercial_partner_id.id
            if (commercial, currency) in own_currency:
                receivable[commercial, currency] += residual_currency
            else:
                receivable[commercial, None] += residual

        # Name lists answer active objects only unless asked; a customer made inactive in
        # QuickBooks is still in its books, not missing.
        customers = self._qbo_fetch_all(client, 'Customer', 'Active IN (true, false)')
        differences = []
        for mapping in customer_mappings:
            partner = partner_by_id.get(mapping.res_id, partners.browse())
            customer = customers.get(mapping.qbo_id)
            if not partner or customer is None:
                if partner or customer is not None:
                    differences.append(self._qbo_missing(partner, mapping, customer is not None))
                continue
            currency = mapping.currency_id or company.currency_id
            odoo_amount = receivable[partner.id, mapping.currency_id or None]
            qbo_amount = float(customer.get('BalanceWithJobs', customer.get('Balance')) or 0.0)
            if currency.compare_amounts(odoo_amount, qbo_amount):
                differences.append(
                    {
                        'kind': 'customer',
                        'record': partner,
                        'qbo_entity': mapping.qbo_entity,
                        'qbo_id': mapping.qbo_id,
                        'field': 'receivable',
                        'odoo': odoo_amount,
                        'qbo': qbo_amount,
                        'currency': currency,
                    }
                )
        return differences

    @api.model
    def _qbo_vendor_differences(self, client, connection, vendor_mappings, doc_mappings):
        """Each mapped vendor: what Odoo owes it on the bills and vendor credit notes the
        connector sent (their open payable, a credit note's counting against it) against
        QuickBooks' Vendor.Balance (open Bills less unused VendorCredits). In the vendor's currency
        when it has one of its own (multicurrency), else in the company's, as for customers."""
        if not vendor_mappings:
            return []
        company = connection.company_id
        partners = self.env['res.partner'].browse(vendor_mappings.mapped('res_id')).exists()
        partner_by_id = {partner.id: partner for partner in partners}
        own_currency = {(m.res_id, m.currency_id) for m in vendor_mappings if m.currency_id}
        bill_ids = doc_mappings.filtered(lambda m: m.qbo_entity in PAYABLES).mapped('res_id')
        payable = defaultdict(float)
        groups = self.env['account.move.line']._read_group(
            [
                ('company_id', '=', company.id),
                ('parent_state', '=', 'posted'),
                ('move_id', 'in', bill_ids),
                ('account_id.account_type', '=', 'liability_payable'),
                ('partner_id.commercial_partner_id', 'in', partners.ids),
            ],
            ['partner_id', 'currency_id'],
            ['amount_residual:sum', 'amount_residual_currency:sum'],
        )
        for partner, currency, residual, residual_currency in groups:
            commercial = partner.commercial_partner_id.id
            if (commercial, currency) in own_currency:
                payable[commercial, currency] -= residual_currency
            else:
                payable[commercial, None] -= residual
        vendors = self._qbo_fetch_all(client, 'Vendor', 'Active IN (true, false)')
        differences = []
        for mapping in vendor_mappings:
            partner = partner_by_id.get(mapping.res_id, partners.browse())
            vendor = vendors.get(mapping.qbo_id)
            if not partner or vendor is None:
                if partner or vendor is not None:
                    differences.append(self._qbo_missing(partner, mapping, vendor is not None))
                continue
            currency = mapping.currency_id or company.currency_id
            odoo_amount = payable[partner.id, mapping.currency_id or None]
            qbo_amount = float(vendor.get('Balance') or 0.0)
            if currency.compare_amounts(odoo_amount, qbo_amount):
                differences.append(
                    {
                        'kind': 'vendor',
                        'record': partner,
                        'qbo_entity': mapping.qbo_entity,
                        'qbo_id': mapping.qbo_id,
                        'field': 'payable',
                        'odoo': odoo_amount,
                        'qbo': qbo_amount,
                        'currency': currency,
                    }
                )
        return differences

    @api.model
    def _qbo_missing(self, record, mapping, in_qbo):
        """A mapped object that one side no longer has (deleted in QuickBooks, or in Odoo)."""
        return {
            'kind': 'missing',
            'record': record,
            'qbo_entity': mapping.qbo_entity,
            'qbo_id': mapping.qbo_id,
            'field': 'exists',
            'odoo': float(bool(record)),
            'qbo': float(in_qbo),
            'currency': self.env['res.currency'],
        }
