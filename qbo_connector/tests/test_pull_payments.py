"""Payments recorded in QuickBooks come back to Odoo through the scheduled change data capture
(issue 10): registered for the mapped customer, reconciled with the invoices they name, replaced
when changed there, cancelled when voided or deleted; Odoo's own never imported back."""

from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged

from .common import EMPTY_REALM
from .test_push_invoice import QboPushCommon


class QboPullCommon(QboPushCommon):
    """A connected US company whose pushes and pulls run as the scheduled actions do."""

    # -- helpers ---------------------------------------------------------------

    def _pull(self):
        """One scheduled pull of the connection (due whatever its last pull), then the queue."""
        self.env.flush_all()
        with self.registry.cursor() as cr:
            env = self.env(cr=cr)
            env['qbo.connection'].browse(self.connection.id).sudo().last_pull_at = False
            env['qbo.connection']._cron_pull_changes()
        self.env.invalidate_all()
        self._run_queue()

    def _qbo_client(self):
        return self.connection._qbo_client()

    def _qbo_payment(self, customer_ref, links=(), total=None, **values):
        """A payment recorded in QuickBooks by a bookkeeper: ``links`` [(document, amount)]."""
        lines = [
            {'Amount': amount, 'LinkedTxn': [{'TxnId': doc['Id'], 'TxnType': doc.get('_type', 'Invoice')}]}
            for doc, amount in links
        ]
        body = {
            'CustomerRef': {'value': customer_ref['value']},
            'TotalAmt': total if total is not None else sum(amount for _doc, amount in links),
            'TxnDate': fields.Date.to_string(fields.Date.today()),
            'Line': lines,
            **values,
        }
        return self._qbo_client().create('Payment', body)

    def _qbo_payment_changed_to(self, qbo_payment, qbo_invoice, amount):
        """A bookkeeper changes ``qbo_payment`` in QuickBooks to ``amount``, all of it applied to
        ``qbo_invoice``."""
        return self._qbo_client().update(
            'Payment',
            {
                'Id': qbo_payment['Id'],
                'SyncToken': qbo_payment['SyncToken'],
                'TotalAmt': amount,
                'Line': [{'Amount': amount, 'LinkedTxn': [{'TxnId': qbo_invoice['Id'], 'TxnType': 'Invoice'}]}],
            },
        )

    def _pulled(self):
        return self.env['account.payment'].search([('qbo_pulled', '=', True)], order='id')

    def _push_jobs(self):
        return self.env['qbo.sync.job'].sudo().search([('direction', '=', 'push')])

    def _pull_jobs(self, *qbo_payments):
        """The pull jobs (of ``qbo_payments`` when given: the sample company has payments of its own)."""
        jobs = self.env['qbo.sync.job'].sudo().search([('direction', '=', 'pull')])
        if qbo_payments:
            ids = {p['Id'] for p in qbo_payments}
            jobs = jobs.filtered(lambda j: self.env['qbo.inbound.event'].sudo().browse(j.res_id).qbo_object_id in ids)
        return jobs

    def _cdc_requests(self):
        return [r for r in self._api_requests() if r['path'].endswith('/cdc')]

    def _pushed_invoice(self, **values):
        invoice = self._invoice(**values)
        self._run_queue()
        return invoice, self._qbo_doc('Invoice', invoice.name)

    def _assert_balance_agrees(self, *moves):
        for move in moves:
            entity, key = (
                ('Invoice', 'Balance') if move.move_type == 'out_invoice' else ('CreditMemo', 'RemainingCredit')
            )
            self.assertAlmostEqual(
                float(self._qbo_doc(entity, move.name)[key]), move.amount_residual, places=2, msg=move.name
            )


