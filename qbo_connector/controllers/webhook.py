import json
import logging

from odoo import http
from odoo.http import request

from .. import const

_logger = logging.getLogger(__name__)

ACCEPTED_TYPES = ('application/json', 'application/cloudevents+json')


class QboWebhookController(http.Controller):
    @http.route(
        const.WEBHOOK_PATH, type='http', auth='none', methods=['POST'], csrf=False, save_session=False, readonly=False
    )
    def qbo_webhook(self, **_kwargs):
        """QuickBooks' change notifications (CloudEvents or the legacy format). The signature is
        checked on the raw body before anything is parsed or stored; the changes are stored and
        their pull queued, and the answer goes at once: the work is done by the queue."""
        if not request.db:
            return _answer(404, 'no database')
        httprequest = request.httprequest
        if httprequest.mimetype not in ACCEPTED_TYPES:
            return _answer(415, 'unsupported content type')
        if (httprequest.content_length or 0) > const.WEBHOOK_MAX_BYTES:
            return _answer(413, 'too large')
        body = httprequest.get_data(cache=False)
        status = (
            request.env['qbo.inbound.event']
            .sudo()
            ._qbo_receive_webhook(body, httprequest.headers.get('intuit-signature'))
        )
        return _answer(status, 'ok' if status == 200 else 'refused')


def _answer(status, message):
    return request.make_response(
        json.dumps({'status': message}), headers=[('Content-Type', 'application/json')], status=status
    )
