from odoo import fields, models

from ..exceptions import QboValidationError
from ..tools.qbo_client import qbo_quote
from ..tools.qbo_names import qbo_name, qbo_same_name

# QuickBooks' limit on a customer's DisplayName.
DISPLAY_NAME_MAX = 100


class AccountAnalyticAccount(models.Model):
    """Projects and matters (analytic accounts) as QuickBooks sub-customers of their client
    (issue 12, items 3 and 4; docs/bank-and-matters.md)."""

    _inherit = 'account.analytic.account'

    qbo_client_id = fields.Many2one(
        'res.partner',
        string='QuickBooks Client',
        groups='qbo_connector.group_qbo_user',
        help='The client this project or matter is billed to in QuickBooks: bill lines carrying it are billable '
        'expenses of the client (of the matter\'s sub-customer with matters on). Empty: the analytic account\'s '
        'customer.',
    )

    def _qbo_client(self):
        """The client (commercial partner) of this matter, or an empty recordset."""
        self.ensure_one()
        account = self.sudo()
        return (account.qbo_client_id or account.partner_id).commercial_partner_id

    def _qbo_customer_ref(self, connection, client, currency):
        """The QuickBooks customer a hard cost or an invoice of this matter goes to: with
        matters on, the matter's sub-customer under its client's customer; else the client's
        customer. None when the matter names no client."""
        self.ensure_one()
        partner = self._qbo_client()
        if not partner:
            return None
        parent = partner._qbo_customer_ref(connection, client, currency=currency)
        if not connection.sync_matters:
            return parent
        return self._qbo_matter_ref(connection, client, currency, parent)

    def _qbo_matter_ref(self, connection, client, currency, parent):
        """The matter's sub-customer (Job) under ``parent`` (its client's customer, a reference):
        its mapping (role matter, per currency), else the sub-customer of that parent named
        after the matter, else one created so (Job, ParentRef, BillWithParent)."""
        self.ensure_one()
        matter = self.sudo()
        name = qbo_name(matter.name, DISPLAY_NAME_MAX)
        foreign = currency if currency and currency.name != connection._qbo_home_currency() else None
        mappings = self.env['qbo.mapping'].sudo()

        def find():
            children = client.query_all(f"SELECT * FROM Customer WHERE Job = true AND DisplayName = {qbo_quote(name)}")
            mine = [
                c
                for c in mappings._qbo_unclaimed(connection, matter, 'Customer', children, 'matter')
                if str((c.get('ParentRef') or {}).get('value')) == str(parent['value'])
                and qbo_same_name(c.get('DisplayName'), name)
            ]
            if mine:
                return mine[0]
            values = {
                'DisplayName': name,
                'Job': True,
                'ParentRef': {'value': parent['value']},
                'BillWithParent': True,
            }
            if foreign and connection.qbo_multicurrency:
                values['CurrencyRef'] = {'value': foreign.name}
            try:
                return client.create('Customer', values)
            except QboValidationError as error:
                raise QboValidationError(
                    error.code,
                    self.env._(
                        'QuickBooks refused the sub-customer %(name)s of %(client)s for the matter %(matter)s '
                        '(display names are unique across customers, vendors and employees: rename the matter or '
                        'the party holding the name, then retry): %(reason)s',
                        name=name,
                        client=parent.get('name') or parent['value'],
                        matter=matter.display_name,
                        reason=error.message,
                    ),
                ) from error

        return mappings._qbo_resolve(connection, matter, 'Customer', find, 'matter', currency=foreign)
