"""Remove what Odoo created in QuickBooks (issue 11, item 4): exactly what the connector created,
never what it found and linked; refused, with the reason, where QuickBooks holds later work."""

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..models.qbo_mapping import SHARED_ROLES
from .test_initial_sync import InitialSyncCommon


@tagged('post_install', '-at_install')
class TestUndo(InitialSyncCommon):
    def _undo(self, **values):
        undo = self.env['qbo.undo'].sudo().create({'connection_id': self.connection.id, **values})
        undo.action_preview()
        return undo

    def _lines(self, undo):
        return {(line.qbo_entity, line.qbo_object_id): line for line in undo.line_ids}

    def test_undo_of_an_initial_sync_removes_what_it_created_and_nothing_linked(self):
        invoices = [self._invoice() for _ in range(4)]
        payment = self._register_payment(invoices[3])
        by_hand = self._made_in_quickbooks(invoices[1])
        sync = self.connection._qbo_initial_sync_start()
        self._drain()
        self.env.invalidate_all()
        self.assertEqual(sync.state, 'done')
        # A user applies a payment to the third invoice in QuickBooks.
        client = self.connection._qbo_client()
        customer_id = self._qbo_doc('Invoice', invoices[2].name)['CustomerRef']['value']
        users_payment = client.create(
            'Payment',
            {
                'CustomerRef': {'value': customer_id},
                'TotalAmt': 10.0,
                'Line': [{'Amount': 10.0, 'LinkedTxn': [{'TxnId': invoices[2].qbo_id, 'TxnType': 'Invoice'}]}],
            },
        )
        found_total = self._qbo_by_id('Invoice', by_hand)['TotalAmt']

        undo = self._undo(scope='initial_sync', initial_sync_id=sync.id)
        lines = self._lines(undo)
        created = {
            ('Invoice', invoices[0].qbo_id),
            ('Invoice', invoices[2].qbo_id),
            ('Invoice', invoices[3].qbo_id),
            ('Payment', payment.qbo_id),
        }
        self.assertLessEqual(created, set(lines), 'every document the sync created is listed')
        self.assertNotIn(('Invoice', by_hand), lines, 'what it found and linked is never listed')
        self.assertNotIn(('Payment', users_payment['Id']), lines)
        self.assertEqual(set(lines) - created, {k for k in lines if k[0] in ('Customer', 'Item')})
        held = lines['Invoice', invoices[2].qbo_id]
        self.assertEqual(held.state, 'refused')
        self.assertIn(f'Payment {users_payment["Id"]}', held.reason)
        # The customer and the items stay: documents kept in QuickBooks use them.
        for key, line in lines.items():
            if key[0] in ('Customer', 'Item'):
                self.assertEqual(line.state, 'refused', key)
        self.assertEqual(undo.refused_count, len(lines) - 3)

        kept_id = invoices[2].qbo_id
        seen = len(self._api_requests())
        undo.action_execute()
        self._drain()
        self.env.invalidate_all()
        self.assertEqual(undo.state, 'done')
        self.assertEqual(undo.done_count, 3)
        # Each invoice is read once before its void (a payment applied since?), and voided over
        # that version: no second read.
        reads = [r for r in self._api_requests()[seen:] if r['operation'] == 'read' and r['entity'] == 'Invoice']
        self.assertEqual(len(reads), 2)
        in_quickbooks = {o['Id']: o for o in self._qbo('Invoice')}
        for move in (invoices[0], invoices[3]):
            ids = [k[1] for k in created if k[0] == 'Invoice' and lines[k].record_name == move.display_name]
            self.assertEqual(len(ids), 1)
            self.assertEqual(in_quickbooks[ids[0]]['PrivateNote'], 'Voided')
            self.assertEqual(float(in_quickbooks[ids[0]]['TotalAmt']), 0.0)
        (payment_id,) = [k[1] for k in created if k[0] == 'Payment']
        self.assertEqual(float(self._qbo_by_id('Payment', payment_id)['TotalAmt']), 0.0, 'the payment voided')
        # Links removed for what was removed, kept for the rest.
        self.assertFalse(invoices[0].qbo_id)
        self.assertFalse(invoices[3].qbo_id)
        self.assertFalse(payment.qbo_id)
        self.assertEqual(invoices[1].qbo_id, by_hand)
        self.assertTrue(invoices[2].qbo_id)
        self.assertEqual(self._qbo_by_id('Invoice', by_hand)['TotalAmt'], found_total, 'linked: untouched')
        self.assertEqual(invoices[2].qbo_id, kept_id)
        self.assertNotEqual(in_quickbooks[kept_id]['PrivateNote'], 'Voided')
        # The log says what was done, object by object.
        self.assertEqual(undo.log.count('Voided'), 3)

    def test_undo_of_an_initial_sync_leaves_what_pushes_running_meanwhile_created(self):
        """A customer created by an ordinary push while the initial sync ran is not the sync's:
        its undo lists the customer the sync created, not that one (both made in its window)."""
        self._invoice()
        sync = self.connection._qbo_initial_sync_start()
        for _round in range(3):
            if sync.phase == 'documents':
                break
            self._run_queue()
        self.assertEqual((sync.state, sync.phase), ('running', 'documents'), 'its documents chosen')
        self.connection.sync_mode = 'automatic'
        meanwhile = self._invoice(partner_id=self.partner_b.id)
        self.assertTrue(self._jobs(meanwhile).filtered(lambda j: not j.initial_sync_id), 'an ordinary push')
        self._drain()
        self.env.invalidate_all()
        self.assertEqual(sync.state, 'done')
        self.assertEqual(meanwhile.qbo_sync_state, 'synced', meanwhile.qbo_sync_error)
        theirs = self._mapping(self.partner_b, 'Customer')
        ours = self._mapping(self.partner_a, 'Customer')
        self.assertEqual((ours.origin, theirs.origin), ('created', 'created'))
        self.assertLessEqual(sync.started_at, theirs.create_date)
        lines = self._lines(self._undo(scope='initial_sync', initial_sync_id=sync.id))
        self.assertIn(('Customer', ours.qbo_id), lines)
        self.assertNotIn(('Customer', theirs.qbo_id), lines, 'created by a push of its own')
        self.assertNotIn(('Invoice', meanwhile.qbo_id), lines)

    def test_undo_of_a_date_range_deactivates_the_names_it_created(self):
        self.connection.sync_mode = 'automatic'
        invoices = [self._invoice() for _ in range(2)]
        self._run_queue()
        self.env.invalidate_all()
        customer = (
            self.env['qbo.mapping']
            .sudo()
            ._qbo_find(self.connection, invoices[0].partner_id.commercial_partner_id, 'Customer')
        )
        self.assertEqual(customer.origin, 'created')
        customer_id = customer.qbo_id
        today = fields.Date.today()
        undo = self._undo(scope='dates', date_from=today, date_to=today)
        lines = self._lines(undo)
        self.assertIn(('Customer', customer_id), lines)
        self.assertEqual(set(undo.line_ids.mapped('state')), {'to_do'})
        undo.action_execute()
        self._drain()
        self.env.invalidate_all()
        self.assertEqual(undo.state, 'done')
        self.assertEqual(set(undo.line_ids.mapped('state')), {'done'})
        self.assertFalse(customer.exists(), 'its link removed')
        qbo_customer = next(c for c in self._qbo('Customer') if c['Id'] == customer_id)
        self.assertIs(qbo_customer['Active'], False)
        for key in lines:
            if key[0] == 'Item':
                self.assertIs(self._qbo_by_id('Item', key[1])['Active'], False)
        for move in invoices:
            self.assertFalse(move.qbo_id)
        # Nothing it created is left linked but what others share (a term, an account): never removed.
        left = (
            self.env['qbo.mapping']
            .sudo()
            .search([('connection_id', '=', self.connection.id), ('origin', '=', 'created')])
        )
        self.assertFalse(left.filtered(lambda m: m.role not in SHARED_ROLES), left.mapped('qbo_entity'))

    def test_only_quickbooks_administrators_preview_or_remove(self):
        user = self.env['res.users'].create(
            {
                'name': 'QuickBooks Reader',
                'login': 'qbo_undo_reader',
                'group_ids': [
                    fields.Command.set(
                        [self.env.ref('base.group_user').id, self.env.ref('qbo_connector.group_qbo_user').id]
                    )
                ],
                'company_id': self.company.id,
                'company_ids': [fields.Command.set(self.company.ids)],
            }
        )
        undo = self.env['qbo.undo'].sudo().create({'connection_id': self.connection.id, 'scope': 'dates'})
        with self.assertRaises(AccessError):
            self.env['qbo.undo'].with_user(user).create({'connection_id': self.connection.id})
        for action in ('action_preview', 'action_execute'):
            with self.assertRaises(AccessError):
                getattr(undo.with_user(user), action)()