@tagged('post_install', '-at_install')
class TestPullPayments(QboPullCommon):
    def test_payment_made_in_quickbooks_comes_back_through_cdc(self):
        invoice, qbo_invoice = self._pushed_invoice()
        pushes = self._push_jobs()
        qbo_payment = self._qbo_payment(
            qbo_invoice['CustomerRef'], [(qbo_invoice, invoice.amount_total)], PaymentRefNum='CHK-1001'
        )
        before = len(self._api_requests())
        self._pull()
        # One read: the CDC call, which carries the payment itself.
        self.assertEqual([r['path'].rsplit('/', 1)[1] for r in self._api_requests()[before:]], ['cdc'])
        payment = self._pulled()
        self.assertEqual(len(payment), 1)
        self.assertEqual(payment.partner_id, invoice.commercial_partner_id)
        self.assertAlmostEqual(payment.amount, invoice.amount_total)
        self.assertEqual(payment.payment_type, 'inbound')
        self.assertEqual(payment.memo, 'CHK-1001')
        self.assertEqual(payment.qbo_id, qbo_payment['Id'])
        self.assertTrue(payment.move_id)
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertIn(invoice.payment_state, ('paid', 'in_payment'))
        self.assertIn(payment, invoice.matched_payment_ids | invoice._get_reconciled_payments())
        self._assert_balance_agrees(invoice)
        self.assertIn('Recorded in QuickBooks', payment.message_ids[0].body)
        self.assertIn(f'txnId={qbo_payment["Id"]}', payment.message_ids[0].body)
        # Nothing goes back to QuickBooks: no push job was queued by the pull.
        self.assertEqual(self._push_jobs(), pushes)
        job = self._pull_jobs(qbo_payment)
        self.assertEqual((len(job), job.state, job.operation), (1, 'done', 'pull'))
        jobs = self._pull_jobs()
        # Pulled again, nothing changed: one read, nothing new.
        before = len(self._api_requests())
        self._pull()
        self.assertEqual(len(self._api_requests()) - before, 1)
        self.assertEqual(self._pulled(), payment)
        self.assertEqual(self._pull_jobs(), jobs)

    def test_partial_payment(self):
        invoice, qbo_invoice = self._pushed_invoice()
        self._qbo_payment(qbo_invoice['CustomerRef'], [(qbo_invoice, 100.0)])
        self._pull()
        payment = self._pulled()
        self.assertAlmostEqual(payment.amount, 100.0)
        self.assertAlmostEqual(invoice.amount_residual, invoice.amount_total - 100.0)
        self.assertEqual(invoice.payment_state, 'partial')
        self._assert_balance_agrees(invoice)

    def test_payment_of_an_invoice_due_in_instalments(self):
        """An invoice due in two instalments (30 % now, the rest in 30 days) has two open receivable
        lines: a payment made in QuickBooks settles them in order of due date, in part and then in
        full, and Odoo's balance stays QuickBooks' (it settled only the first instalment, the rest of
        the payment left as an outstanding credit)."""
        term = self.env['account.payment.term'].create(
            {
                'name': '30% now, balance in 30 days',
                'line_ids': [
                    Command.create({'value': 'percent', 'value_amount': 30.0, 'nb_days': 0}),
                    Command.create({'value': 'percent', 'value_amount': 70.0, 'nb_days': 30}),
                ],
            }
        )
        invoice, qbo_invoice = self._pushed_invoice(invoice_payment_term_id=term.id)
        receivable = invoice.line_ids.filtered(lambda line: line.account_id.account_type == 'asset_receivable')
        self.assertEqual(len(receivable), 2)
        half = invoice.currency_id.round(invoice.amount_total / 2)
        self._qbo_payment(qbo_invoice['CustomerRef'], [(qbo_invoice, half)])
        self._pull()
        self.assertAlmostEqual(invoice.amount_residual, invoice.amount_total - half)
        first, second = receivable.sorted('date_maturity')
        self.assertTrue(first.reconciled, 'the instalment due first is settled first')
        self.assertAlmostEqual(second.amount_residual, invoice.amount_total - half)
        self._assert_balance_agrees(invoice)
        qbo_invoice = self._qbo_doc('Invoice', invoice.name)
        self._qbo_payment(qbo_invoice['CustomerRef'], [(qbo_invoice, invoice.amount_total - half)])
        self._pull()
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertIn(invoice.payment_state, ('paid', 'in_payment'))
        self._assert_balance_agrees(invoice)
        for payment in self._pulled():
            own = payment.move_id.line_ids.filtered(lambda line: line.account_id.account_type == 'asset_receivable')
            self.assertTrue(own.reconciled, f'{payment.name} is applied in full, nothing left outstanding')

    def test_one_payment_over_two_invoices_and_a_credit_memo(self):
        first, qbo_first = self._pushed_invoice()
        second, qbo_second = self._pushed_invoice(
            invoice_line_ids=[self._prepare_invoice_line(product_id=self.product_a, quantity=1, price_unit=40.0)]
        )
        credit_note = self._credit_note(price_unit=50.0)
        self._run_queue()
        qbo_credit = dict(self._qbo_doc('CreditMemo', credit_note.name), _type='CreditMemo')
        # 20 of the second invoice left open; the credit memo pays 50 of the first.
        applied_second = second.amount_total - 20.0
        total = first.amount_total + applied_second - credit_note.amount_total
        qbo_payment = self._qbo_payment(
            qbo_first['CustomerRef'],
            [(qbo_first, first.amount_total), (qbo_second, applied_second), (qbo_credit, credit_note.amount_total)],
            total=total,
        )
        self._pull()
        payment = self._pulled()
        self.assertAlmostEqual(payment.amount, total)
        self.assertEqual(first.amount_residual, 0.0)
        self.assertAlmostEqual(second.amount_residual, 20.0)
        self.assertEqual(credit_note.amount_residual, 0.0)
        self._assert_balance_agrees(first, second, credit_note)
        # QuickBooks holds the credit memo's application already: the credit note is not sent again.
        self.assertEqual(self._jobs(credit_note).mapped('state'), ['done'])
        # Voided in QuickBooks: the payment cancelled, the credit memo's application released with it.
        self._qbo_client().void('Payment', {'Id': qbo_payment['Id'], 'SyncToken': qbo_payment['SyncToken']})
        self._pull()
        self.assertEqual(payment.state, 'canceled')
        self.assertAlmostEqual(first.amount_residual, first.amount_total)
        self.assertAlmostEqual(second.amount_residual, second.amount_total)
        self.assertAlmostEqual(credit_note.amount_residual, credit_note.amount_total)
        self._assert_balance_agrees(first, second, credit_note)
        self.assertEqual(self._jobs(credit_note).mapped('state'), ['done'])

    def test_unapplied_payment_is_an_outstanding_credit(self):
        invoice, qbo_invoice = self._pushed_invoice()
        self._qbo_payment(qbo_invoice['CustomerRef'], total=75.0)
        self._pull()
        payment = self._pulled()
        self.assertAlmostEqual(payment.amount, 75.0)
        self.assertEqual(payment.partner_id, invoice.commercial_partner_id)
        self.assertAlmostEqual(invoice.amount_residual, invoice.amount_total)
        outstanding = payment.move_id.line_ids.filtered(lambda l: l.account_id.account_type == 'asset_receivable')
        self.assertAlmostEqual(outstanding.amount_residual, -75.0)
        # Odoo offers it on the invoice as an outstanding credit of the partner.
        widget = invoice.invoice_outstanding_credits_debits_widget
        self.assertTrue(widget and any(abs(c['amount'] - 75.0) < 0.01 for c in widget['content']))

    def test_payment_over_more_than_paid_leaves_the_rest_unapplied(self):
        invoice, qbo_invoice = self._pushed_invoice()
        self._qbo_payment(
            qbo_invoice['CustomerRef'], [(qbo_invoice, invoice.amount_total)], total=invoice.amount_total + 30.0
        )
        self._pull()
        payment = self._pulled()
        self.assertEqual(invoice.amount_residual, 0.0)
        outstanding = payment.move_id.line_ids.filtered(lambda l: l.account_id.account_type == 'asset_receivable')
        self.assertAlmostEqual(outstanding.amount_residual, -30.0)

    def test_voided_in_quickbooks_cancels_the_odoo_payment(self):
        invoice, qbo_invoice = self._pushed_invoice()
        qbo_payment = self._qbo_payment(qbo_invoice['CustomerRef'], [(qbo_invoice, invoice.amount_total)])
        self._pull()
        payment = self._pulled()
        self.assertEqual(invoice.amount_residual, 0.0)
        self._qbo_client().void('Payment', {'Id': qbo_payment['Id'], 'SyncToken': qbo_payment['SyncToken']})
        pushes = self._push_jobs()
        self._pull()
        self.assertEqual(payment.state, 'canceled')
        self.assertAlmostEqual(invoice.amount_residual, invoice.amount_total)
        self.assertIn('Voided in QuickBooks', payment.message_ids[0].body)
        self._assert_balance_agrees(invoice)
        # Cancelling it voids nothing in QuickBooks: it came from there.
        self.assertEqual(self._push_jobs(), pushes)

    def test_deleted_in_quickbooks_cancels_the_odoo_payment(self):
        invoice, qbo_invoice = self._pushed_invoice()
        qbo_payment = self._qbo_payment(qbo_invoice['CustomerRef'], [(qbo_invoice, 60.0)])
        self._pull()
        payment = self._pulled()
        self._qbo_client().delete('Payment', {'Id': qbo_payment['Id'], 'SyncToken': qbo_payment['SyncToken']})
        self._pull()
        self.assertEqual(payment.state, 'canceled')
        self.assertIn('Deleted in QuickBooks', payment.message_ids[0].body)
        self.assertAlmostEqual(invoice.amount_residual, invoice.amount_total)
        self.assertFalse(payment.qbo_id)
        self._assert_balance_agrees(invoice)

    def test_changed_in_quickbooks_is_brought_into_line(self):
        invoice, qbo_invoice = self._pushed_invoice()
        qbo_payment = self._qbo_payment(qbo_invoice['CustomerRef'], [(qbo_invoice, 100.0)])
        self._pull()
        first = self._pulled()
        self._qbo_payment_changed_to(qbo_payment, qbo_invoice, 150.0)
        self._pull()
        self.assertEqual(first.state, 'canceled')
        second = self._pulled().filtered(lambda p: p.state != 'canceled')
        self.assertEqual(len(second), 1)
        self.assertAlmostEqual(second.amount, 150.0)
        self.assertEqual(second.qbo_id, qbo_payment['Id'])
        self.assertIn('Changed in QuickBooks', first.message_ids[0].body)
        self.assertAlmostEqual(invoice.amount_residual, invoice.amount_total - 150.0)
        self._assert_balance_agrees(invoice)

    def test_payment_for_documents_odoo_never_had_is_left_alone(self):
        _invoice, qbo_invoice = self._pushed_invoice()
        client = self._qbo_client()
        stranger = client.create('Customer', {'DisplayName': 'Only In QuickBooks'})
        item = client.query("SELECT * FROM Item WHERE Name = 'Services'")[0]
        foreign = client.create(
            'Invoice',
            {
                'CustomerRef': {'value': stranger['Id']},
                'Line': [
                    {
                        'Amount': 80.0,
                        'DetailType': 'SalesItemLineDetail',
                        'SalesItemLineDetail': {'ItemRef': {'value': item['Id']}, 'Qty': 1, 'UnitPrice': 80.0},
                    }
                ],
            },
        )
        qbo_payment = self._qbo_payment({'value': stranger['Id']}, [(foreign, 80.0)])
        self._pull()
        self.assertFalse(self._pulled())
        job = self._pull_jobs(qbo_payment)
        self.assertEqual((job.state, job.qbo_id), ('done', False))
        event = self.env['qbo.inbound.event'].sudo().browse(job.res_id)
        self.assertIn('does not have', event.note)
        self.assertIn(f'Invoice {foreign["Id"]}', event.note)
        self.assertIn(qbo_invoice['CustomerRef']['value'], self.env['qbo.mapping'].sudo().search([]).mapped('qbo_id'))

    def test_echo_of_our_own_push_is_not_imported(self):
        invoice, _qbo_invoice = self._pushed_invoice()
        payment = self._register_payment(invoice)
        self._run_queue()
        self.assertEqual(payment.qbo_sync_state, 'synced')
        payments = self.env['account.payment'].search([])
        jobs = self.env['qbo.sync.job'].sudo().search([])
        before = len(self._api_requests())
        self._pull()
        # One CDC read, no write; nothing stored of ours (the sample company's own payments are), nothing
        # created.
        self.assertEqual([r['method'] for r in self._api_requests()[before:]], ['GET'])
        new_jobs = self.env['qbo.sync.job'].sudo().search([]) - jobs
        self.assertEqual(set(new_jobs.mapped('direction')), {'pull'})
        self.assertNotIn(payment.qbo_id, self.env['qbo.inbound.event'].sudo().search([]).mapped('qbo_object_id'))
        self.assertNotIn(invoice.qbo_id, self.env['qbo.inbound.event'].sudo().search([]).mapped('qbo_object_id'))
        self.assertEqual(self.env['account.payment'].search([]), payments)
        self.assertFalse(new_jobs.filtered('qbo_id'), 'no pull job brought anything in')

    def test_one_way_pulls_nothing(self):
        invoice, qbo_invoice = self._pushed_invoice()
        self.connection.sync_direction = 'push_only'
        self._qbo_payment(qbo_invoice['CustomerRef'], [(qbo_invoice, invoice.amount_total)])
        before = len(self._api_requests())
        self._pull()
        self.assertEqual(len(self._api_requests()), before, 'not even a read')
        self.assertFalse(self._pulled())
        self.assertEqual(invoice.amount_residual, invoice.amount_total)
        # The payments switch off: the same.
        self.connection.write(
            {
                'sync_direction': 'two_way',
                'pull_payments': False,
                'pull_document_changes': False,
                'pull_customers': False,
                'pull_products': False,
                'pull_lists': False,
            }
        )
        self._pull()
        self.assertEqual(len(self._api_requests()), before)
        self.assertFalse(self._pulled())

    def test_new_connections_are_two_way_and_pull_hourly(self):
        connection = self.env['qbo.connection'].sudo().new({'company_id': self.company.id})
        self.assertEqual(
            (connection.sync_direction, connection.pull_payments, connection.pull_interval_minutes),
            ('two_way', True, 60),
        )

    def test_schedule_and_high_water_mark(self):
        invoice, qbo_invoice = self._pushed_invoice()
        self._qbo_payment(qbo_invoice['CustomerRef'], [(qbo_invoice, 50.0)])
        self.assertFalse(self.connection.cdc_high_water_at)
        self._pull()
        first_mark = self.connection.cdc_high_water_at
        self.assertTrue(first_mark)
        # The first pull started where QuickBooks allows: 30 days back at most.
        first = self._cdc_requests()[-1]
        self.assertEqual(len(self._cdc_requests()), 1)
        self.assertEqual(self._pulled().amount, 50.0)
        # Not due yet: the scheduled action asks nothing.
        before = len(self._api_requests())
        self.env.flush_all()
        with self.registry.cursor() as cr:
            self.assertEqual(self.env(cr=cr)['qbo.connection']._cron_pull_changes(), 0)
        self.assertEqual(len(self._api_requests()), before)
        # Due once its interval has passed.
        self.connection.sudo().last_pull_at = fields.Datetime.now() - timedelta(minutes=61)
        self.env.flush_all()
        with self.registry.cursor() as cr:
            self.assertEqual(self.env(cr=cr)['qbo.connection']._cron_pull_changes(), 1)
        self.assertEqual(len(self._api_requests()), before + 1)
        self.assertTrue(first)

    def test_a_full_answer_narrows_the_window_until_all_is_read(self):
        """More changes than one answer holds (the cap, 3 here on both sides instead of 1,000):
        the next call starts from the newest change read, until everything is in."""
        _invoice, qbo_invoice = self._pushed_invoice()
        # What earlier tests left in QuickBooks is read first, at QuickBooks' own cap (their objects
        # of one second would fill answers of 3 that no narrower window can split, and be listed:
        # the next test); QuickBooks' clock then moves past the pull's overlap, so that the window
        # holds this test's payments only.
        self._pull()
        self.emu._call('POST', 'clock', json={'advance_seconds': 900})
        self.emu._call('PATCH', 'config', json={'cdc_max_objects': 3})
        self.env['ir.config_parameter'].sudo().set_param('qbo_connector.cdc_max_objects', 3)
        cdc_before = len(self._cdc_requests())
        created = []
        for amount in range(1, 8):
            created.append(self._qbo_payment(qbo_invoice['CustomerRef'], total=float(amount)))
            self.emu._call('POST', 'clock', json={'advance_seconds': 2})
        self._pull()
        self.assertEqual(sorted(self._pulled().mapped('amount')), [float(a) for a in range(1, 8)])
        self.assertGreater(len(self._cdc_requests()) - cdc_before, 2)
        self.assertEqual(len(self._pull_jobs(*created)), 7)

    def test_more_changes_within_one_second_than_an_answer_holds_are_listed(self):
        """More changes within one second than a CDC answer holds (the cap, 3 here on both sides
        instead of 1,000): no narrower window splits them and CDC would answer the same at every
        run; they are listed instead, and the pull goes on past that second."""
        _invoice, qbo_invoice = self._pushed_invoice()
        self._pull()
        self.emu._call('POST', 'clock', json={'advance_seconds': 900})
        self.emu._call('PATCH', 'config', json={'cdc_max_objects': 3})
        self.env['ir.config_parameter'].sudo().set_param('qbo_connector.cdc_max_objects', 3)
        crowded = self.emu._call('GET', 'clock')['now']
        created = []
        for amount in range(1, 8):
            self.emu._call('POST', 'clock', json={'set': crowded})  # all seven within one second
            created.append(self._qbo_payment(qbo_invoice['CustomerRef'], total=float(amount)))
        self.assertEqual(
            {p['MetaData']['LastUpdatedTime'] for p in created}, {created[0]['MetaData']['LastUpdatedTime']}
        )
        self.emu._call('POST', 'clock', json={'advance_seconds': 60})
        with self.assertLogs('odoo.addons.qbo_connector.models.qbo_connection_pull', 'WARNING') as logs:
            self._pull()
        self.assertIn('within one second', logs.output[0])
        self.assertEqual(sorted(self._pulled().mapped('amount')), [float(a) for a in range(1, 8)])
        self.assertEqual(len(self._pull_jobs(*created)), 7)
        # Past that second: the next pull is one CDC call again, and a later payment comes back.
        later = self._qbo_payment(qbo_invoice['CustomerRef'], total=8.0)
        cdc_before = len(self._cdc_requests())
        self._pull()
        self.assertEqual(len(self._cdc_requests()) - cdc_before, 1)
        self.assertEqual(len(self._pull_jobs(later)), 1)

    def test_a_connection_off_longer_than_quickbooks_looks_back_pulls_again(self):
        invoice, qbo_invoice = self._pushed_invoice()
        self._qbo_payment(qbo_invoice['CustomerRef'], [(qbo_invoice, invoice.amount_total)])
        self.connection.sudo().cdc_high_water_at = fields.Datetime.now() - timedelta(days=40)
        with self.assertLogs('odoo.addons.qbo_connector.models.qbo_connection_pull', 'WARNING') as logs:
            self._pull()
        self.assertIn('more than 30 days ago', logs.output[0])
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertGreater(self.connection.cdc_high_water_at, fields.Datetime.now() - timedelta(days=1))

    def test_forgotten_books_start_afresh(self):
        invoice, qbo_invoice = self._pushed_invoice()
        qbo_payment = self._qbo_payment(qbo_invoice['CustomerRef'], [(qbo_invoice, invoice.amount_total)])
        self._pull()
        self.assertTrue(self.connection.cdc_high_water_at)
        admin = self.env.ref('base.user_admin')
        admin.company_ids |= self.company
        connection = self.connection.with_user(admin).with_company(self.company)
        connection.action_disconnect()
        connection.action_forget_books()
        connection = connection.sudo()
        self.assertFalse(connection.cdc_high_water_at)
        # Connected to other books, the same id and version there is another change.
        connection.write({'realm_id': EMPTY_REALM, 'state': 'connected'})
        events = self.env['qbo.inbound.event']
        change = events._qbo_cdc_change('Payment', {'Id': qbo_payment['Id'], 'SyncToken': '0'})
        self.assertEqual(len(events._qbo_store(connection, [change])), 1)
        self.assertEqual(len(events._qbo_store(connection, [change])), 0)

    def test_a_payment_of_zero_is_left_alone_saying_why(self):
        invoice, qbo_invoice = self._pushed_invoice()
        credit_note = self._credit_note(price_unit=50.0)
        self._run_queue()
        qbo_credit = dict(self._qbo_doc('CreditMemo', credit_note.name), _type='CreditMemo')
        qbo_payment = self._qbo_payment(
            qbo_invoice['CustomerRef'],
            [(qbo_invoice, credit_note.amount_total), (qbo_credit, credit_note.amount_total)],
            total=0.0,
        )
        self._pull()
        self.assertFalse(self._pulled())
        job = self._pull_jobs(qbo_payment)
        self.assertEqual(job.state, 'done')
        self.assertIn('of 0', self.env['qbo.inbound.event'].sudo().browse(job.res_id).note)
        self.assertEqual(invoice.amount_residual, invoice.amount_total)
