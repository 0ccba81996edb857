from odoo import models

from ..exceptions import QboDuplicateError
from ..tools.qbo_client import qbo_quote
from ..tools.qbo_names import qbo_name, qbo_same_name

TERM_NAME_MAX = 31


class AccountPaymentTerm(models.Model):
    _inherit = 'account.payment.term'

    def _qbo_term_ref(self, connection, client):
        """The QuickBooks Term of this payment term, as a reference, when QuickBooks can
        express it (all due N days after the invoice date): matched by name (any case), else
        created. None otherwise, without a request (so that such invoices still cost one
        request each): the invoice carries its due date, which is what the books need; the
        term is a label. No request once mapped."""
        if not self:
            return None
        self.ensure_one()
        term = self.sudo()
        return self.env['qbo.mapping']._qbo_resolve(
            connection, term, 'Term', lambda: term._qbo_match_or_create(client), role='term'
        )

    def _qbo_match_or_create(self, client):
        """The QuickBooks Term of this term's name, made active if it was not, else created;
        None when QuickBooks cannot express the term."""
        values = self._qbo_prepare_values()
        if not values:
            return None
        found = [
            t
            for t in client.query(
                f"SELECT * FROM Term WHERE Name = {qbo_quote(values['Name'])} AND Active IN (true, false)"
            )
            if qbo_same_name(t.get('Name'), values['Name'])
        ]
        if not found:
            try:
                return client.create('Term', values)
            except QboDuplicateError as error:
                # Names are unique whatever their case, and '=' in a query minds it: the
                # term QuickBooks names is this one.
                if not error.existing_id:
                    raise
                found = [client.read('Term', error.existing_id)]
        return client.activate('Term', found[0])

    def _qbo_prepare_values(self):
        """The mapper: this term as a QuickBooks Term, or None when it cannot be one: QuickBooks
        says only "all due N days after the invoice date" (end of month rules, instalments and
        early discounts have no QuickBooks equivalent)."""
        name = qbo_name(self.name, TERM_NAME_MAX)
        line = self.line_ids
        if (
            not name
            or len(line) != 1
            or self.early_discount
            or line.value != 'percent'
            or line.value_amount != 100.0
            or line.delay_type != 'days_after'
        ):
            return None
        return {'Name': name, 'DueDays': line.nb_days}
