"""The initial sync (issue 11, item 2): what Odoo holds goes to QuickBooks once, in batches,
linked where QuickBooks already has it; all unpaid invoices on request; a batch whose answer is
lost, its worker killed, resumed without a duplicate; pause and resume."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import US_REALM
from .test_push_invoice import QboPushCommon


class InitialSyncCommon(QboPushCommon):
    def setUp(self):
        super().setUp()
        # The documents exist before the connector sends anything: manual mode queues nothing.
        self.connection.sync_mode = 'manual'

    def _drain(self, rounds=6):
        """The queue run until nothing is left to do (as the cron, triggered, would)."""
        for _ in range(rounds):
            if not self._run_queue():
                break

    def _qbo_count(self, entity):
        return self.emu._call('GET', f'{US_REALM}/{entity}?count=1')['count']

    def _batch_calls(self):
        return [r for r in self._api_requests() if r['path'].endswith('/batch')]

    def _mapping(self, record, entity):
        return self.env['qbo.mapping'].sudo()._qbo_find(self.connection, record, entity)

    def _made_in_quickbooks(self, move, reference=False):
        """``move``'s twin made in QuickBooks (by hand: its number, no reference of Odoo's; or by a
        push whose answer was lost: with Odoo's reference). Returns its id."""
        client = self.connection._qbo_client()
        values = move._qbo_prepare_values(self.connection, client)
        if not reference:
            values['PrivateNote'] = 'Entered in QuickBooks by hand'
        entity = 'Invoice' if move.move_type == 'out_invoice' else 'CreditMemo'
        qbo_id = client.create(entity, values)['Id']
        self.env.flush_all()
        return qbo_id


