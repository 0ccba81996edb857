from odoo import models

from ..exceptions import QboDuplicateError
from ..tools.qbo_client import qbo_quote
from ..tools.qbo_names import qbo_name, qbo_same_name

# QuickBooks' length limit on a payment method's name (2050 beyond it).
PAYMENT_METHOD_NAME_MAX = 31


class AccountPaymentMethodLine(models.Model):
    _inherit = 'account.payment.method.line'

    def _qbo_payment_method_ref(self, connection, client):
        """The QuickBooks payment method payments of this method line go with (role
        payment_method: several lines may share one): the one chosen on the payment method
        mapping screen, else the one named like the line, created if missing, then kept. None
        for no line, or a line without a name."""
        if not self:
            return None
        self.ensure_one()
        line = self.sudo()

        def find():
            name = qbo_name(line.name, PAYMENT_METHOD_NAME_MAX)
            if not name:
                return None
            # Another line of that name already went: the same QuickBooks method, no request.
            mappings = (
                self.env['qbo.mapping']
                .sudo()
                .search(
                    [
                        ('connection_id', '=', connection.id),
                        ('qbo_entity', '=', 'PaymentMethod'),
                        ('role', '=', 'payment_method'),
                    ]
                )
            )
            known = next((m for m in mappings if qbo_same_name(m.qbo_name, name)), None)
            if known:
                return {'Id': known.qbo_id, 'Name': known.qbo_name}
            found = client.query(f'SELECT * FROM PaymentMethod WHERE Name = {qbo_quote(name)}')
            try:
                method = found[0] if found else client.create('PaymentMethod', {'Name': name})
            except QboDuplicateError as error:
                # Taken by an inactive method (queries list active ones only): use it again.
                if not error.existing_id:
                    raise
                method = client.read('PaymentMethod', error.existing_id)
            return client.activate('PaymentMethod', method)

        return self.env['qbo.mapping']._qbo_resolve(connection, line, 'PaymentMethod', find, role='payment_method')
