"""Pulling at scale (issue 10): an outage longer than what one change data capture answer holds,
a burst of webhook notifications read in one query, and webhook changes of two companies each
read from, and registered in, its own company."""

import json

from odoo import Command, fields
from odoo.tests import HttpCase, tagged

from .common import EMPTY_REALM, US_REALM
from .test_pull_payments import QboPullCommon
from .test_webhook import TOKEN, cloud_event, sign


@tagged('post_install', '-at_install')
class TestPullOutage(QboPullCommon):
    def _drain(self):
        while self._run_queue():
            pass

    def _bookkeeper_payments(self, realm, bodies, per_second=20):
        """Payments entered in QuickBooks by its users (straight into the emulator's books: no API
        request of Odoo's), ``per_second`` of them in each second of QuickBooks' clock."""
        from qbo_emulator import accounting  # noqa: PLC0415 - not an addon dependency

        ids = []
        for i, body in enumerate(bodies):
            with self.emulator.store.transaction(realm) as tx:
                ids.append(accounting.create(tx, 'Payment', body, {})['Id'])
            if i % per_second == per_second - 1:
                self.emulator.clock.advance(1)
        self.emulator.clock.advance(1)
        return ids

    def test_an_outage_longer_than_the_cdc_cap_is_caught_up_each_payment_once(self):
        """1,050 payments entered in QuickBooks while Odoo was not pulling (QuickBooks' real cap:
        1,000 objects per CDC answer): narrowed windows read them all, each stored and pulled once;
        those paying Odoo's invoice pay it once each."""
        invoice, qbo_invoice = self._pushed_invoice()
        # Odoo pulled last just now; then the outage.
        self._pull()
        self.emulator.clock.advance(1)
        today = fields.Date.to_string(fields.Date.today())
        # A customer Odoo does not have, paying nothing Odoo has: left alone (and said so) by the queue.
        stranger = self._qbo_client().create('Customer', {'DisplayName': 'Walk-in customer'})
        bodies = [
            {'CustomerRef': {'value': stranger['Id']}, 'TotalAmt': 1.0, 'TxnDate': today, 'Line': []}
            for _i in range(1050)
        ]
        # Five of them pay Odoo's invoice: the first, the last, and around the cap.
        applied = {0: 10.0, 500: 11.0, 999: 12.0, 1000: 13.0, 1049: 14.0}
        for index, amount in applied.items():
            bodies[index] = {
                'CustomerRef': qbo_invoice['CustomerRef'],
                'TotalAmt': amount,
                'TxnDate': today,
                'Line': [{'Amount': amount, 'LinkedTxn': [{'TxnId': qbo_invoice['Id'], 'TxnType': 'Invoice'}]}],
            }
        ids = self._bookkeeper_payments(US_REALM, bodies)
        cdc_before = len(self._cdc_requests())
        self._pull()
        self._drain()
        cdc_calls = self._cdc_requests()[cdc_before:]
        self.assertGreaterEqual(len(cdc_calls), 2, 'a full answer narrows the window')
        self.assertLessEqual(len(cdc_calls), 3)
        events = self.env['qbo.inbound.event'].sudo().search([('qbo_object_id', 'in', ids)])
        self.assertEqual(sorted(events.mapped('qbo_object_id'), key=int), ids, 'each payment read and stored once')
        jobs = self._pull_jobs().filtered(lambda j: j.res_id in events.ids)
        self.assertEqual(len(jobs), len(ids), 'each pulled once')
        self.assertEqual(set(jobs.mapped('state')), {'done'})
        pulled = self._pulled()
        self.assertEqual(sorted(pulled.mapped('amount')), sorted(applied.values()))
        self.assertAlmostEqual(invoice.amount_residual, invoice.amount_total - sum(applied.values()), places=2)
        self._assert_balance_agrees(invoice)
        # Caught up: the mark is past the outage, and the next pull reads once and finds nothing new.
        self.emulator.clock.advance(600)
        before, jobs_before = len(self._api_requests()), len(self._pull_jobs())
        self._pull()
        self.assertEqual(len(self._api_requests()) - before, 1)
        self.assertEqual(len(self._pull_jobs()), jobs_before)
        self.assertEqual(self.env['qbo.inbound.event'].sudo().search_count([('qbo_object_id', 'in', ids)]), len(ids))


