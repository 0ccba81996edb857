from odoo import api, fields, models
from odoo.exceptions import UserError

from ..exceptions import QboError


def choice_status(chosen, stored, default):
    """What a mapping screen's line shows of its choice: 'stored' when it is the choice saved,
    'default' when nothing is saved and it is what applies without a choice, else 'changed'."""
    if chosen and chosen == stored:
        return 'stored'
    if chosen == default and not stored:
        return 'default'
    return 'changed'


class QboMappingScreen(models.AbstractModel):
    """What the mapping screens of a connection share: opened for the connection (the
    current company's from the QuickBooks menu), with the QuickBooks list they offer read
    afresh (``_qbo_list_model``, a qbo.list.cache), editable by those who may change the
    connection. Each screen fills its own lines (``_qbo_fill``) and saves them."""

    _name = 'qbo.mapping.screen'
    _description = 'QuickBooks Online Mapping Screen'
    _rec_name = 'connection_id'
    _check_company_auto = True
    _qbo_list_model = None

    connection_id = fields.Many2one('qbo.connection', required=True, readonly=True, ondelete='cascade')
    company_id = fields.Many2one(related='connection_id.company_id', store=True)  # its record rule's
    refresh_error = fields.Char(readonly=True)
    can_edit = fields.Boolean(compute='_compute_can_edit')

    @api.depends('connection_id')
    @api.depends_context('uid')
    def _compute_can_edit(self):
        for screen in self:
            screen.can_edit = screen.connection_id.has_access('write')

    @api.model
    def _qbo_open_for(self, connection):
        """This screen for ``connection``, with QuickBooks' list read afresh."""
        if not connection:
            raise UserError(
                self.env._('Connect this company to QuickBooks Online first (Settings → QuickBooks Online).')
            )
        connection.ensure_one()
        connection.check_access('read')
        screen = self.create({'connection_id': connection.id})
        screen._qbo_refresh_list()
        screen._qbo_fill()
        return {
            'type': 'ir.actions.act_window',
            'name': self._qbo_screen_name(),
            'res_model': self._name,
            'res_id': screen.id,
            'view_mode': 'form',
            'target': 'current',
        }

    def _qbo_refresh_list(self):
        """Read QuickBooks' list again; when QuickBooks cannot be reached, say so and go on
        with the list last read."""
        self.ensure_one()
        connection = self.connection_id
        try:
            self.env[self._qbo_list_model]._qbo_refresh(connection, connection._qbo_client())
            self.refresh_error = False
        except QboError as error:
            self.refresh_error = self._qbo_refresh_failed(error)

    def _qbo_screen_name(self):
        raise NotImplementedError

    def _qbo_refresh_failed(self, error):
        """The sentence shown when QuickBooks' list could not be read."""
        raise NotImplementedError

    def _qbo_fill(self):
        raise NotImplementedError
