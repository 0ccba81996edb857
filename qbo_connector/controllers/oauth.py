import logging

from werkzeug.exceptions import Forbidden, NotFound

from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.http import request

_logger = logging.getLogger(__name__)


class QboOAuthController(http.Controller):
    @http.route('/qbo/oauth/connect/<int:connection_id>', type='http', auth='user', methods=['GET', 'POST'])
    def qbo_connect(self, connection_id, **kwargs):
        """The Reconnect link of the mail and the activity. A GET only shows a button: starting
        the flow replaces the pending authorization, so it takes a POST (Odoo checks its CSRF
        token), not a link or an image someone slips into a page."""
        connection = request.env['qbo.connection'].browse(connection_id).exists()
        # The page names the company, its QuickBooks company and realm: only to internal users
        # who may read the connection (access rights and the companies' record rules), and a
        # connection they may not read is one that does not exist.
        if not connection or not request.env.user._is_internal() or not connection.has_access('read'):
            raise NotFound()
        if request.httprequest.method == 'GET':
            return request.render('qbo_connector.qbo_oauth_reconnect', {'connection': connection})
        try:
            action = connection.action_connect()
        except AccessError as exc:
            raise Forbidden(str(exc)) from exc
        except UserError as exc:
            return self._qbo_result(connection, str(exc), error=True)
        return request.redirect(action['url'], local=False)

    @http.route('/qbo/oauth/callback', type='http', auth='user', methods=['GET'])
    def qbo_callback(self, state=None, code=None, realmId=None, error=None, **kwargs):
        """Intuit sends the browser back here with a code (or an error) and our state.

        A state that is forged, replayed, expired or issued to another user answers 403
        and changes nothing."""
        connection = request.env['qbo.connection']._qbo_check_oauth_state(state)
        if not connection:
            _logger.warning('QuickBooks OAuth callback refused: invalid state (user %s)', request.env.uid)
            raise Forbidden(
                'This QuickBooks authorization link is invalid, expired or already used. Start again from Connect.'
            )
        if error or not code or not realmId:
            message = request.env._(
                'QuickBooks did not authorize the connection (%(error)s).', error=error or 'no code'
            )
            return self._qbo_result(connection, message, error=True)
        try:
            connection.with_user(request.env.user)._qbo_exchange_code(code, realmId)
        except UserError as exc:
            return self._qbo_result(connection, str(exc), error=True)
        setup = connection.with_user(request.env.user)._qbo_setup_after_connect()
        if setup:
            return request.redirect(f'/odoo/action-qbo_connector.action_qbo_setup/{setup.id}')
        return request.redirect(f'/odoo/action-qbo_connector.action_qbo_connection/{connection.id}')

    def _qbo_result(self, connection, message, error):
        return request.render(
            'qbo_connector.qbo_oauth_result',
            {
                'message': message,
                'error': error,
                'connection': connection,
                'back_url': f'/odoo/action-qbo_connector.action_qbo_connection/{connection.id}',
            },
            status=400 if error else 200,
        )