@tagged('post_install', '-at_install')
class TestWebhookScale(QboPullCommon, HttpCase):
    registry_test_mode = False
    http_request_allow_all = True

    def setUp(self):
        super().setUp()
        self.connection.sudo().webhook_verifier_token = TOKEN

    def _post(self, events):
        body = json.dumps(events).encode()
        self.env.flush_all()
        response = self.url_open(
            '/qbo/webhook',
            data=body,
            headers={'Content-Type': 'application/cloudevents+json', 'intuit-signature': sign(TOKEN, body)},
        )
        self.env.invalidate_all()
        return response

    def _reads(self, since, realm=US_REALM):
        log = self.emu.requests_log()['requests']
        entries = [r for r in log if r.get('realm') == realm and '/v3/' in r['path']][since:]
        return [r for r in entries if r['method'] == 'GET' or r['path'].endswith('/query')]

    def _log_length(self, realm=US_REALM):
        return len([r for r in self.emu.requests_log()['requests'] if r.get('realm') == realm and '/v3/' in r['path']])

    def test_a_burst_of_webhook_changes_is_read_in_one_query(self):
        invoice, qbo_invoice = self._pushed_invoice()
        payments = [self._qbo_payment(qbo_invoice['CustomerRef'], [(qbo_invoice, 10.0 + i)]) for i in range(6)]
        gone = payments.pop()
        self._qbo_client().delete('Payment', {'Id': gone['Id'], 'SyncToken': gone['SyncToken']})
        before = self._log_length()
        # One notification per request, as QuickBooks may send them; one delivered twice; one of a
        # payment deleted since.
        for payment in payments:
            self.assertEqual(self._post([cloud_event(payment['Id'])]).status_code, 200)
        self.assertEqual(self._post([cloud_event(payments[0]['Id'], 'updated')]).status_code, 200)
        self.assertEqual(self._post([cloud_event(gone['Id'])]).status_code, 200)
        self._run_queue()
        reads = self._reads(before)
        self.assertEqual(len(reads), 1, reads)
        self.assertTrue(reads[0]['path'].endswith('/query'))
        pulled = self._pulled()
        self.assertEqual(sorted(pulled.mapped('amount')), [10.0, 11.0, 12.0, 13.0, 14.0])
        self.assertAlmostEqual(invoice.amount_residual, invoice.amount_total - 60.0, places=2)
        self._assert_balance_agrees(invoice)
        self.assertEqual(set(self._pull_jobs().mapped('state')), {'done'})
        # The deleted one was not registered, and was not read on its own.
        self.assertNotIn(gone['Id'], pulled.mapped('qbo_id'))

    def test_webhook_changes_of_two_companies_each_read_and_registered_in_its_own(self):
        other_company = self.setup_other_company(name='Second Books Inc', country_id=self.env.ref('base.us').id)[
            'company'
        ]
        self.env.user.company_ids = [Command.link(other_company.id)]
        other = self._qbo_connect(self.env, other_company, EMPTY_REALM)
        other.webhook_verifier_token = TOKEN
        # A customer each company has in Odoo and in QuickBooks, paying in QuickBooks.
        _invoice, qbo_invoice = self._pushed_invoice()
        ours = self._qbo_payment(qbo_invoice['CustomerRef'], total=25.0)
        other_client = other._qbo_client()
        customer = other_client.create('Customer', {'DisplayName': 'Second Books Customer'})
        partner = self.env['res.partner'].create({'name': 'Second Books Customer', 'company_id': other_company.id})
        self.env['qbo.mapping'].sudo()._qbo_link(other, partner, 'Customer', customer)
        theirs = other_client.create(
            'Payment',
            {'CustomerRef': {'value': customer['Id']}, 'TotalAmt': 40.0, 'Line': []},
        )
        before_us, before_other = self._log_length(), self._log_length(EMPTY_REALM)
        response = self._post([cloud_event(ours['Id'], realm=US_REALM), cloud_event(theirs['Id'], realm=EMPTY_REALM)])
        self.assertEqual(response.status_code, 200)
        self._run_queue()
        self.assertEqual(len(self._reads(before_us)), 1)
        self.assertEqual(len(self._reads(before_other, EMPTY_REALM)), 1)
        pulled = self.env['account.payment'].sudo().search([('qbo_pulled', '=', True)])
        by_company = {p.company_id: (p.amount, p.partner_id) for p in pulled}
        self.assertEqual(by_company[self.company][0], 25.0)
        self.assertEqual(by_company[other_company], (40.0, partner))
        self.assertEqual(len(pulled), 2)
        events = self.env['qbo.inbound.event'].sudo().search([])
        self.assertEqual(events.filtered(lambda e: e.connection_id == other).mapped('qbo_object_id'), [theirs['Id']])
        self.assertEqual(
            events.filtered(lambda e: e.connection_id == self.connection).mapped('qbo_object_id'), [ours['Id']]
        )
        self.assertTrue(pulled.filtered(lambda p: p.company_id == other_company).move_id)
