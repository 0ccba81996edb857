"""A user changing a document while its push is in flight, in real transactions: the push holds
the document's row, so the user's change waits for the push's outcome to be committed, and then
sees what QuickBooks now holds (issue 9, defect 8)."""

import threading
import time

from odoo import Command, fields
from odoo.service.model import retrying
from odoo.tests import tagged

from .common import US_REALM, QboCommittedCase

# How long QuickBooks takes to answer the push held in flight: time enough for the user's
# change to start in the middle of it.
IN_FLIGHT_SECONDS = 2.0


@tagged('post_install', '-at_install')
class TestPushLocking(QboCommittedCase):
    def _qbo_committed_setup(self, env):
        partner = env['res.partner'].create({'name': 'In Flight Ltd', 'email': 'in.flight@example.com'})
        product = env['product.product'].create({'name': 'In flight widget', 'default_code': 'IF-1', 'taxes_id': False})
        invoice = env['account.move'].create(
            {
                'move_type': 'out_invoice',
                'partner_id': partner.id,
                'invoice_date': fields.Date.today(),
                'invoice_line_ids': [
                    Command.create({'product_id': product.id, 'quantity': 1, 'price_unit': 250, 'tax_ids': False})
                ],
            }
        )
        invoice.action_post()
        self.invoice_id = invoice.id
        self.addCleanup(self.emu._call, 'DELETE', 'faults')

    # -- helpers ---------------------------------------------------------------

    def _drain(self):
        with self.registry.cursor() as cr:
            self._env(cr)['qbo.sync.job']._cron_process_jobs()

    def _jobs(self, cr, record):
        return (
            self._env(cr)['qbo.sync.job']
            .search([('res_model', '=', record._name), ('res_id', '=', record.id)], order='id')
            .read(['operation', 'state', 'attempts', 'qbo_id', 'error_code'])
        )

    def _slow(self, entity):
        """QuickBooks takes IN_FLIGHT_SECONDS to answer the writes of ``entity``."""
        ms = int(IN_FLIGHT_SECONDS * 1000)
        self.emu._call(
            'PATCH',
            'config',
            json={'fault_injection': {'latency_ms': [ms, ms], 'entities': [entity], 'methods': ['POST']}},
        )

    def _while_in_flight(self, record, change):
        """Run the queue in a worker thread and, once ``record``'s push is on its way to
        QuickBooks, ``change(env)`` in a user's transaction of its own, retried on a
        serialization failure as Odoo retries a user's request. Returns the seconds the user's
        transaction took."""
        worker = threading.Thread(target=self._drain)
        worker.start()
        deadline = time.monotonic() + 30
        while True:
            with self.registry.cursor() as cr:
                if any(job['state'] == 'in_progress' for job in self._jobs(cr, record)):
                    break
            self.assertLess(time.monotonic(), deadline, 'the push never started')
            time.sleep(0.05)
        time.sleep(IN_FLIGHT_SECONDS / 4)  # the request is out, its answer not back
        started = time.monotonic()
        with self.registry.cursor() as cr:
            env = self._env(cr)
            retrying(lambda: change(env), env)
        took = time.monotonic() - started
        worker.join(timeout=120)
        self.assertFalse(worker.is_alive())
        self.emu._call('DELETE', 'faults')
        return took

    def _qbo(self, entity):
        """Our customer's ``entity`` objects in QuickBooks (the sandbox company has others)."""
        return [
            obj
            for obj in self.emu._call('GET', f'{US_REALM}/{entity}')['objects']
            if obj['CustomerRef'].get('name') == 'In Flight Ltd'
        ]

    # -- tests -----------------------------------------------------------------

    def test_payment_cancelled_while_its_push_is_in_flight_queues_its_void(self):
        """The user cancels a payment while its Payment is being created in QuickBooks: the
        cancel waits for the push to be committed, then queues the void of the Payment it made
        (before, it went through at once, knowing of nothing to void, and the push's outcome
        could not be saved: QuickBooks kept a Payment of a cancelled payment, unknown to Odoo,
        until a later attempt looked for it)."""
        self._drain()  # the invoice
        with self.registry.cursor() as cr:
            env = self._env(cr)
            invoice = env['account.move'].browse(self.invoice_id)
            self.assertEqual(invoice.qbo_sync_state, 'synced')
            payment = (
                env['account.payment.register']
                .with_context(active_model='account.move', active_ids=invoice.ids)
                .create({})
                ._create_payments()
            )
            self.assertEqual(payment.qbo_sync_state, 'pending')
        self._slow('Payment')
        took = self._while_in_flight(payment, lambda env: env['account.payment'].browse(payment.id).action_cancel())
        with self.registry.cursor() as cr:
            push, void = (self._jobs(cr, payment) + [None])[:2]
            self.assertEqual(
                (push['operation'], push['state'], push['attempts'], push['error_code']),
                ('push', 'done', 1, False),
                "the push's outcome was saved",
            )
            self.assertTrue(push['qbo_id'])
            self.assertTrue(void, 'the cancel queued the void of the Payment the push made')
            self.assertEqual((void['operation'], void['state']), ('void', 'pending'))
        self.assertGreater(took, IN_FLIGHT_SECONDS / 2, 'the cancel waited for the push')
        self._drain()
        payments = self._qbo('Payment')
        self.assertEqual(len(payments), 1, 'one Payment, never a second')
        self.assertEqual(float(payments[0]['TotalAmt']), 0.0, 'voided')
        with self.registry.cursor() as cr:
            invoice = self._env(cr)['account.move'].browse(self.invoice_id)
            qbo_invoice = next(i for i in self._qbo('Invoice') if i['Id'] == invoice.qbo_id)
            self.assertEqual(float(qbo_invoice['Balance']), invoice.amount_residual, 'the invoice is open again')

    def test_invoice_cancelled_while_its_push_is_in_flight_is_voided(self):
        """The same for an invoice: reset and cancelled while its Invoice is being created in
        QuickBooks, the user's change waits for the push, then queues the Invoice's void."""
        with self.registry.cursor() as cr:
            invoice = self._env(cr)['account.move'].browse(self.invoice_id)

        def cancel(env):
            move = env['account.move'].browse(invoice.id)
            move.button_draft()
            move.button_cancel()

        self._slow('Invoice')
        took = self._while_in_flight(invoice, cancel)
        with self.registry.cursor() as cr:
            push, void = (self._jobs(cr, invoice) + [None])[:2]
            self.assertEqual((push['state'], push['attempts'], push['error_code']), ('done', 1, False))
            self.assertTrue(void, 'the cancel queued the void of the Invoice the push made')
            self.assertEqual((void['operation'], void['state']), ('void', 'pending'))
        self.assertGreater(took, IN_FLIGHT_SECONDS / 2, 'the cancel waited for the push')
        self._drain()
        with self.registry.cursor() as cr:
            invoice = self._env(cr)['account.move'].browse(self.invoice_id)
            (qbo_invoice,) = [i for i in self._qbo('Invoice') if i['Id'] == invoice.qbo_id]
            self.assertEqual(float(qbo_invoice['TotalAmt']), 0.0, 'voided')
        self.assertEqual(len(self._qbo('Invoice')), 1)
