"""QuickBooks' webhooks (issue 10): signed notifications, checked before anything is read, stored
once per event, routed to the connection of their company, and brought in by the queue."""

import base64
import hashlib
import hmac
import json
import time
import uuid

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import EMPTY_REALM, US_REALM
from .test_pull_payments import QboPullCommon

TOKEN = 'verifier-token-of-the-intuit-app'
LOGGER = 'odoo.addons.qbo_connector.models.qbo_inbound_event'


def sign(token, body):
    return base64.b64encode(hmac.new(token.encode(), body, hashlib.sha256).digest()).decode()


def cloud_event(entity_id, operation='created', realm=US_REALM, entity='payment', event_id=None):
    return {
        'specversion': '1.0',
        'id': event_id or str(uuid.uuid4()),
        'source': '//quickbooks.api.intuit.com',
        'type': f'qbo.{entity}.{operation}.v1',
        'time': '2026-01-01T00:00:00Z',
        'datacontenttype': 'application/json',
        'intuitentityid': str(entity_id),
        'intuitaccountid': realm,
        'data': {},
    }


@tagged('post_install', '-at_install')
class TestWebhook(QboPullCommon, HttpCase):
    # QboPushCommon puts the registry in test mode already (HttpCase would do it a second time).
    registry_test_mode = False
    # The emulator delivers webhooks from its own thread, without the test's cookie.
    http_request_allow_all = True

    def setUp(self):
        super().setUp()
        self.connection.sudo().webhook_verifier_token = TOKEN

    # -- helpers ---------------------------------------------------------------

    def _post(self, payload, token=TOKEN, content_type='application/cloudevents+json', signature=None):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {'Content-Type': content_type}
        signature = sign(token, body) if signature is None else signature
        if signature:
            headers['intuit-signature'] = signature
        self.env.flush_all()
        response = self.url_open('/qbo/webhook', data=body, headers=headers)
        self.env.invalidate_all()
        return response

    def _events(self, connection=None):
        return self.env['qbo.inbound.event'].sudo().search([('connection_id', '=', (connection or self.connection).id)])

    def _emulator_webhooks(self):
        """The emulator delivers to this database's webhook URL, signed with the app's verifier token
        (retried quickly: a delivery that comes while the test holds the database is refused)."""
        self.emu._call(
            'POST',
            'webhooks',
            json={
                'url': f'{self.base_url()}/qbo/webhook',
                'verifier_token': TOKEN,
                'batch_window_seconds': 0.1,
                'content_type': 'application/cloudevents+json',
                'retry_schedule': [0.5, 0.5, 1, 1, 2, 2, 3, 5],
            },
        )

    def _deliveries_settled(self, timeout=30):
        """Let the emulator deliver (the test gives the database up meanwhile) until every delivery
        was answered 200 and nothing new came for a second; returns the answered deliveries."""
        self.env.flush_all()
        deadline = time.monotonic() + timeout
        quiet_since, seen = None, None
        with self.allow_requests(all_requests=True):
            while time.monotonic() < deadline:
                time.sleep(0.25)
                deliveries = self.emu._call('GET', 'webhooks/deliveries')['deliveries']
                answered = {d['delivery_id'] for d in deliveries if d['status'] == 200}
                settled = deliveries and answered == {d['delivery_id'] for d in deliveries}
                if not settled or len(deliveries) != seen:
                    quiet_since, seen = time.monotonic(), len(deliveries)
                elif time.monotonic() - quiet_since > 1.0:
                    break
            else:
                self.fail(f'the emulator kept delivering: {deliveries}')
        self.env.invalidate_all()
        return [d for d in deliveries if d['status'] == 200]

    # -- tests -------------------------------------------------------------------

    def test_bad_or_missing_signature_is_refused_and_nothing_stored(self):
        _invoice, qbo_invoice = self._pushed_invoice()
        qbo_payment = self._qbo_payment(qbo_invoice['CustomerRef'], [(qbo_invoice, 10.0)])
        payload = [cloud_event(qbo_payment['Id'])]
        for kwargs in ({'token': 'another-apps-token'}, {'signature': ''}, {'signature': 'bm90IGEgc2lnbmF0dXJl'}):
            with self.assertLogs(LOGGER, 'WARNING') as logs:
                response = self._post(payload, **kwargs)
            self.assertEqual(response.status_code, 401, kwargs)
            self.assertIn('refused', logs.output[0])
            self.assertNotIn(TOKEN, logs.output[0])
        # A body changed after it was signed.
        body = json.dumps(payload).encode()
        response = self._post(body.replace(b'created', b'deleted'), signature=sign(TOKEN, body))
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self._events())
        self.assertFalse(self._pull_jobs())
        # Not JSON at all, and unsigned: refused before parsing.
        self.assertEqual(self._post(b'{not json', signature='').status_code, 401)
        self.assertEqual(self._post(payload, content_type='text/plain').status_code, 415)

    def test_payment_comes_back_through_the_emulators_webhook(self):
        invoice, qbo_invoice = self._pushed_invoice()
        self._emulator_webhooks()
        qbo_payment = self._qbo_payment(qbo_invoice['CustomerRef'], [(qbo_invoice, invoice.amount_total)])
        deliveries = self._deliveries_settled()
        self.assertTrue(any('qbo.payment.created.v1' in d['body'] for d in deliveries))
        event = self._events()
        self.assertEqual((len(event), event.qbo_object_id, event.source), (1, qbo_payment['Id'], 'webhook'))
        before = len(self._api_requests())
        self._run_queue()
        # Events carry ids only: the payment is read once.
        self.assertEqual(
            [(r['method'], r['path'].rsplit('/', 2)[-2:]) for r in self._api_requests()[before:]],
            [('GET', ['payment', qbo_payment['Id']])],
        )
        payment = self._pulled()
        self.assertEqual(len(payment), 1)
        self.assertEqual(invoice.amount_residual, 0.0)
        self._assert_balance_agrees(invoice)
        # The scheduled pull sees the same payment: recognised, nothing more.
        self._pull()
        self.assertEqual(self._pulled(), payment)

    def test_delivered_twice_is_processed_once(self):
        invoice, qbo_invoice = self._pushed_invoice()
        qbo_payment = self._qbo_payment(qbo_invoice['CustomerRef'], [(qbo_invoice, 40.0)])
        payload = [cloud_event(qbo_payment['Id'])]
        cron = self.env.ref('qbo_connector.ir_cron_qbo_process_jobs')
        triggers = self.env['ir.cron.trigger'].sudo().search_count([('cron_id', '=', cron.id)])
        started = time.monotonic()
        self.assertEqual(self._post(payload).status_code, 200)
        # Answered well within QuickBooks' 3 seconds, the queue triggered to bring it in.
        self.assertLess(time.monotonic() - started, 3)
        self.assertGreater(self.env['ir.cron.trigger'].sudo().search_count([('cron_id', '=', cron.id)]), triggers)
        self.assertEqual(self._post(payload).status_code, 200)
        self.assertEqual(len(self._events()), 1)
        self.assertEqual(len(self._pull_jobs()), 1)
        self._run_queue()
        # Delivered again after it was processed: still one.
        self.assertEqual(self._post(payload).status_code, 200)
        self._run_queue()
        self.assertEqual(len(self._pulled()), 1)
        self.assertAlmostEqual(invoice.amount_residual, invoice.amount_total - 40.0)

    def test_legacy_format_and_voided_spelled_void(self):
        invoice, qbo_invoice = self._pushed_invoice()
        qbo_payment = self._qbo_payment(qbo_invoice['CustomerRef'], [(qbo_invoice, invoice.amount_total)])

        def legacy(operation, updated):
            return {
                'eventNotifications': [
                    {
                        'realmId': US_REALM,
                        'dataChangeEvent': {
                            'entities': [
                                {
                                    'name': 'Payment',
                                    'id': qbo_payment['Id'],
                                    'operation': operation,
                                    'lastUpdated': updated,
                                },
                                {
                                    'name': 'Invoice',
                                    'id': qbo_invoice['Id'],
                                    'operation': 'Update',
                                    'lastUpdated': updated,
                                },
                            ]
                        },
                    }
                ]
            }

        self.assertEqual(
            self._post(legacy('Create', '2026-01-01T00:00:00Z'), content_type='application/json').status_code, 200
        )
        self._run_queue()
        payment = self._pulled()
        self.assertEqual(invoice.amount_residual, 0.0)
        # Invoices are not pulled (yet): only the payment was stored.
        self.assertEqual(self._events().mapped('qbo_entity'), ['Payment'])
        self._qbo_client().void('Payment', {'Id': qbo_payment['Id'], 'SyncToken': qbo_payment['SyncToken']})
        self.assertEqual(self._post([cloud_event(qbo_payment['Id'], 'void')]).status_code, 200)
        self._run_queue()
        self.assertEqual(payment.state, 'canceled')
        self.assertEqual(invoice.amount_residual, invoice.amount_total)

    def test_two_companies_each_event_to_its_own_connection(self):
        other_company = self.env['res.company'].create(
            {
                'name': 'Second Books Inc',
                'country_id': self.env.ref('base.us').id,
                'currency_id': self.env.ref('base.USD').id,
            }
        )
        self.env.user.company_ids = [Command.link(other_company.id)]
        other = self._qbo_connect(self.env, other_company, EMPTY_REALM)
        other.webhook_verifier_token = TOKEN
        payload = [
            cloud_event('501', realm=US_REALM),
            cloud_event('502', realm=EMPTY_REALM),
            cloud_event('503', realm='9130357766909999'),
        ]
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            self.assertEqual(self._post(payload).status_code, 200)
        self.assertTrue(any('9130357766909999' in line for line in logs.output))
        self.assertEqual(self._events().mapped('qbo_object_id'), ['501'])
        self.assertEqual(self._events(other).mapped('qbo_object_id'), ['502'])
        self.assertEqual(self._events(other).company_id, other_company)
        # A connection of another Intuit app (another verifier token) gets nothing signed with this one.
        other.webhook_verifier_token = 'token-of-another-app'
        self.assertEqual(self._post([cloud_event('504', realm=EMPTY_REALM)]).status_code, 200)
        self.assertEqual(self._events(other).mapped('qbo_object_id'), ['502'])
        self.assertEqual(
            self._post([cloud_event('505', realm=EMPTY_REALM)], token='token-of-another-app').status_code, 200
        )
        self.assertEqual(sorted(self._events(other).mapped('qbo_object_id')), ['502', '505'])

    def test_one_way_stores_nothing(self):
        self.connection.sync_direction = 'push_only'
        self.assertEqual(self._post([cloud_event('777')]).status_code, 200)
        self.assertFalse(self._events())

    def test_echo_push_then_webhook_and_cdc_write_nothing(self):
        """Invariant 7: the connector's own writes come back through the webhook and CDC, and are
        recognised: no job writes anything to QuickBooks or creates anything in Odoo."""
        self._emulator_webhooks()
        invoice, _qbo_invoice = self._pushed_invoice()
        payment = self._register_payment(invoice)
        self._run_queue()
        self.assertEqual(payment.qbo_sync_state, 'synced')
        self._deliveries_settled()
        jobs = self.env['qbo.sync.job'].sudo().search([])
        payments = self.env['account.payment'].search([])
        before = len(self._api_requests())
        self._run_queue()
        self._pull()
        writes = [
            r for r in self._api_requests()[before:] if r['method'] == 'POST' and not r['path'].endswith('/query')
        ]
        self.assertEqual(writes, [])
        self.assertEqual(self.env['account.payment'].search([]), payments)
        new_jobs = self.env['qbo.sync.job'].sudo().search([]) - jobs
        self.assertEqual(set(new_jobs.mapped('direction')) - {'pull'}, set())
        self.assertFalse(new_jobs.filtered('qbo_id'), 'no pull job brought anything in')
        ours = {payment.qbo_id, invoice.qbo_id}
        pulled_ours = self._pull_jobs().filtered(
            lambda j: self.env['qbo.inbound.event'].sudo().browse(j.res_id).qbo_object_id in ours
        )
        self.assertFalse(pulled_ours.filtered('qbo_id'))
        # The webhook's own events of our payment cost no read: the mapping says it is ours.
        reads = [r for r in self._api_requests()[before:] if r['method'] == 'GET' and '/payment/' in r['path']]
        self.assertEqual(reads, [])
