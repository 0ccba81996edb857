from odoo import api, fields, models

from ..tools.qbo_names import qbo_name, qbo_same_name
from .account_payment_method_line import PAYMENT_METHOD_NAME_MAX

LINE_MODEL = 'account.payment.method.line'
# The journals Odoo registers payments in.
PAYMENT_JOURNAL_TYPES = ('bank', 'cash', 'credit')


class QboPaymentMethod(models.Model):
    """The payment methods of a connection's QuickBooks company, as last read from it: what
    the payment method mapping offers. Each also says which Odoo payment method line (and so
    journal) a payment QuickBooks records with it is registered with in Odoo — chosen on the
    mapping screen, else the line that goes to it (_qbo_default_lines) — for the coming pull of
    payments, which has no reader yet."""

    _name = 'qbo.payment.method'
    _inherit = ['qbo.list.cache']
    _description = 'QuickBooks Online Payment Method'
    _order = 'connection_id, name, id'

    qbo_type = fields.Selection(
        [('CREDIT_CARD', 'Credit card'), ('NON_CREDIT_CARD', 'Other')], string='QuickBooks Type', readonly=True
    )
    payment_method_line_id = fields.Many2one(
        LINE_MODEL,
        string='Registered With',
        readonly=True,
        ondelete='set null',
        check_company=True,
        help='The Odoo payment method (and so journal) a payment recorded in QuickBooks with this method is '
        'registered with, once payments come back from QuickBooks. Empty: the one that goes to it.',
    )
    journal_id = fields.Many2one(related='payment_method_line_id.journal_id', string='Journal')

    _qbo_unique = models.UniqueIndex(
        '(connection_id, qbo_id)', 'A QuickBooks payment method is read once per connection.'
    )

    # ------------------------------------------------------------------
    # Reading QuickBooks
    # ------------------------------------------------------------------

    @api.model
    def _qbo_refresh(self, connection, client):
        """Read the payment methods of the QuickBooks company again (a query of the list) and return
        the active ones."""
        connection.check_access('read')
        found = {
            str(method['Id']): {
                'name': method.get('Name') or str(method['Id']),
                'qbo_type': method.get('Type') or False,
            }
            for method in client.query_all('SELECT * FROM PaymentMethod')
        }
        return self._qbo_store_read(connection, found)

    # ------------------------------------------------------------------
    # Both ways
    # ------------------------------------------------------------------

    @api.model
    def _qbo_method_lines(self, company):
        """The payment method lines customers pay with in ``company``: the inbound ones of
        the journals payments are registered in (bank, cash, credit card), in their order."""
        journals = self.env['account.journal'].search(
            [('company_id', '=', company.id), ('type', 'in', PAYMENT_JOURNAL_TYPES)], order='sequence, id'
        )
        return journals.inbound_payment_method_line_ids

    def _qbo_forward_choices(self, connection, method_lines):
        """{line: (stored, by name)} for each of ``method_lines``: among these QuickBooks
        methods, the one its stored mapping names, and the active one named like it (what
        the push takes when nothing is stored, creating it when there is none)."""
        by_qbo_id = {method.qbo_id: method for method in self}
        # The mappings are the connector's bookkeeping; the connection's readers may see them.
        stored = {
            method_lines.browse(mapping.res_id): by_qbo_id.get(mapping.qbo_id, self.browse())
            for mapping in self.env['qbo.mapping']
            .sudo()
            .search(
                [
                    ('connection_id', '=', connection.id),
                    ('res_model', '=', LINE_MODEL),
                    ('res_id', 'in', method_lines.ids),
                    ('qbo_entity', '=', 'PaymentMethod'),
                    ('role', '=', 'payment_method'),
                ]
            )
        }
        routes = {}
        for line in method_lines:
            name = qbo_name(line.name, PAYMENT_METHOD_NAME_MAX)
            named = self.filtered(lambda method, name=name: method.active and qbo_same_name(method.name, name))[:1]
            routes[line] = (stored.get(line, self.browse()).with_env(self.env), named.with_env(self.env))
        return routes

    @api.model
    def _qbo_default_lines(self, routes):
        """{QuickBooks method: the first Odoo line that goes to it} from ``routes`` (see
        _qbo_forward_choices): where a payment recorded in QuickBooks with a method is registered
        when no line is chosen for it."""
        defaults = {}
        for line, (stored, named) in routes.items():
            defaults.setdefault(stored or named, line)
        defaults.pop(self.browse(), None)
        return defaults
