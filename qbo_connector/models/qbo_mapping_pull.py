from odoo import api, fields, models

from .qbo_connection_pull import qbo_datetime


class QboMapping(models.Model):
    """When QuickBooks last wrote the object as Odoo knows it (its MetaData.LastUpdatedTime in our
    write's answer): a webhook, which carries ids and a time only, of a change no later than this
    is Odoo's own write coming back (issue 10, item 7), recognised without a read."""

    _inherit = 'qbo.mapping'

    qbo_updated_at = fields.Datetime(string='QuickBooks Updated At', readonly=True)

    @api.model
    def _qbo_link(self, connection, record, entity, qbo_object, role='record', currency=None):
        mapping = super()._qbo_link(connection, record, entity, qbo_object, role=role, currency=currency)
        stamp = qbo_datetime((qbo_object.get('MetaData') or {}).get('LastUpdatedTime'))
        if stamp and mapping.qbo_updated_at != stamp:
            mapping.sudo().qbo_updated_at = stamp
        return mapping
