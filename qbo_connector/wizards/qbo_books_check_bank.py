from odoo import api, fields, models

from ..models.account_payment import POSTED_STATES


class QboBooksCheck(models.TransientModel):
    """The books check extended to deposits (issue 12, items 6 and 7): each QuickBooks Deposit
    Odoo made — a statement line's deposit of payments, a trust receipt — against what Odoo
    holds: the payments the line is reconciled with, the trust receipt's amount."""

    # A file of its own: qbo_books_check.py compares the documents and customers.
    _inherit = 'qbo.books.check'  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _qbo_compare(self, connection):
        result = super()._qbo_compare(connection)
        mappings = (
            self.env['qbo.mapping']
            .sudo()
            .search([('connection_id', '=', connection.id), ('qbo_entity', '=', 'Deposit'), ('role', '=', 'record')])
        )
        if mappings:
            result['differences'] += self._qbo_deposit_differences(connection, mappings)
            result['document_count'] += len(mappings)
        return result

    @api.model
    def _qbo_deposit_differences(self, connection, mappings):
        """Each mapped Deposit's TotalAmt against the payments its statement line is reconciled
        with (the trust receipt's amount), zero when no longer in Odoo's books."""
        differences = []
        deposits = self._qbo_fetch_all(connection._qbo_client(), 'Deposit')
        # The records of every model at once (statement lines, trust receipts), not one query each.
        existing = {}
        for model in set(mappings.mapped('res_model')):
            ids = mappings.filtered(lambda m, model=model: m.res_model == model).mapped('res_id')
            existing.update({(model, r.id): r for r in self.env[model].browse(ids).exists()})
        for mapping in mappings:
            record = existing.get((mapping.res_model, mapping.res_id)) or self.env[mapping.res_model]
            doc = deposits.get(mapping.qbo_id)
            move = record.move_id if record else self.env['account.move']
            if not record or doc is None:
                differences.append(self._qbo_missing(move, mapping, doc is not None))
                continue
            if record._name == 'account.bank.statement.line':
                odoo_amount = record._qbo_deposit_amount(connection)
                currency = record.currency_id
            else:
                odoo_amount = record.amount if record.state in POSTED_STATES else 0.0
                currency = record.currency_id
            qbo_amount = float(doc.get('TotalAmt') or 0.0)
            if currency.compare_amounts(odoo_amount, qbo_amount):
                differences.append(
                    {
                        'kind': 'deposit',
                        'record': move,
                        'qbo_entity': 'Deposit',
                        'qbo_id': mapping.qbo_id,
                        'field': 'total',
                        'odoo': odoo_amount,
                        'qbo': qbo_amount,
                        'currency': currency,
                    }
                )
        return differences


class QboBooksCheckLine(models.TransientModel):
    _inherit = 'qbo.books.check.line'  # pylint: disable=consider-merging-classes-inherited

    kind = fields.Selection(selection_add=[('deposit', 'Deposit')], ondelete={'deposit': 'cascade'})
