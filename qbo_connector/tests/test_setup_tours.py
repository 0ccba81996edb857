"""The setup assistant and the Settings section in a real browser (headless Chromium, Odoo
tours in static/tests/tours/qbo_setup_tours.js): the recommended path, the customized path,
continue later and resume, and the Settings section; the server talks to the emulator over
HTTP on 127.0.0.1 as everywhere else.

With QBO_SCREENSHOTS=1 the tours' screenshot steps are saved as docs/images/<name>.png (the
README's and docs/setup.md's pictures)."""

import binascii
import os
import pathlib
from unittest.mock import patch

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import ChromeBrowser

from .test_push_invoice import QboPushCommon

SCREENSHOTS = pathlib.Path(__file__).resolve().parents[2] / 'docs' / 'images'
_original_console = ChromeBrowser._handle_console


def _console_with_screenshots(browser, type, args=None, stackTrace=None, **kw):  # noqa: A002 - the CDP's name
    """A tour's `console.log('qbo_screenshot <name>')` becomes a screenshot of the page."""
    text = str((args or [{}])[0].get('value') or '')
    if text.startswith('qbo_screenshot '):
        name = text.split(' ', 1)[1].strip()
        future = browser._websocket_send('Page.captureScreenshot', with_future=True)

        def save(done):
            data = done.result(timeout=0).get('data')
            if data:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                (SCREENSHOTS / f'{name}.png').write_bytes(binascii.a2b_base64(data))

        if future:
            future.add_done_callback(save)
    return _original_console(browser, type, args=args, stackTrace=stackTrace, **kw)


@tagged('post_install', '-at_install')
class TestSetupTours(QboPushCommon, HttpCase):
    registry_test_mode = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if os.environ.get('QBO_SCREENSHOTS') == '1':
            cls.startClassPatcher(patch.object(ChromeBrowser, '_handle_console', _console_with_screenshots))
        # The test chart has cash-basis taxes: the Settings page would refuse to load with the
        # setting off.
        cls.company.tax_exigibility = True
        cls.tour_user = new_test_user(
            cls.env,
            login='qbo_tour',
            password='qbo_tour',
            name='Tour Admin',
            groups='base.group_user,base.group_system,account.group_account_manager,qbo_connector.group_qbo_admin',
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def setUp(self):
        super().setUp()
        # Something for the pre-flight to find: a customer to link and an invoice number taken.
        client = self.connection._qbo_client()
        harbor = client.create('Customer', {'DisplayName': 'Harbor Lights LLC'})
        partner = self.env['res.partner'].create({'name': 'Harbor Lights LLC', 'customer_rank': 1})
        self.env['res.partner'].create({'name': 'Harbour Lights LLC', 'customer_rank': 1})
        invoice = self._invoice(partner_id=partner.id)
        item = client.query("SELECT * FROM Item WHERE Type = 'Service'")[0]
        client.create(
            'Invoice',
            {
                'DocNumber': invoice.name,
                'CustomerRef': {'value': harbor['Id']},
                'Line': [
                    {
                        'Amount': 10,
                        'DetailType': 'SalesItemLineDetail',
                        'SalesItemLineDetail': {'ItemRef': {'value': item['Id']}, 'Qty': 1, 'UnitPrice': 10},
                    }
                ],
            },
        )
        self.env['qbo.sync.job'].sudo().search([]).unlink()

    def _tour(self, name):
        self.start_tour('/odoo/settings', name, login='qbo_tour', timeout=180)
        self.env.invalidate_all()

    def _setup(self):
        return self.env['qbo.setup'].sudo().search([('connection_id', '=', self.connection.id)])

    def test_recommended_path(self):
        self.connection.write({'sync_bills': False, 'default_class_name': 'Old'})
        self._tour('qbo_setup_recommended')
        setup = self._setup()
        self.assertEqual(setup.step, 'done')
        self.assertEqual(setup.mode, 'recommended')
        self.assertTrue(setup.preflight_line_ids.filtered(lambda f: f.kind == 'document_clash'))
        self.assertFalse(self.connection.default_class_name)
        self.assertTrue(self.connection.sync_bills)
        self.assertEqual(self.connection.sync_start_date, setup._qbo_recommended_values()['sync_start_date'])
        self.assertTrue(self.env['qbo.sync.job'].sudo().search([('connection_id', '=', self.connection.id)]))

    def test_customized_path(self):
        self._tour('qbo_setup_customized')
        setup = self._setup()
        self.assertEqual((setup.step, setup.mode), ('done', 'customize'))
        self.assertEqual(self.connection.sync_direction, 'push_only')
        self.assertEqual(self.connection.invoice_prefix, 'TOUR-')
        self.assertTrue(self.connection.receipts_paid_at_once)

    def test_continue_later_and_resume(self):
        self._tour('qbo_setup_continue_later')
        # Resumed, then cancelled: nothing of it is left, the connection as it was.
        self.assertFalse(self._setup())
        self.assertEqual(self.connection.sync_direction, 'two_way')

    def test_settings_section(self):
        self._tour('qbo_settings_section')
        self.assertEqual(self.connection.invoice_prefix, 'SET-')
