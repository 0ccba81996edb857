from odoo import fields, models


class QboPaymentMethodMapping(models.TransientModel):
    """The payment method mapping of one connection, both ways: every payment method
    customers pay with in the company's bank, cash and credit card journals with the QuickBooks payment
    method its payments go with — the one stored, else the one of its name (created if
    missing) — and, for each QuickBooks payment method, the Odoo line a payment recorded
    in QuickBooks with it is registered with (for the coming pull of payments). Saving
    stores the choices: the forward ones where the push reads them (``qbo.mapping``,
    entity ``PaymentMethod``, role ``payment_method``), the others on the QuickBooks methods kept."""

    _name = 'qbo.payment.method.mapping'
    _inherit = ['qbo.mapping.screen']
    _description = 'QuickBooks Online Payment Method Mapping'
    _qbo_list_model = 'qbo.payment.method'

    line_ids = fields.One2many('qbo.payment.method.mapping.line', 'mapping_id', string='Odoo Payment Methods')
    reverse_ids = fields.One2many(
        'qbo.payment.method.mapping.reverse', 'mapping_id', string='QuickBooks Payment Methods'
    )

    def _qbo_screen_name(self):
        return self.env._('Payment Method Mapping')

    def _qbo_refresh_failed(self, error):
        return self.env._(
            'The payment methods of QuickBooks could not be read (%(error)s): these are the ones last read.',
            error=error.message,
        )

    def _qbo_fill(self):
        """One line per Odoo payment method line and one per active QuickBooks payment
        method (or one archived since but chosen for a line), as things stand."""
        self.ensure_one()
        connection = self.connection_id
        methods = self.env['qbo.payment.method']._qbo_of_connection(connection)
        method_lines = methods._qbo_method_lines(connection.company_id)
        routes = methods._qbo_forward_choices(connection, method_lines)
        defaults = methods._qbo_default_lines(routes)
        shown = methods.filtered(lambda method: method.active or method in defaults or method.payment_method_line_id)
        self.write(
            {
                'line_ids': [fields.Command.clear()]
                + [
                    fields.Command.create(
                        {
                            'method_line_id': line.id,
                            'stored_method_id': stored.id,
                            'named_method_id': named.id,
                            'qbo_payment_method_id': (stored or named).id,
                        }
                    )
                    for line, (stored, named) in routes.items()
                ],
                'reverse_ids': [fields.Command.clear()]
                + [
                    fields.Command.create(
                        {
                            'qbo_payment_method_id': method.id,
                            'stored_line_id': method.payment_method_line_id.id,
                            'default_line_id': defaults.get(method, method_lines.browse()).id,
                            'method_line_id': (
                                method.payment_method_line_id or defaults.get(method, method_lines.browse())
                            ).id,
                        }
                    )
                    for method in shown
                ],
            }
        )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_refresh(self):
        """Read QuickBooks' payment methods again, keeping the choices made on screen."""
        self.ensure_one()
        self._qbo_refresh_list()
        methods = self.env['qbo.payment.method']._qbo_of_connection(self.connection_id)
        routes = methods._qbo_forward_choices(self.connection_id, self.line_ids.method_line_id)
        for line in self.line_ids.filtered(lambda line: not line.stored_method_id):
            named = routes[line.method_line_id][1]
            unchanged = line.qbo_payment_method_id == line.named_method_id
            line.write({'named_method_id': named.id, **({'qbo_payment_method_id': named.id} if unchanged else {})})
        known = self.reverse_ids.qbo_payment_method_id
        self.write(
            {
                'reverse_ids': [
                    fields.Command.create({'qbo_payment_method_id': method.id})
                    for method in methods.filtered('active') - known
                ]
            }
        )
        return True

    def action_save(self):
        """Store what the screen shows. Each Odoo line's QuickBooks method (none: back to the
        one of its name); each QuickBooks method's Odoo line, when it is not the one that
        goes to it (which it then follows). QuickBooks administrators only, like every sync
        setting of the connection."""
        self.ensure_one()
        connection = self.connection_id
        connection.check_access('write')
        mappings = self.env['qbo.mapping'].sudo()
        for line in self.line_ids:
            mapping = mappings._qbo_find(connection, line.method_line_id, 'PaymentMethod', 'payment_method')
            method = line.qbo_payment_method_id
            if method and method.qbo_id != mapping.qbo_id:
                mappings._qbo_link(
                    connection,
                    line.method_line_id,
                    'PaymentMethod',
                    {'Id': method.qbo_id, 'Name': method.name},
                    'payment_method',
                )
            elif not method and mapping:
                mapping.unlink()
        for reverse in self.reverse_ids:
            chosen = (
                reverse.method_line_id
                if reverse.method_line_id != reverse.default_line_id
                else reverse.method_line_id.browse()
            )
            method = reverse.qbo_payment_method_id.sudo()
            if method.payment_method_line_id != chosen:
                method.payment_method_line_id = chosen
        self._qbo_fill()
        return True
