"""Documents and payments Odoo sent, changed in QuickBooks afterwards (issue 10, items 5 and 7): flagged
"Changed in QuickBooks" with what differs, never overwritten or re-created silently; Push again sends
Odoo's version, Accept keeps QuickBooks' (cancelling in Odoo what QuickBooks voided or deleted). And what
comes back besides: the lists refresh from the same CDC answer, and a pull mark older than CDC looks
back lists what changed instead of starting 30 days back."""

from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import ACCESS_ERROR, QboRpcMixin
from .test_pull_payments import QboPullCommon


class QboPullDocumentsCommon(QboPullCommon):
    def _edit_in_quickbooks(self, qbo_invoice, entity='Invoice', qty=3.0):
        """A bookkeeper changes the quantity of the first line of the document in QuickBooks."""
        doc = self._qbo_by_id(entity, qbo_invoice['Id'])
        lines = [line for line in doc['Line'] if line.get('DetailType') == 'SalesItemLineDetail']
        detail = lines[0]['SalesItemLineDetail']
        lines[0] = dict(
            lines[0],
            Amount=round(float(detail['UnitPrice']) * qty, 2),
            SalesItemLineDetail=dict(detail, Qty=qty),
        )
        return self._qbo_client().update(
            'Invoice' if entity == 'Invoice' else entity,
            {
                'Id': doc['Id'],
                'SyncToken': doc['SyncToken'],
                'Line': lines,
            },
        )

    def _pay_100_in_quickbooks(self, payment, qbo_invoice):
        """A bookkeeper changes the Payment Odoo sent for ``payment`` to 100 in QuickBooks;
        returns it as it was before."""
        qbo_payment = self._qbo_by_id('Payment', payment.qbo_id)
        self._qbo_payment_changed_to(qbo_payment, qbo_invoice, 100.0)
        return qbo_payment

    def _activities(self, record):
        kind = self.env.ref('qbo_connector.mail_activity_type_qbo_changed')
        return record.activity_ids.filtered(lambda a: a.activity_type_id == kind)

    def _writes(self, before):
        return [r for r in self._api_requests()[before:] if r['method'] == 'POST' and not r['path'].endswith('/query')]

    def _doc_differences(self, move):
        return [d for d in self._differences() if d['record'] == move]


