"""Customers and items edited or created in QuickBooks (issue 10, item 6): the mapped partner's contact
fields follow QuickBooks unless Odoo changed the partner since the last sync (then it is flagged with both
versions, nothing overwritten); a customer created there becomes one partner (the one of its email when
there is one) with the setting on; items likewise for products."""

from odoo.tests import tagged

from .test_pull_payments import QboPullCommon


@tagged('post_install', '-at_install')
class TestPullMasters(QboPullCommon):
    def _customer_of(self, partner):
        mapping = (
            self.env['qbo.mapping']
            .sudo()
            .search([('res_model', '=', 'res.partner'), ('res_id', '=', partner.id), ('qbo_entity', '=', 'Customer')])
        )
        self.assertEqual(len(mapping), 1)
        return self._qbo_by_id('Customer', mapping.qbo_id)

    def _edit_customer(self, customer, **values):
        return self._qbo_client().update(
            'Customer', {'Id': customer['Id'], 'SyncToken': customer['SyncToken'], **values}
        )

    def _partner_jobs(self):
        return self.env['qbo.sync.job'].sudo().search([('direction', '=', 'pull')])

    def test_customer_edited_in_quickbooks_updates_the_partner(self):
        invoice, _qbo_invoice = self._pushed_invoice()
        partner = invoice.commercial_partner_id
        customer = self._customer_of(partner)
        self._pull()  # what the sample company holds is in; nothing of ours changes
        self.assertEqual(partner.email, 'partner.a@example.com')
        pushes = self._push_jobs()
        self._edit_customer(
            customer,
            PrimaryEmailAddr={'Address': 'billing@partner-a.example.com'},
            PrimaryPhone={'FreeFormNumber': '(555) 010-2030'},
            BillAddr={
                'Line1': '12 Harbor Way',
                'City': 'Oakland',
                'CountrySubDivisionCode': 'CA',
                'PostalCode': '94607',
                'Country': 'US',
            },
        )
        before = len(self._api_requests())
        self._pull()
        self.assertEqual([r['path'].rsplit('/', 1)[1] for r in self._api_requests()[before:]], ['cdc'])
        self.assertEqual(partner.email, 'billing@partner-a.example.com')
        self.assertEqual(partner.phone, '(555) 010-2030')
        self.assertEqual((partner.street, partner.city, partner.zip), ('12 Harbor Way', 'Oakland', '94607'))
        self.assertEqual(partner.state_id.code, 'CA')
        self.assertEqual(partner.country_id.code, 'US')
        self.assertEqual(partner.name, 'partner_a', 'not renamed: QuickBooks kept the name')
        self.assertFalse(partner.qbo_conflict)
        self.assertIn('Changed in QuickBooks', partner.message_ids[0].body)
        self.assertEqual(self._push_jobs(), pushes, 'nothing sent back')
        # Renamed there: renamed here.
        customer = self._qbo_by_id('Customer', customer['Id'])
        self._edit_customer(customer, DisplayName='Partner A Holdings')
        self._pull()
        self.assertEqual(partner.name, 'Partner A Holdings')
        # The books still agree.
        self.assertEqual([d for d in self._differences() if d['record'] in (partner, invoice)], [])

    def test_conflicting_odoo_edit_is_flagged_and_nothing_overwritten(self):
        invoice, _qbo_invoice = self._pushed_invoice()
        partner = invoice.commercial_partner_id
        customer = self._customer_of(partner)
        partner.write({'phone': '+1 555 000 1111'})
        self._edit_customer(customer, PrimaryEmailAddr={'Address': 'new@partner-a.example.com'})
        self._pull()
        self.assertEqual(partner.qbo_conflict, 'changed')
        self.assertEqual(partner.email, 'partner.a@example.com', 'nothing overwritten')
        self.assertEqual(partner.phone, '+1 555 000 1111')
        self.assertIn('partner.a@example.com', partner.qbo_conflict_note)
        self.assertIn('new@partner-a.example.com', partner.qbo_conflict_note)
        kind = self.env.ref('qbo_connector.mail_activity_type_qbo_changed')
        self.assertEqual(len(partner.activity_ids.filtered(lambda a: a.activity_type_id == kind)), 1)
        # Accept: QuickBooks' version is written.
        partner.action_qbo_accept()
        self.assertFalse(partner.qbo_conflict)
        self.assertEqual(partner.email, 'new@partner-a.example.com')
        self.assertFalse(partner.activity_ids.filtered(lambda a: a.activity_type_id == kind))
        # Synced now: the next change there is applied without a flag.
        customer = self._qbo_by_id('Customer', customer['Id'])
        self._edit_customer(customer, PrimaryEmailAddr={'Address': 'third@partner-a.example.com'})
        self._pull()
        self.assertFalse(partner.qbo_conflict)
        self.assertEqual(partner.email, 'third@partner-a.example.com')

    def test_conflict_push_again_keeps_odoo(self):
        invoice, _qbo_invoice = self._pushed_invoice()
        partner = invoice.commercial_partner_id
        customer = self._customer_of(partner)
        partner.write({'email': 'odoo-side@partner-a.example.com', 'phone': '555-0199', 'city': 'Odoo City'})
        self._edit_customer(
            customer,
            PrimaryEmailAddr={'Address': 'qbo-side@partner-a.example.com'},
            PrimaryPhone={'FreeFormNumber': '555-0000'},
        )
        self._pull()
        self.assertEqual(partner.qbo_conflict, 'changed')
        before = len(self._api_requests())
        partner.action_qbo_push_again()
        self.assertFalse(partner.qbo_conflict)
        self._run_queue()
        self.assertEqual(partner.email, 'odoo-side@partner-a.example.com')
        # Odoo's version is in QuickBooks: one write (the SyncToken the pull read), no read.
        sent = self._api_requests()[before:]
        self.assertEqual([(r['method'], r['path'].rsplit('/', 1)[1]) for r in sent], [('POST', 'customer')], sent)
        customer = self._qbo_by_id('Customer', customer['Id'])
        self.assertEqual(customer['PrimaryEmailAddr']['Address'], 'odoo-side@partner-a.example.com')
        self.assertEqual(customer['PrimaryPhone']['FreeFormNumber'], '555-0199')
        self.assertEqual(customer['BillAddr']['City'], 'Odoo City')
        self.assertEqual(customer['DisplayName'], 'partner_a')
        job = self.env['qbo.sync.job'].sudo().search([('res_model', '=', 'res.partner'), ('res_id', '=', partner.id)])
        self.assertEqual((len(job), job.state, job.direction), (1, 'done', 'push'))
        # Our own write comes back through CDC: nothing flagged, nothing changed, nothing sent again.
        pushes = self._push_jobs()
        self._pull()
        self.assertFalse(partner.qbo_conflict)
        self.assertEqual((partner.email, partner.phone), ('odoo-side@partner-a.example.com', '555-0199'))
        self.assertEqual(self._push_jobs(), pushes)
        # In line again: the next change made in QuickBooks is applied, not flagged.
        self._edit_customer(customer, PrimaryEmailAddr={'Address': 'later@partner-a.example.com'})
        self._pull()
        self.assertFalse(partner.qbo_conflict)
        self.assertEqual(partner.email, 'later@partner-a.example.com')

    def test_master_changes_odoo_does_not_keep_store_nothing(self):
        """A customer and an item changed in QuickBooks only in what Odoo does not keep (the
        customer's notes, the item's purchase cost) are no change for Odoo: nothing stored, no pull
        job, the partner and product untouched; their new SyncToken is kept for the next one."""
        product, item_id = self._pushed_product()
        partner = self.env['account.move'].search([('move_type', '=', 'out_invoice')], limit=1).commercial_partner_id
        customer = self._customer_of(partner)
        self._pull()
        mappings = self.env['qbo.mapping'].sudo()
        events = self.env['qbo.inbound.event'].sudo()
        before = events.search([])
        contact = (partner.name, partner.email, partner.phone, partner.street)
        edited_customer = self._edit_customer(customer, Notes='Prefers email, never calls.')
        item = self._qbo_by_id('Item', item_id)
        edited_item = self._qbo_client().update(
            'Item', {'Id': item['Id'], 'SyncToken': item['SyncToken'], 'PurchaseCost': 12.5}
        )
        self.assertNotEqual(edited_customer['SyncToken'], customer['SyncToken'])
        self._pull()
        stored = events.search([]) - before
        self.assertFalse(
            stored.filtered(
                lambda e: (e.qbo_entity, e.qbo_object_id) in {('Customer', customer['Id']), ('Item', item_id)}
            ),
            'a change of nothing Odoo keeps is not stored',
        )
        self.assertEqual((partner.name, partner.email, partner.phone, partner.street), contact)
        self.assertFalse(partner.qbo_conflict or product.qbo_conflict)
        customer_mapping = mappings.search(
            [('res_model', '=', 'res.partner'), ('res_id', '=', partner.id), ('qbo_entity', '=', 'Customer')]
        )
        item_mapping = mappings.search(
            [('res_model', '=', 'product.product'), ('res_id', '=', product.id), ('qbo_entity', '=', 'Item')]
        )
        self.assertEqual(customer_mapping.sync_token, edited_customer['SyncToken'])
        self.assertEqual(item_mapping.sync_token, edited_item['SyncToken'])

    def test_customer_created_in_quickbooks(self):
        client = self._qbo_client()
        partners = self.env['res.partner'].search([])
        # The setting off (the default): nothing created, nothing even stored.
        self.assertFalse(self.connection.pull_customers_create)
        off = client.create(
            'Customer', {'DisplayName': 'Made In QuickBooks Ltd', 'CompanyName': 'Made In QuickBooks Ltd'}
        )
        self._pull()
        self.assertEqual(self.env['res.partner'].search([]), partners)
        self.assertNotIn(off['Id'], self.env['qbo.inbound.event'].sudo().search([]).mapped('qbo_object_id'))
        # On: one partner per new customer; one whose email a partner has is bound to it, not duplicated.
        self.connection.pull_customers_create = True
        existing = self.env['res.partner'].create({'name': 'Dana Reyes', 'email': 'dana@reyes.example.com'})
        new = client.create(
            'Customer',
            {
                'DisplayName': 'Kiri Watson',
                'GivenName': 'Kiri',
                'FamilyName': 'Watson',
                'PrimaryEmailAddr': {'Address': 'kiri@watson.example.com'},
                'PrimaryPhone': {'FreeFormNumber': '555-0101'},
            },
        )
        same = client.create(
            'Customer', {'DisplayName': 'D. Reyes', 'PrimaryEmailAddr': {'Address': 'Dana@Reyes.example.com'}}
        )
        self._pull()
        created = self.env['res.partner'].search([('email', '=', 'kiri@watson.example.com')])
        self.assertEqual(len(created), 1)
        self.assertEqual((created.name, created.phone), ('Kiri Watson', '555-0101'))
        self.assertEqual(self.env['res.partner'].search_count([('email_normalized', '=', 'dana@reyes.example.com')]), 1)
        self.assertEqual(existing.name, 'Dana Reyes')
        mappings = self.env['qbo.mapping'].sudo()
        self.assertEqual(mappings._qbo_record_of(self.connection, 'Customer', new['Id'], 'res.partner'), created)
        self.assertEqual(mappings._qbo_record_of(self.connection, 'Customer', same['Id'], 'res.partner'), existing)
        # Pulled again: nothing more.
        count = self.env['res.partner'].search_count([])
        self._pull()
        self.assertEqual(self.env['res.partner'].search_count([]), count)
        # An invoice to the partner goes to that customer, not a new one.
        invoice = self._invoice(partner_id=created.id)
        self._run_queue()
        self.assertEqual(self._qbo_doc('Invoice', invoice.name)['CustomerRef']['value'], new['Id'])

    def test_items_edited_and_created_in_quickbooks(self):
        invoice, qbo_invoice = self._pushed_invoice()
        item_id = next(
            line['SalesItemLineDetail']['ItemRef']['value']
            for line in qbo_invoice['Line']
            if line.get('DetailType') == 'SalesItemLineDetail'
        )
        product = self.env['qbo.mapping'].sudo()._qbo_record_of(self.connection, 'Item', item_id, 'product.product')
        self.assertIn(product, invoice.invoice_line_ids.product_id)
        self._pull()
        item = self._qbo_by_id('Item', item_id)
        client = self._qbo_client()
        client.update(
            'Item',
            {'Id': item['Id'], 'SyncToken': item['SyncToken'], 'UnitPrice': 149.0, 'Description': 'Now with support'},
        )
        self._pull()
        self.assertEqual(product.lst_price, 149.0)
        self.assertEqual(product.description_sale, 'Now with support')
        # Created there: a product only with the setting on.
        products = self.env['product.product'].search([])
        made = client.create(
            'Item',
            {
                'Name': 'Gift Wrapping',
                'Type': 'Service',
                'UnitPrice': 7.5,
                'IncomeAccountRef': item['IncomeAccountRef'],
            },
        )
        self._pull()
        self.assertEqual(self.env['product.product'].search([]), products)
        self.connection.pull_products_create = True
        item = self._qbo_by_id('Item', made['Id'])
        client.update('Item', {'Id': item['Id'], 'SyncToken': item['SyncToken'], 'Description': 'By hand'})
        self._pull()
        # (Items of the sample company changed in the last minutes come too: the pull overlaps.)
        new = (self.env['product.product'].search([]) - products).filtered(lambda p: p.name == 'Gift Wrapping')
        self.assertEqual((len(new), new.lst_price, new.type), (1, 7.5, 'service'))
        self.assertEqual(new.description_sale, 'By hand')
        mappings = self.env['qbo.mapping'].sudo()
        self.assertEqual(mappings._qbo_record_of(self.connection, 'Item', made['Id'], 'product.product'), new)

    def _pushed_product(self):
        invoice, qbo_invoice = self._pushed_invoice()
        item_id = next(
            line['SalesItemLineDetail']['ItemRef']['value']
            for line in qbo_invoice['Line']
            if line.get('DetailType') == 'SalesItemLineDetail'
        )
        product = self.env['qbo.mapping'].sudo()._qbo_record_of(self.connection, 'Item', item_id, 'product.product')
        self.assertTrue(product)
        return product, item_id

    def test_item_edited_in_quickbooks_while_odoo_changed_the_product_is_flagged(self):
        product, item_id = self._pushed_product()
        self._pull()
        self.assertFalse(product.qbo_conflict)
        odoo_price = product.lst_price + 25.0
        # Changed in Odoo (on the product form: the template), then in QuickBooks.
        product.product_tmpl_id.write({'list_price': odoo_price})
        item = self._qbo_by_id('Item', item_id)
        self._qbo_client().update(
            'Item', {'Id': item['Id'], 'SyncToken': item['SyncToken'], 'UnitPrice': 999.0, 'Description': 'QBO text'}
        )
        pushes = self._push_jobs()
        self._pull()
        self.assertEqual(product.qbo_conflict, 'changed')
        self.assertEqual(product.lst_price, odoo_price, 'nothing overwritten')
        self.assertNotEqual(product.description_sale, 'QBO text')
        self.assertIn('999', product.qbo_conflict_note)
        self.assertIn('QBO text', product.qbo_conflict_note)
        kind = self.env.ref('qbo_connector.mail_activity_type_qbo_changed')
        self.assertEqual(len(product.activity_ids.filtered(lambda a: a.activity_type_id == kind)), 1)
        # Told again (the next pull): still one decision pending.
        self._pull()
        self.assertEqual(len(product.activity_ids.filtered(lambda a: a.activity_type_id == kind)), 1)
        self.assertEqual(self._push_jobs(), pushes, 'nothing sent back')
        # Accept: QuickBooks' version is written, and the product is in line again.
        product.action_qbo_accept()
        self.assertFalse(product.qbo_conflict)
        self.assertEqual((product.lst_price, product.description_sale), (999.0, 'QBO text'))
        self.assertFalse(product.activity_ids.filtered(lambda a: a.activity_type_id == kind))
        item = self._qbo_by_id('Item', item_id)
        self._qbo_client().update('Item', {'Id': item['Id'], 'SyncToken': item['SyncToken'], 'UnitPrice': 1001.0})
        self._pull()
        self.assertFalse(product.qbo_conflict)
        self.assertEqual(product.lst_price, 1001.0)

    def test_item_conflict_push_again_keeps_odoo(self):
        product, item_id = self._pushed_product()
        product.write({'description_sale': 'Odoo side'})
        item = self._qbo_by_id('Item', item_id)
        self._qbo_client().update(
            'Item', {'Id': item['Id'], 'SyncToken': item['SyncToken'], 'Description': 'QuickBooks side'}
        )
        self._pull()
        self.assertEqual(product.qbo_conflict, 'changed')
        product.action_qbo_push_again()
        self.assertFalse(product.qbo_conflict)
        self.assertEqual(product.description_sale, 'Odoo side')
        # That version of QuickBooks' is decided: not flagged again.
        self._pull()
        self.assertFalse(product.qbo_conflict)
        self.assertEqual(product.description_sale, 'Odoo side')
