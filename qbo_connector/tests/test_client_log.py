import json

import requests

from odoo.tests import tagged

from .. import const
from ..exceptions import QboDuplicateError, QboNotFoundError, QboValidationError
from ..tools.qbo_client import redact
from .common import US_REALM, QboConnectedCase


@tagged('post_install', '-at_install')
class TestClientAndLog(QboConnectedCase):
    """The one HTTP path: minor version, typed faults, one redacted log row per call."""

    def setUp(self):
        super().setUp()
        self.client = self.connection._qbo_client()

    def test_one_log_row_per_call(self):
        self.client.company_info()
        self.connection.invalidate_recordset()
        before = self.connection.log_ids
        customer = self.client.create('Customer', {'DisplayName': 'Log Me Inc'}, request_id='log-me-1')
        self.client.read('Customer', customer['Id'])
        self.client.query("SELECT * FROM Customer WHERE DisplayName = 'Log Me Inc'")
        self.connection.invalidate_recordset()
        logs = (self.connection.log_ids - before).sorted('id')
        self.assertEqual(len(logs), 3, logs.mapped('endpoint'))
        create = logs[0]
        self.assertEqual((create.method, create.http_status, create.request_id), ('POST', 200, 'log-me-1'))
        self.assertIn(f'/v3/company/{US_REALM}/customer', create.endpoint)
        self.assertIn('minorversion=75', create.endpoint)
        self.assertTrue(create.intuit_tid)
        self.assertTrue(create.success)
        self.assertEqual(json.loads(create.request_body)['DisplayName'], 'Log Me Inc')
        self.assertEqual(json.loads(create.response_body)['Customer']['Id'], customer['Id'])

    def test_every_request_has_minorversion(self):
        self.client.company_info()
        self.client.query('SELECT * FROM Item')
        for entry in self.emu.requests_log()['requests']:
            if '/v3/' in entry['path']:
                self.assertGreaterEqual(int(entry['minorversion']), 75, entry)

    def test_faults_are_typed_and_logged(self):
        self.client.create('Customer', {'DisplayName': 'Twice Ltd'})
        duplicate = self._qbo_raises(QboDuplicateError, self.client.create, 'Customer', {'DisplayName': 'Twice Ltd'})
        self.assertEqual(duplicate.code, '6240')
        self.assertTrue(duplicate.existing_id)
        missing = self._qbo_raises(QboNotFoundError, self.client.read, 'Customer', '987654')
        self.assertEqual(missing.code, '610')
        invalid = self._qbo_raises(QboValidationError, self.client.create, 'Customer', {'DisplayName': 'Bad: Name'})
        self.assertIn('Bad: Name', invalid.message + invalid.detail)
        self.connection.invalidate_recordset()
        failed = self.connection.log_ids.filtered(lambda log: not log.success)
        self.assertEqual(sorted(failed.mapped('fault_code')), sorted(['6240', '610', invalid.code]))

    def test_query_all_reads_past_one_page(self):
        """A list longer than QuickBooks' page of 1000 comes back whole, one query per page:
        every payment method of QuickBooks is offered for mapping, not the first 1000."""
        token = self.emu.mint(US_REALM)['access_token']
        names = [f'Method {n:04d}' for n in range(const.QUERY_PAGE + 1)]
        for start in range(0, len(names), 30):  # created by another application, 30 per batch
            response = requests.post(
                f'{self.emulator.base_url}/v3/company/{US_REALM}/batch',
                params={'minorversion': 75},
                timeout=60,
                headers={'Authorization': f'Bearer {token}', 'Accept': 'application/json'},
                json={
                    'BatchItemRequest': [
                        {'bId': name, 'operation': 'create', 'PaymentMethod': {'Name': name}}
                        for name in names[start : start + 30]
                    ]
                },
            )
            response.raise_for_status()
        in_qbo = {
            obj['Id']
            for obj in self.emu._call('GET', f'{US_REALM}/PaymentMethod')['objects']
            if obj.get('Active', True)
        }
        self.assertGreater(len(in_qbo), const.QUERY_PAGE)
        self.connection.invalidate_recordset()
        before = self.connection.log_ids
        offered = self.env['qbo.payment.method']._qbo_refresh(self.connection, self.client)
        self.assertEqual(set(offered.mapped('qbo_id')), in_qbo)
        self.connection.invalidate_recordset()
        queries = (self.connection.log_ids - before).sorted('id')
        self.assertEqual(len(queries), 2, queries.mapped('request_body'))
        self.assertIn('STARTPOSITION 1 MAXRESULTS 1000', queries[0].request_body)
        self.assertIn(f'STARTPOSITION {const.QUERY_PAGE + 1} MAXRESULTS 1000', queries[1].request_body)

    def test_redact(self):
        secret = 'abcdef123456'
        form = redact(f'grant_type=refresh_token&refresh_token={secret}')
        self.assertNotIn(secret, form)
        body = redact(json.dumps({'access_token': secret, 'nested': [{'refresh_token': secret}], 'ok': 1}))
        self.assertNotIn(secret, body)
        self.assertEqual(json.loads(body)['ok'], 1)
        self.assertNotIn(secret, redact(f'free text with {secret} inside', [secret]))