@tagged('post_install', '-at_install')
class TestPullDocuments(QboPullDocumentsCommon):
    def test_edited_in_quickbooks_is_flagged_and_push_again_sends_odoo_version(self):
        invoice, qbo_invoice = self._pushed_invoice()
        self.assertEqual(self._doc_differences(invoice), [])
        edited = self._edit_in_quickbooks(qbo_invoice)
        self.assertNotAlmostEqual(float(edited['TotalAmt']), invoice.amount_total, places=2)
        pushes = self._push_jobs()
        before = len(self._api_requests())
        self._pull()
        # One read (the CDC answer carries the invoice), nothing written anywhere.
        self.assertEqual([r['path'].rsplit('/', 1)[1] for r in self._api_requests()[before:]], ['cdc'])
        self.assertEqual(self._push_jobs(), pushes)
        self.assertEqual(invoice.qbo_conflict, 'changed')
        self.assertIn('Total', invoice.qbo_conflict_note)
        self.assertIn('Lines', invoice.qbo_conflict_note)
        self.assertIn('Changed in QuickBooks', invoice.message_ids[0].body)
        self.assertEqual(len(self._activities(invoice)), 1)
        # The books check sees it too: QuickBooks' total is no longer Odoo's.
        self.assertIn('total', [d['field'] for d in self._doc_differences(invoice)])
        # Pulled again: no second flag, no second activity.
        self._pull()
        self.assertEqual(len(self._activities(invoice)), 1)

        # A user's edit while flagged (reset, re-post) does not overwrite QuickBooks: its push waits for a decision.
        invoice.button_draft()
        invoice.action_post()
        before = len(self._api_requests())
        self._run_queue()
        self.assertEqual(self._writes(before), [])
        job = self._jobs(invoice).filtered(lambda j: j.operation == 'push')[-1:]
        self.assertEqual(job.state, 'failed')
        self.assertIn('changed in QuickBooks', job.error_message)
        self.assertAlmostEqual(
            float(self._qbo_by_id('Invoice', qbo_invoice['Id'])['TotalAmt']), float(edited['TotalAmt']), places=2
        )

        # Push again: Odoo wins.
        invoice.action_qbo_push_again()
        self.assertFalse(invoice.qbo_conflict)
        self.assertFalse(self._activities(invoice))
        seen = len(self._api_requests())
        self._run_queue()
        # One write over the version the pull read: no read first, no stale SyncToken refused.
        self.assertEqual([r['operation'] for r in self._api_requests()[seen:]], ['write'])
        qbo_after = self._qbo_by_id('Invoice', qbo_invoice['Id'])
        self._assert_books_agree(invoice, qbo_after)
        self.assertEqual(invoice.qbo_sync_state, 'synced')
        self.assertEqual(self._doc_differences(invoice), [])
        # Our own update coming back through CDC flags nothing.
        self._pull()
        self.assertFalse(invoice.qbo_conflict)
        self.assertEqual(self._doc_differences(invoice), [])

    def test_voided_in_quickbooks_is_flagged_and_accept_cancels(self):
        invoice, qbo_invoice = self._pushed_invoice()
        current = self._qbo_by_id('Invoice', qbo_invoice['Id'])
        self._qbo_client().void('Invoice', {'Id': current['Id'], 'SyncToken': current['SyncToken']})
        self._pull()
        self.assertEqual(invoice.qbo_conflict, 'voided')
        self.assertEqual(invoice.state, 'posted', 'never cancelled without someone deciding')
        self.assertEqual([d['field'] for d in self._doc_differences(invoice)], ['total', 'tax', 'balance'])
        before = len(self._api_requests())
        invoice.action_qbo_accept()
        self.assertEqual(invoice.state, 'cancel')
        self.assertFalse(invoice.qbo_conflict)
        self._run_queue()
        # QuickBooks voided it already: nothing is sent.
        self.assertEqual(self._writes(before), [])
        self.assertEqual(self._doc_differences(invoice), [])

    def test_cancelled_in_odoo_while_flagged_is_voided_once_accepted(self):
        invoice, qbo_invoice = self._pushed_invoice()
        self._edit_in_quickbooks(qbo_invoice)
        self._pull()
        self.assertEqual(invoice.qbo_conflict, 'changed')
        invoice.button_cancel()
        before = len(self._api_requests())
        self._run_queue()
        self.assertEqual(self._writes(before), [], 'not voided while someone has to decide')
        self.assertEqual(self._jobs(invoice).filtered(lambda j: j.operation == 'void').state, 'failed')
        invoice.action_qbo_accept()
        self._run_queue()
        self.assertEqual(
            sorted(self._jobs(invoice).filtered(lambda j: j.operation == 'void').mapped('state')), ['cancelled', 'done']
        )
        self.assertEqual(float(self._qbo_by_id('Invoice', qbo_invoice['Id'])['TotalAmt']), 0.0)
        self.assertEqual(self._doc_differences(invoice), [])

    def test_sent_before_odoo_kept_what_it_sent_compares_as_the_books_check(self):
        paid, qbo_paid = self._pushed_invoice()
        edited, qbo_edited = self._pushed_invoice()
        (paid | edited).sudo().write({'qbo_pushed_snapshot': False})
        # A payment applied in QuickBooks changes the balance only: not flagged, and compared exactly from then on.
        self._qbo_payment(qbo_paid['CustomerRef'], [(qbo_paid, paid.amount_total)])
        self._edit_in_quickbooks(qbo_edited)
        self._pull()
        self.assertFalse(paid.qbo_conflict)
        self.assertEqual(paid.amount_residual, 0.0)
        self.assertTrue(paid.qbo_pushed_snapshot)
        self.assertEqual(edited.qbo_conflict, 'changed')
        self.assertIn('Total', edited.qbo_conflict_note)
        self.assertIn('Tax', edited.qbo_conflict_note)

    def test_voided_in_quickbooks_push_again_brings_it_back(self):
        invoice, qbo_invoice = self._pushed_invoice()
        current = self._qbo_by_id('Invoice', qbo_invoice['Id'])
        self._qbo_client().void('Invoice', {'Id': current['Id'], 'SyncToken': current['SyncToken']})
        self._pull()
        self.assertEqual(invoice.qbo_conflict, 'voided')
        invoice.action_qbo_push_again()
        self._run_queue()
        self.assertEqual(invoice.state, 'posted')
        self._assert_books_agree(invoice, self._qbo_by_id('Invoice', qbo_invoice['Id']))
        self.assertEqual(self._doc_differences(invoice), [])

    def test_deleted_in_quickbooks_push_again_creates_it_anew(self):
        invoice, qbo_invoice = self._pushed_invoice()
        current = self._qbo_by_id('Invoice', qbo_invoice['Id'])
        self._qbo_client().delete('Invoice', {'Id': current['Id'], 'SyncToken': current['SyncToken']})
        self._pull()
        self.assertEqual(invoice.qbo_conflict, 'deleted')
        self.assertEqual(invoice.qbo_id, qbo_invoice['Id'])
        self.assertEqual([d['kind'] for d in self._doc_differences(invoice)], ['missing'])
        invoice.action_qbo_push_again()
        self._run_queue()
        self.assertNotEqual(invoice.qbo_id, qbo_invoice['Id'])
        recreated = self._qbo_doc('Invoice', invoice.name)
        self.assertEqual(recreated['Id'], invoice.qbo_id)
        self._assert_books_agree(invoice, recreated)
        self.assertEqual(self._doc_differences(invoice), [])

    def test_deleted_credit_note_accepted_is_cancelled(self):
        credit_note = self._credit_note(price_unit=40.0)
        self._run_queue()
        qbo_memo = self._qbo_doc('CreditMemo', credit_note.name)
        self._qbo_client().delete('CreditMemo', {'Id': qbo_memo['Id'], 'SyncToken': qbo_memo['SyncToken']})
        self._pull()
        self.assertEqual(credit_note.qbo_conflict, 'deleted')
        credit_note.action_qbo_accept()
        self.assertEqual(credit_note.state, 'cancel')
        self.assertFalse(credit_note.qbo_id)
        self.assertEqual(self._doc_differences(credit_note), [])

    def test_echo_of_our_own_invoice_and_payment_flags_nothing(self):
        invoice, _qbo_invoice = self._pushed_invoice()
        payment = self._register_payment(invoice)
        self._run_queue()
        self.assertEqual(payment.qbo_sync_state, 'synced')
        jobs = self.env['qbo.sync.job'].sudo().search([])
        before = len(self._api_requests())
        self._pull()
        self.assertEqual(self._writes(before), [])
        self.assertFalse(invoice.qbo_conflict)
        self.assertFalse(payment.qbo_conflict)
        events = self.env['qbo.inbound.event'].sudo().search([])
        # The invoice changed in QuickBooks (the payment applied to it: its balance) but not as a document.
        self.assertNotIn(invoice.qbo_id, events.mapped('qbo_object_id'))
        self.assertNotIn(payment.qbo_id, events.mapped('qbo_object_id'))
        self.assertFalse((self.env['qbo.sync.job'].sudo().search([]) - jobs).filtered('qbo_id'))
        self.assertEqual(self._doc_differences(invoice), [])

    def test_a_payment_odoo_sent_changed_in_quickbooks_is_flagged_not_imported(self):
        invoice, qbo_invoice = self._pushed_invoice()
        payment = self._register_payment(invoice)
        self._run_queue()
        self._pay_100_in_quickbooks(payment, qbo_invoice)
        payments = self.env['account.payment'].search([])
        self._pull()
        self.assertEqual(self.env['account.payment'].search([]), payments, 'not imported as a second payment')
        self.assertEqual(payment.qbo_conflict, 'changed')
        self.assertIn('Amount', payment.qbo_conflict_note)
        self.assertEqual(payment.state, 'paid')
        # Push again: Odoo's amount goes back.
        payment.action_qbo_push_again()
        seen = len(self._api_requests())
        self._run_queue()
        self.assertEqual([r['operation'] for r in self._api_requests()[seen:]], ['write'])
        self.assertAlmostEqual(float(self._qbo_by_id('Payment', payment.qbo_id)['TotalAmt']), payment.amount)
        self._assert_balance_agrees(invoice)
        self._pull()
        self.assertFalse(payment.qbo_conflict)

    def test_a_payment_odoo_sent_voided_in_quickbooks_accepted_is_cancelled(self):
        invoice, _qbo_invoice = self._pushed_invoice()
        payment = self._register_payment(invoice)
        self._run_queue()
        qbo_payment = self._qbo_by_id('Payment', payment.qbo_id)
        self._qbo_client().void('Payment', {'Id': qbo_payment['Id'], 'SyncToken': qbo_payment['SyncToken']})
        self._pull()
        self.assertEqual(payment.qbo_conflict, 'voided')
        before = len(self._api_requests())
        payment.action_qbo_accept()
        self._run_queue()
        self.assertEqual(payment.state, 'canceled')
        self.assertEqual(self._writes(before), [])
        self._assert_balance_agrees(invoice)

    def test_a_payment_cancelled_in_odoo_while_flagged_is_voided_once_accepted(self):
        """Changed in QuickBooks, then cancelled in Odoo: its void waits for someone to decide;
        accepting QuickBooks' version of the change does not keep alive what Odoo cancelled."""
        invoice, qbo_invoice = self._pushed_invoice()
        payment = self._register_payment(invoice)
        self._run_queue()
        qbo_payment = self._pay_100_in_quickbooks(payment, qbo_invoice)
        self._pull()
        self.assertEqual(payment.qbo_conflict, 'changed')
        payment.action_cancel()
        before = len(self._api_requests())
        self._run_queue()
        self.assertEqual(self._writes(before), [], 'not voided while someone has to decide')
        self.assertEqual(self._jobs(payment).filtered(lambda j: j.operation == 'void').state, 'failed')
        payment.action_qbo_accept()
        self._run_queue()
        self.assertEqual(
            sorted(self._jobs(payment).filtered(lambda j: j.operation == 'void').mapped('state')), ['cancelled', 'done']
        )
        self.assertEqual(float(self._qbo_by_id('Payment', qbo_payment['Id'])['TotalAmt']), 0.0, 'voided')
        self.assertEqual(payment.qbo_sync_state, 'synced')
        self._assert_balance_agrees(invoice)

    def test_lists_refresh_from_the_cdc_answer_without_reads(self):
        invoice, _qbo_invoice = self._pushed_invoice(invoice_payment_term_id=self.pay_terms_a.id)
        client = self._qbo_client()
        term_mapping = (
            self.env['qbo.mapping']
            .sudo()
            .search([('connection_id', '=', self.connection.id), ('qbo_entity', '=', 'Term')])
        )
        self.assertTrue(term_mapping, 'the invoice sent its payment term')
        term = self._qbo_by_id('Term', term_mapping.qbo_id)
        method = client.create('PaymentMethod', {'Name': 'Wire', 'Type': 'NON_CREDIT_CARD'})
        self._pull()
        kept = (
            self.env['qbo.payment.method']
            .sudo()
            .search([('connection_id', '=', self.connection.id), ('qbo_id', '=', method['Id'])])
        )
        self.assertEqual((kept.name, kept.active), ('Wire', True))
        # Renamed and made inactive in QuickBooks.
        client.update('Term', {'Id': term['Id'], 'SyncToken': term['SyncToken'], 'Name': 'Net 15 days'})
        client.update('PaymentMethod', {'Id': method['Id'], 'SyncToken': method['SyncToken'], 'Active': False})
        before = len(self._api_requests())
        self._pull()
        self.assertEqual([r['path'].rsplit('/', 1)[1] for r in self._api_requests()[before:]], ['cdc'])
        self.assertEqual(term_mapping.qbo_name, 'Net 15 days')
        kept.invalidate_recordset()
        self.assertFalse(kept.active)
        # The next invoice of that term sends it without reading the list.
        before = len(self._api_requests())
        self._invoice(invoice_payment_term_id=self.pay_terms_a.id)
        self._run_queue()
        requests = self._api_requests()[before:]
        self.assertEqual([r['method'] for r in requests], ['POST'])
        self.assertEqual(
            self._qbo_doc('Invoice', self.env['account.move'].search([], order='id desc', limit=1).name)[
                'SalesTermRef'
            ]['value'],
            term['Id'],
        )
        self.assertTrue(invoice)
        # Made inactive: let go, so that the next document finds what is active instead of a refusal.
        term = self._qbo_by_id('Term', term['Id'])
        client.update('Term', {'Id': term['Id'], 'SyncToken': term['SyncToken'], 'Active': False})
        self._pull()
        self.assertFalse(term_mapping.exists())

    def test_a_mark_older_than_cdc_looks_back_lists_what_changed(self):
        invoice, qbo_invoice = self._pushed_invoice()
        self._pull()
        self._qbo_payment(qbo_invoice['CustomerRef'], [(qbo_invoice, invoice.amount_total)])
        self.connection.sudo().cdc_high_water_at = fields.Datetime.now() - timedelta(days=45)
        before = len(self._api_requests())
        with self.assertLogs('odoo.addons.qbo_connector.models.qbo_connection_pull', 'WARNING') as logs:
            self._pull()
        self.assertIn('more than 30 days ago', logs.output[0])
        requests = self._api_requests()[before:]
        self.assertFalse([r for r in requests if r['path'].endswith('/cdc')], 'CDC refuses more than 30 days back')
        queries = [r for r in requests if r['path'].endswith('/query')]
        # One listing (one page) per kind pulled, and one look for the invoice Odoo holds (deleted?).
        self.assertEqual(len(queries), len(self.connection._qbo_pulled_entities()) + 1)
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertEqual(len(self._pulled()), 1)
        self.assertGreater(self.connection.cdc_high_water_at, fields.Datetime.now() - timedelta(days=1))
        self._assert_balance_agrees(invoice)

    def test_a_mark_older_than_cdc_finds_what_was_deleted_meanwhile(self):
        kept, qbo_kept = self._pushed_invoice()
        deleted, qbo_deleted = self._pushed_invoice()
        paid, qbo_paid = self._pushed_invoice()
        qbo_payment = self._qbo_payment(qbo_paid['CustomerRef'], [(qbo_paid, paid.amount_total)])
        self._pull()
        payment = self._pulled()
        self.assertEqual((len(payment), paid.amount_residual), (1, 0.0))
        # Deleted in QuickBooks while Odoo was away longer than CDC looks back.
        client = self._qbo_client()
        current = self._qbo_by_id('Invoice', qbo_deleted['Id'])
        client.delete('Invoice', {'Id': current['Id'], 'SyncToken': current['SyncToken']})
        current = self._qbo_by_id('Payment', qbo_payment['Id'])
        client.delete('Payment', {'Id': current['Id'], 'SyncToken': current['SyncToken']})
        self.connection.sudo().cdc_high_water_at = fields.Datetime.now() - timedelta(days=45)
        before = len(self._api_requests())
        with self.assertLogs('odoo.addons.qbo_connector.models.qbo_connection_pull', 'WARNING') as logs:
            self._pull()
        requests = self._api_requests()[before:]
        self.assertFalse([r for r in requests if r['path'].endswith('/cdc')])
        queries = [r for r in requests if r['path'].endswith('/query')]
        # One listing per kind pulled, and one look per kind holding mapped objects (invoices, payments).
        self.assertEqual(len(queries), len(self.connection._qbo_pulled_entities()) + 2)
        self.assertTrue(any('no longer in QuickBooks' in line for line in logs.output), logs.output)
        self.assertEqual(deleted.qbo_conflict, 'deleted')
        self.assertEqual(len(self._activities(deleted)), 1)
        self.assertFalse(kept.qbo_conflict)
        self.assertFalse(paid.qbo_conflict)
        self.assertEqual(payment.state, 'canceled')
        self.assertEqual(paid.amount_residual, paid.amount_total)
        # CDC tells the same deletions later: nothing new.
        events = self.env['qbo.inbound.event'].sudo().search_count([])
        self._pull()
        self.assertEqual(self.env['qbo.inbound.event'].sudo().search_count([]), events)
        self.assertEqual(len(self._activities(deleted)), 1)
        self._assert_balance_agrees(kept, paid)


