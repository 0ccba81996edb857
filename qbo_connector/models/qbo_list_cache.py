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

    # ------------------------------------------------------------------
    # Refreshed from change data capture (issue 10): no list is read again for a document
    # ------------------------------------------------------------------

    @api.model
    def _qbo_pull_lists(self, connection, changes):
        """Apply what CDC read of the lists (``changes``: Term, PaymentMethod, Account, Class objects
        with their payload) to what Odoo keeps of them, without a read: the payment methods' copy is
        updated (name, type, active); a mapping or a setting naming an object renamed takes its new
        name, one naming an object made inactive (or deleted) is let go, so that the next document
        finds or creates what is active instead of QuickBooks refusing a reference to an inactive
        name. (Tax codes are not in CDC: QuickBooks answers no CDC of TaxCode.) Returns the number of
        objects applied."""
        connection = connection.sudo()
        mappings = self.env['qbo.mapping'].sudo()
        methods = self.env['qbo.payment.method'].sudo().with_context(active_test=False)
        settings = {
            'Class': ('default_class',),
            'Account': ('tax_item_account', 'expense_account', 'income_account', 'refund_account'),
        }
        forget = {}
        for change in changes:
            entity, obj = change['entity'], change['payload']
            qbo_id = str(obj['Id'])
            live = obj.get('status') != 'Deleted' and obj.get('Active') is not False
            name = obj.get('Name') or obj.get('FullyQualifiedName')
            if entity == 'PaymentMethod':
                kept = methods.search([('connection_id', '=', connection.id), ('qbo_id', '=', qbo_id)], limit=1)
                values = {'active': live}
                if name:
                    values['name'] = name
                if obj.get('Type'):
                    values['qbo_type'] = obj['Type']
                if kept:
                    kept.write({k: v for k, v in values.items() if kept[k] != v})
                elif live and name:
                    methods.create({'connection_id': connection.id, 'qbo_id': qbo_id, **values})
            bound = mappings.search(
                [('connection_id', '=', connection.id), ('qbo_entity', '=', entity), ('qbo_id', '=', qbo_id)]
            )
            if not live:
                bound.unlink()
            elif name:
                bound.filtered(lambda m, name=name: m.qbo_name != name).write(
                    {'qbo_name': name, 'sync_token': obj.get('SyncToken')}
                )
            for setting in settings.get(entity, ()):
                if connection[f'{setting}_qbo_id'] == qbo_id:
                    if not live:
                        forget.update({f'{setting}_qbo_id': False, f'{setting}_qbo_name': False})
                    elif name and connection[f'{setting}_qbo_name'] != name:
                        forget[f'{setting}_qbo_name'] = name
        if forget:
            # In the pull's own transaction, which writes the connection's mark too: written in a
            # cursor of its own (_qbo_keep_found, for jobs), the mark's write would then fail as a
            # concurrent update and the whole pull be read again next run.
            connection.sudo().write(forget)
        return len(changes)
