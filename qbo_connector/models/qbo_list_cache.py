from odoo import api, fields, models


class QboKeptList(models.AbstractModel):
    """A list of a connection's QuickBooks company (tax codes, payment methods) as last read
    from it: what a mapping screen offers. QuickBooks is the truth; this is a copy, kept for
    whoever may see the connection, refreshed by the screen. Objects QuickBooks no longer
    answers are kept, archived, so that a mapping to one still reads."""

    _name = 'qbo.list.cache'
    _description = 'QuickBooks Online List, as Last Read'
    _check_company_auto = True

    connection_id = fields.Many2one('qbo.connection', required=True, index=True, ondelete='cascade', readonly=True)
    company_id = fields.Many2one(related='connection_id.company_id', store=True, index=True)
    qbo_id = fields.Char(string='QuickBooks Id', required=True, readonly=True)
    name = fields.Char(required=True, readonly=True)
    active = fields.Boolean(default=True, readonly=True, help='Still among the active objects of QuickBooks.')

    @api.model
    def _qbo_store_read(self, connection, found):
        """Store ``found`` ({QuickBooks id: values}), the active objects QuickBooks just
        answered, as the list of ``connection``; archive the others. Returns the active ones."""
        # The connector's own copy of QuickBooks' list: written whoever reads the connection.
        kept = self.sudo().with_context(active_test=False).search([('connection_id', '=', connection.id)])
        known = {record.qbo_id: record for record in kept}
        for qbo_id, values in found.items():
            values = {**values, 'active': True}
            record = known.get(qbo_id)
            if record:
                record.write({k: v for k, v in values.items() if record[k] != v})
            else:
                kept |= kept.create({'connection_id': connection.id, 'qbo_id': qbo_id, **values})
        kept.filtered(lambda record: record.qbo_id not in found and record.active).write({'active': False})
        return kept.filtered('active').with_env(self.env)

    @api.model
    def _qbo_of_connection(self, connection):
        """The list of ``connection`` as last read, archived objects included."""
        return self.with_context(active_test=False).search([('connection_id', '=', connection.id)])
