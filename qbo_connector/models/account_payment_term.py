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
        term is a label. Once mapped, no request is made."""
        if not self:
            return None
        self.ensure_one()
        term = self.sudo()
        mappings = self.env['qbo.mapping'].sudo()
        mapping = mappings._qbo_find(connection, term, 'Term')
        if mapping:
            return {'value': mapping.qbo_id, 'name': mapping.qbo_name}
        name = qbo_name(term.name, TERM_NAME_MAX)
        days = term._qbo_due_days()
        if not name or days is None:
            return None
        found = [t for t in client.query(f'SELECT * FROM Term WHERE Name = {qbo_quote(name)} AND Active IN (true, false)')
                 if qbo_same_name(t.get('Name'), name)]
        if not found:
            try:
                found = [client.create('Term', {'Name': name, 'DueDays': days})]
            except QboDuplicateError as error:
                # Names are unique whatever their case, and '=' in a query minds it: the
                # term QuickBooks names is this one.
                if not error.existing_id:
                    raise
                found = [client.read('Term', error.existing_id)]
        mapping = mappings._qbo_link(connection, term, 'Term', client.activate('Term', found[0]))
        return {'value': mapping.qbo_id, 'name': mapping.qbo_name}

    def _qbo_due_days(self):
        """N when the whole amount is due N days after the invoice date, else None (end of
        month rules, instalments and early discounts have no QuickBooks Term equivalent)."""
        lines = self.line_ids
        if len(lines) != 1 or self.early_discount:
            return None
        if lines.value != 'percent' or lines.value_amount != 100.0 or lines.delay_type != 'days_after':
            return None
        return lines.nb_days