@tagged('post_install', '-at_install')
class TestPullDocumentsSecurity(QboRpcMixin, QboPullDocumentsCommon, HttpCase):
    registry_test_mode = False

    def test_the_decisions_need_the_quickbooks_group(self):
        from odoo.tests import new_test_user  # noqa: PLC0415

        billing = new_test_user(
            self.env,
            login='qbo_doc_billing',
            password='qbo_doc_billing',
            groups='base.group_user,account.group_account_invoice',
            company_id=self.company.id,
            company_ids=[(6, 0, self.company.ids)],
        )
        qbo_user = new_test_user(
            self.env,
            login='qbo_doc_user',
            password='qbo_doc_user',
            groups='base.group_user,account.group_account_invoice,qbo_connector.group_qbo_user',
            company_id=self.company.id,
            company_ids=[(6, 0, self.company.ids)],
        )
        invoice, qbo_invoice = self._pushed_invoice()
        self._edit_in_quickbooks(qbo_invoice)
        self._pull()
        self.assertEqual(invoice.qbo_conflict, 'changed')
        for method in ('action_qbo_push_again', 'action_qbo_accept'):
            answer = self._rpc(billing, 'account.move', method, invoice.ids)
            self.assertEqual(answer['error']['data']['name'], ACCESS_ERROR, answer)
        self.assertEqual(invoice.qbo_conflict, 'changed')
        # The same for partners and payments (the decisions are the mixin's).
        product = invoice.invoice_line_ids.product_id[:1]
        self.assertTrue(product)
        for model, records in (
            ('res.partner', invoice.commercial_partner_id),
            ('account.payment', self._pulled()),
            ('product.product', product),
        ):
            for method in ('action_qbo_push_again', 'action_qbo_accept'):
                answer = self._rpc(billing, model, method, records.ids)
                self.assertEqual(answer['error']['data']['name'], ACCESS_ERROR, (model, method, answer))
        # Nobody clears the flag by writing it.
        answer = self._rpc(qbo_user, 'account.move', 'write', invoice.ids, {'qbo_conflict': False})
        self.assertEqual(answer['error']['data']['name'], ACCESS_ERROR, answer)
        answer = self._rpc(qbo_user, 'product.product', 'write', product.ids, {'qbo_conflict': 'changed'})
        self.assertEqual(answer['error']['data']['name'], ACCESS_ERROR, answer)
        self.assertFalse(product.qbo_conflict)
        answer = self._rpc(qbo_user, 'account.move', 'action_qbo_accept', invoice.ids)
        self.assertTrue(answer.get('result'), answer)
        self.assertFalse(invoice.qbo_conflict)
