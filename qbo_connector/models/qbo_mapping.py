from odoo import api, fields, models


class QboMapping(models.Model):
    """The binder: which QuickBooks object an Odoo record is, per connection.

    Unique both ways, so that no Odoo record points at two QuickBooks objects of a kind
    and no QuickBooks object is claimed by two Odoo records."""

    _name = 'qbo.mapping'
    _description = 'QuickBooks Online Mapping'
    _order = 'id desc'
    _check_company_auto = True

    connection_id = fields.Many2one('qbo.connection', required=True, index=True, ondelete='cascade', readonly=True)
    company_id = fields.Many2one(related='connection_id.company_id', store=True, index=True)
    res_model = fields.Char(string='Odoo Model', required=True, readonly=True)
    res_id = fields.Many2oneReference(string='Odoo Record', model_field='res_model', required=True, readonly=True)
    qbo_entity = fields.Char(string='QuickBooks Entity', required=True, readonly=True)
    qbo_id = fields.Char(string='QuickBooks Id', required=True, readonly=True)
    sync_token = fields.Char(readonly=True, help="QuickBooks' version of the object when we last wrote or read it.")
    qbo_name = fields.Char(string='QuickBooks Name', readonly=True)

    _odoo_unique = models.UniqueIndex(
        '(connection_id, res_model, res_id, qbo_entity)',
        'An Odoo record maps to one QuickBooks object of each kind.')
    _qbo_unique = models.UniqueIndex(
        '(connection_id, qbo_entity, qbo_id)',
        'A QuickBooks object maps to one Odoo record.')

    @api.model
    def _qbo_find(self, connection, record, entity):
        return self.search([
            ('connection_id', '=', connection.id), ('res_model', '=', record._name),
            ('res_id', '=', record.id), ('qbo_entity', '=', entity)], limit=1)

    @api.model
    def _qbo_find_record(self, connection, entity, qbo_id, model):
        mapping = self.search([
            ('connection_id', '=', connection.id), ('qbo_entity', '=', entity),
            ('qbo_id', '=', str(qbo_id)), ('res_model', '=', model)], limit=1)
        return self.env[model].browse(mapping.res_id) if mapping else self.env[model]

    @api.model
    def _qbo_link(self, connection, record, entity, qbo_object):
        """Remember that ``record`` is ``qbo_object`` (a QuickBooks JSON object)."""
        values = {
            'qbo_id': str(qbo_object['Id']),
            'sync_token': qbo_object.get('SyncToken'),
            'qbo_name': qbo_object.get('DisplayName') or qbo_object.get('Name') or qbo_object.get('DocNumber'),
        }
        mapping = self.sudo()._qbo_find(connection, record, entity)
        if mapping:
            mapping.write(values)
            return mapping
        return self.sudo().create({
            'connection_id': connection.id, 'res_model': record._name, 'res_id': record.id,
            'qbo_entity': entity, **values,
        })
