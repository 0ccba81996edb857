"""The sync dashboard in a real browser (issue 11, items 3 and 5), and who may call the initial
sync's and the removal's public methods over RPC."""

from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged

from .common import QboRpcMixin, QboTestMixin


@tagged('post_install', '-at_install')
class TestDashboardTour(QboRpcMixin, QboTestMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._qbo_setup_emulator()
        # The company the admin's session opens on, named for the tour to find its card.
        cls.company = cls.env.ref('base.main_company')
        cls.company.write({'name': 'QuickBooks Dashboard Co', 'country_id': cls.env.ref('base.us').id})
        cls.env['qbo.connection'].sudo().with_context(active_test=False).search(
            [('company_id', '=', cls.company.id)]
        ).unlink()
        cls.qbo_user = new_test_user(
            cls.env,
            login='qbo_dash_user',
            password='qbo_dash_user',
            groups='base.group_user,qbo_connector.group_qbo_user',
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def setUp(self):
        super().setUp()
        self.emu.reset()
        self.connection = self._qbo_connect(self.env, self.company)

    def _jobs(self, count, **values):
        """Jobs of the connection (of partners: the records are not the point here)."""
        jobs = self.env['qbo.sync.job'].sudo()
        for _ in range(count):
            partner = self.env['res.partner'].create({'name': 'Dashboard customer'})
            jobs |= jobs.create(
                {
                    'connection_id': self.connection.id,
                    'res_model': 'res.partner',
                    'res_id': partner.id,
                    'record_name': 'Dashboard job',
                    **values,
                }
            )
        return jobs

    def test_dashboard_tour(self):
        self.sync = (
            self.env['qbo.initial.sync']
            .sudo()
            .create(
                {
                    'connection_id': self.connection.id,
                    'phase': 'documents',
                    'total_count': 6,
                    'documents_started_at': fields.Datetime.now() - timedelta(minutes=2),
                }
            )
        )
        self.connection.sudo().initial_sync_id = self.sync
        now = fields.Datetime.now()
        # Two waiting, one failed, three done today: two thirds of the initial sync processed.
        self._jobs(2, initial_sync_id=self.sync.id)
        self._jobs(1, state='failed', error_code='6000', error_message='Refused.', initial_sync_id=self.sync.id)
        self._jobs(3, state='done', done_at=now, initial_sync_id=self.sync.id)
        self.assertAlmostEqual(self.sync.progress, 4 / 6 * 100)
        self.assertIn('About', self.sync.time_left)
        self.assertEqual(
            (
                self.connection.qbo_jobs_waiting_count,
                self.connection.qbo_jobs_failed_count,
                self.connection.qbo_jobs_done_today_count,
            ),
            (2, 1, 3),
        )
        self.start_tour('/odoo/action-qbo_connector.action_qbo_dashboard', 'qbo_dashboard_tour', login='admin')

    # -- RPC --------------------------------------------------------------------

    def test_initial_sync_and_removal_over_rpc(self):
        connection_id = self.connection.id
        # A QuickBooks user reads the dashboard but does not start, pause or undo anything.
        answer = self._rpc(
            self.qbo_user, 'qbo.connection', 'web_search_read', [], specification={'qbo_jobs_waiting_count': {}}
        )
        self.assertEqual(answer['result']['records'][0]['id'], connection_id)
        self._assert_refused(
            self._rpc(self.qbo_user, 'qbo.connection', 'action_qbo_initial_sync_start', [connection_id])
        )
        self._assert_refused(
            self._rpc(self.qbo_user, 'qbo.connection', '_qbo_initial_sync_start', [connection_id], all_unpaid=True)
        )
        self.assertFalse(self.env['qbo.initial.sync'].sudo().search([('connection_id', '=', connection_id)]))
        sync = self.connection._qbo_initial_sync_start()
        for method in ('action_pause', 'action_cancel', 'action_qbo_undo', '_qbo_push'):
            self._assert_refused(self._rpc(self.qbo_user, 'qbo.initial.sync', method, [sync.id]))
        self._assert_refused(self._rpc(self.qbo_user, 'qbo.initial.sync', 'write', [sync.id], {'state': 'done'}))
        self._assert_refused(self._rpc(self.qbo_user, 'qbo.undo', 'create', {'connection_id': connection_id}))
        undo = self.env['qbo.undo'].sudo().create({'connection_id': connection_id, 'scope': 'dates'})
        for method in ('action_preview', 'action_execute'):
            self._assert_refused(self._rpc(self.qbo_user, 'qbo.undo', method, [undo.id]))
        self.env.invalidate_all()
        self.assertEqual((sync.state, undo.state), ('running', 'draft'))
