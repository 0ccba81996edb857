from odoo.tests import tagged

from .test_push_invoice import QboPushCommon


@tagged('post_install', '-at_install')
class TestPartnerMerge(QboPushCommon):
    """Odoo's Merge Contacts: the QuickBooks customer of a merged-away contact goes with the
    contact that stays, so that its next invoice goes to that customer instead of a new one."""

    def _partner(self, name, email='same.party@example.com'):
        return self.env['res.partner'].create({'name': name, 'email': email, 'is_company': True})

    def _sent(self, partner):
        """Invoice ``partner`` and push it: its QuickBooks customer's id."""
        invoice = self._invoice(partner_id=partner)
        self._run_queue()
        self.assertEqual(invoice.qbo_sync_state, 'synced', invoice.qbo_sync_error)
        return self._qbo_by_id('Invoice', invoice.qbo_id)['CustomerRef']['value']

    def _merge(self, partners, destination):
        """What the Merge button of the Merge Contacts wizard does."""
        wizard = self.env['base.partner.merge.automatic.wizard'].create(
            {'partner_ids': [(6, 0, partners.ids)], 'dst_partner_id': destination.id}
        )
        wizard.action_merge()
        self.assertFalse(partners.exists() - destination, 'the others are deleted')

    def _mappings_of(self, partner_ids):
        return (
            self.env['qbo.mapping']
            .sudo()
            .search([('res_model', '=', 'res.partner'), ('res_id', 'in', partner_ids), ('qbo_entity', '=', 'Customer')])
        )

    def test_the_merged_away_customer_goes_with_the_contact_that_stays(self):
        sent = self._partner('Acme Old Record Inc')
        stays = self._partner('Acme Corporation')
        customer = self._sent(sent)
        customers = len(self._qbo('Customer'))
        self._merge(sent | stays, stays)
        self.assertFalse(self._mappings_of(sent.ids), 'no mapping left on a deleted partner')
        self.assertEqual(self._mappings_of(stays.ids).qbo_id, customer)
        # Its next invoice goes to the customer QuickBooks knows, without a new one.
        self.assertEqual(self._sent(stays), customer)
        self.assertEqual(len(self._qbo('Customer')), customers, 'no customer created')

    def test_both_in_quickbooks_the_one_that_stays_keeps_its_customer(self):
        """Both contacts were QuickBooks customers: the one that stays keeps its own (an Odoo
        record maps to one customer), the other's is no longer linked, and the chatter says so,
        naming it, so that someone merges them in QuickBooks if they are the same."""
        merged = self._partner('Globex West')
        stays = self._partner('Globex')
        merged_customer = self._sent(merged)
        own_customer = self._sent(stays)
        self.assertNotEqual(merged_customer, own_customer)
        self._merge(merged | stays, stays)
        self.assertFalse(self._mappings_of(merged.ids), 'no mapping left on a deleted partner')
        self.assertEqual(self._mappings_of(stays.ids).qbo_id, own_customer)
        note = stays.message_ids.filtered(lambda m: f'(id {merged_customer})' in str(m.body))
        self.assertEqual(len(note), 1, stays.message_ids.mapped('body'))
        self.assertIn('Globex West', str(note.body))
        self.assertEqual(self._sent(stays), own_customer)
        # QuickBooks' customer of the merged-away contact is free again: no Odoo record holds it.
        self.assertFalse(
            self.env['qbo.mapping'].sudo().search([('qbo_entity', '=', 'Customer'), ('qbo_id', '=', merged_customer)])
        )

    def test_three_contacts_merged_keep_one_customer(self):
        """Three contacts, two of them in QuickBooks, merged into the one never sent: it takes
        the customer of the first merged-away contact in the wizard's order; the other is dropped."""
        first, second = self._partner('Initech One'), self._partner('Initech Two')
        stays = self._partner('Initech')
        customers = {self._sent(first), self._sent(second)}
        self._merge(first | second | stays, stays)
        self.assertFalse(self._mappings_of([first.id, second.id]))
        kept = self._mappings_of(stays.ids)
        self.assertEqual(len(kept), 1)
        self.assertIn(kept.qbo_id, customers)
        self.assertEqual(self._sent(stays), kept.qbo_id)