@tagged('post_install', '-at_install')
class TestInitialSync(InitialSyncCommon):
    def test_every_document_once_linked_where_it_existed(self):
        invoices = [self._invoice() for _ in range(4)]
        credit_note = self._credit_note()
        payment = self._register_payment(invoices[1])
        self.assertFalse(self.env['qbo.sync.job'].sudo().search([]), 'manual mode: nothing queued yet')
        by_hand = self._made_in_quickbooks(invoices[2])
        lost = self._made_in_quickbooks(invoices[3], reference=True)
        invoices_before = self._qbo_count('Invoice')

        sync = self.connection._qbo_initial_sync_start()
        self.assertEqual(self.connection.initial_sync_id, sync)
        self._drain()

        self.env.invalidate_all()
        self.assertEqual((sync.state, sync.progress, sync.failed_count), ('done', 100.0, 0))
        self.assertEqual(sync.linked_count, 2)
        # Every document exactly once in QuickBooks, bound to it.
        for move in [*invoices, credit_note]:
            entity = 'Invoice' if move.move_type == 'out_invoice' else 'CreditMemo'
            qbo_doc = self._qbo_doc(entity, move.name)
            self.assertTrue(qbo_doc, f'{move.name} not in QuickBooks')
            self.assertEqual(move.qbo_id, qbo_doc['Id'])
            self.assertEqual(move.qbo_sync_state, 'synced')
        self.assertEqual(self._qbo_count('Invoice'), invoices_before + 2)
        # Linked, not sent again: the one made by hand is found, the one a lost push made is ours.
        self.assertEqual(invoices[2].qbo_id, by_hand)
        self.assertEqual(self._mapping(invoices[2], 'Invoice').origin, 'found')
        self.assertEqual(invoices[3].qbo_id, lost)
        self.assertEqual(self._mapping(invoices[3], 'Invoice').origin, 'created')
        self.assertEqual(self._mapping(invoices[0], 'Invoice').origin, 'created')
        # The payment went, applied to its invoice.
        self.assertEqual(payment.qbo_sync_state, 'synced')
        (qbo_payment,) = self._qbo_payments_of(payment)
        self.assertEqual(self._applied(qbo_payment), {('Invoice', invoices[1].qbo_id): invoices[1].amount_total})
        # The documents went in a batch call, not one request each.
        self.assertEqual(len(self._batch_calls()), 1)
        self.assertEqual(self._differences(), [])

    def test_a_payment_entered_in_quickbooks_against_a_found_invoice_is_linked(self):
        """An invoice and its payment both entered in QuickBooks by hand: the invoice is found by
        its number, the payment by its day, amount and the invoice it pays — linked, not sent
        again; a second payment of the same day and amount to another invoice stays apart."""
        invoice, other = self._invoice(), self._invoice()
        payment = self._register_payment(invoice)
        other_payment = self._register_payment(other)
        by_hand = self._made_in_quickbooks(invoice)
        client = self.connection._qbo_client()
        customer = client.read('Invoice', by_hand)['CustomerRef']
        entered = client.create(
            'Payment',
            {
                'CustomerRef': customer,
                'TotalAmt': payment.amount,
                'TxnDate': fields.Date.to_string(payment.date),
                'Line': [{'Amount': payment.amount, 'LinkedTxn': [{'TxnId': by_hand, 'TxnType': 'Invoice'}]}],
            },
        )
        self.env.flush_all()
        payments_before = self._qbo_count('Payment')
        sync = self.connection._qbo_initial_sync_start()
        self._drain()
        self.env.invalidate_all()
        self.assertEqual((sync.state, sync.failed_count, sync.linked_count), ('done', 0, 2))
        self.assertEqual(payment.qbo_id, entered['Id'])
        self.assertEqual(self._mapping(payment, 'Payment').origin, 'found')
        self.assertEqual(len(self._qbo_payments_of(other_payment)), 1, "the other invoice's payment is sent")
        self.assertEqual(self._qbo_count('Payment'), payments_before + 1)
        self.assertEqual(self._differences(), [])

    def test_a_number_another_document_holds_is_not_linked(self):
        """QuickBooks holds an invoice of the same number but for another amount (as the pre-flight
        reports a clash): the initial sync does not take it for this one; the push says so, naming
        it, and nothing is linked that is not this document's twin."""
        invoice = self._invoice()
        twin_id = self._made_in_quickbooks(invoice)
        client = self.connection._qbo_client()
        other = client.read('Invoice', twin_id)
        client.update(
            'Invoice',
            {
                'Id': other['Id'],
                'SyncToken': other['SyncToken'],
                'Line': [
                    dict(
                        other['Line'][0],
                        Amount=1.0,
                        SalesItemLineDetail=dict(other['Line'][0]['SalesItemLineDetail'], Qty=1, UnitPrice=1.0),
                    )
                ],
            },
        )
        self.env.flush_all()
        sync = self.connection._qbo_initial_sync_start()
        self._drain()
        self.env.invalidate_all()
        self.assertEqual(sync.linked_count, 0)
        self.assertFalse(self._mapping(invoice, 'Invoice'))
        self.assertEqual(invoice.qbo_sync_state, 'failed')
        self.assertIn(twin_id, invoice.qbo_sync_error)

    def test_all_unpaid_invoices_whatever_their_date(self):
        self.connection.sync_start_date = fields.Date.today()
        old = fields.Date.today() - timedelta(days=60)
        old_unpaid = self._invoice(invoice_date=old)
        old_paid = self._invoice(invoice_date=old)
        self._register_payment(old_paid, payment_date=old)
        new = [self._invoice() for _ in range(2)]

        sync = self.connection._qbo_initial_sync_start(all_unpaid=True)
        self._drain()

        self.env.invalidate_all()
        self.assertEqual(sync.state, 'done')
        self.assertTrue(self._qbo_doc('Invoice', old_unpaid.name), 'an unpaid invoice goes whatever its date')
        self.assertFalse(self._qbo_doc('Invoice', old_paid.name), 'a paid one before the start date does not')
        self.assertFalse(old_paid.qbo_id)
        for move in new:
            self.assertTrue(self._qbo_doc('Invoice', move.name))

    def test_without_all_unpaid_the_start_date_decides(self):
        self.connection.sync_start_date = fields.Date.today()
        old_unpaid = self._invoice(invoice_date=fields.Date.today() - timedelta(days=60))
        new = self._invoice()
        self.connection._qbo_initial_sync_start()
        self._drain()
        self.assertFalse(self._qbo_doc('Invoice', old_unpaid.name))
        self.assertTrue(self._qbo_doc('Invoice', new.name))

    def test_batch_answer_lost_worker_killed_then_resumed_nothing_duplicated(self):
        invoices = [self._invoice() for _ in range(5)]
        invoices_before = self._qbo_count('Invoice')
        sync = self.connection._qbo_initial_sync_start()
        self._run_queue()  # the driver: lists, links, the documents queued
        self.emu._call('POST', 'faults', json={'kind': 'drop_after_commit', 'count': 1, 'path': '/batch'})
        self._run_queue()
        # QuickBooks performed the batch; its answer never came.
        self.assertEqual(self._qbo_count('Invoice'), invoices_before + 5)
        jobs = sync.job_ids.filtered(lambda j: j.res_model == 'account.move')
        self.assertEqual(len(jobs), 5)
        self.assertTrue(all(jobs.mapped('outcome_unknown')), jobs.mapped('state'))
        # The worker is killed before it records anything more: its jobs stay in progress, as a
        # dead worker leaves them (the attempt was committed before the batch went out).
        self.env.cr.execute(
            "UPDATE qbo_sync_job SET state = 'in_progress', next_attempt_at = now() at time zone 'UTC' WHERE id IN %s",
            [tuple(jobs.ids)],
        )
        self.env.invalidate_all()
        self._drain()

        self.env.invalidate_all()
        self.assertEqual(self._qbo_count('Invoice'), invoices_before + 5, 'nothing sent twice')
        for move in invoices:
            qbo_doc = self._qbo_doc('Invoice', move.name)
            self.assertEqual(move.qbo_id, qbo_doc['Id'])
            self.assertEqual(self._mapping(move, 'Invoice').origin, 'created')
        self.assertEqual(set(jobs.mapped('state')), {'done'})
        self.assertEqual(sync.state, 'done')
        self.assertEqual(self._differences(), [])

    def test_pause_then_resume(self):
        invoices = [self._invoice() for _ in range(3)]
        sync = self.connection._qbo_initial_sync_start()
        # The driver alone (lists, links, queue): run it as the queue does, then pause.
        driver = sync.job_ids.filtered(lambda j: j.res_model == 'qbo.initial.sync')
        self.env.flush_all()
        with self.registry.cursor() as cr:
            self.env(cr=cr)['qbo.sync.job'].sudo().browse(driver.id)._qbo_run()
        self.env.invalidate_all()
        self.assertEqual(sync.waiting_count, 3)
        sync.action_pause()
        self._drain()
        self.env.invalidate_all()
        self.assertEqual(sync.state, 'paused')
        self.assertFalse(any(self._qbo_doc('Invoice', m.name) for m in invoices), 'paused: nothing sent')
        sync.action_resume()
        self._drain()
        self.env.invalidate_all()
        self.assertEqual(sync.state, 'done')
        for move in invoices:
            self.assertEqual(move.qbo_id, self._qbo_doc('Invoice', move.name)['Id'])

    def test_a_refused_item_fails_alone(self):
        invoices = [self._invoice() for _ in range(3)]
        sync = self.connection._qbo_initial_sync_start()
        driver = sync.job_ids.filtered(lambda j: j.res_model == 'qbo.initial.sync')
        self.env.flush_all()
        with self.registry.cursor() as cr:
            self.env(cr=cr)['qbo.sync.job'].sudo().browse(driver.id)._qbo_run()
        self.env.invalidate_all()
        # The customer of the second invoice made inactive in QuickBooks (as a user may).
        customer = self._mapping(invoices[1].partner_id.commercial_partner_id, 'Customer')
        client = self.connection._qbo_client()
        current = client.read('Customer', customer.qbo_id)
        client.update('Customer', {'Id': current['Id'], 'SyncToken': current['SyncToken'], 'Active': False})
        self._drain()
        self.env.invalidate_all()
        # The same customer is on all three: each refused alone, with QuickBooks' reason, and the
        # sync finished (failures counted).
        states = sync.job_ids.filtered(lambda j: j.res_model == 'account.move').mapped('state')
        self.assertIn('failed', states)
        self.assertEqual(sync.state, 'done')
        self.assertEqual(sync.failed_count, states.count('failed'))
        failed = sync.job_ids.filtered(lambda j: j.state == 'failed')
        self.assertTrue(all(j.error_message for j in failed))


@tagged('post_install', '-at_install')
class TestInitialSyncRights(InitialSyncCommon):
    def test_only_quickbooks_administrators_start_pause_or_resume(self):
        user = self.env['res.users'].create(
            {
                'name': 'QuickBooks User Only',
                'login': 'qbo_initial_user',
                'group_ids': [
                    fields.Command.set(
                        [self.env.ref('base.group_user').id, self.env.ref('qbo_connector.group_qbo_user').id]
                    )
                ],
                'company_id': self.company.id,
                'company_ids': [fields.Command.set(self.company.ids)],
            }
        )
        connection = self.connection.with_user(user)
        with self.assertRaises(AccessError):
            connection.action_qbo_initial_sync_start()
        sync = self.connection._qbo_initial_sync_start()
        for action in ('action_pause', 'action_resume', 'action_cancel'):
            with self.assertRaises(AccessError):
                getattr(sync.with_user(user), action)()
        with self.assertRaises(AccessError):
            sync.with_user(user).write({'state': 'done'})
        # The user reads its progress (the dashboard shows it).
        self.assertEqual(sync.with_user(user).state, 'running')
