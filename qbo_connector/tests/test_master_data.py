import requests

from odoo import Command
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.tests import tagged

from ..exceptions import QboValidationError
from ..const import QUERY_PAGE
from .common import CA_REALM, US_REALM, QboTestMixin

# QuickBooks takes at most this many items in one batch request.
BATCH_MAX = 30


class QboMasterDataCase(QboTestMixin, AccountTestInvoicingCommon):
    """Customers, items and tax codes, driven against the emulator over real HTTP."""

    # Every company gets the generic chart: the other countries' charts may not be installed.
    chart_template = 'generic_coa'

    @classmethod
    @AccountTestInvoicingCommon.setup_country('us')
    def setUpClass(cls):
        super().setUpClass()
        cls._qbo_setup_emulator()
        cls.registry_enter_test_mode_cls()
        cls.company = cls.company_data['company']
        cls.us_state_ca = cls.env.ref('base.state_us_5')

    def setUp(self):
        super().setUp()
        self.emu.reset()
        self.connection, self.client = self._qbo_connected(self.company, US_REALM)

    def _qbo_connected(self, company, realm):
        """A connection (with the QuickBooks company's country, currency and multicurrency
        read as Connect reads them) and its client."""
        connection = self._qbo_connect(self.env, company, realm)
        return connection, connection._qbo_client()

    def _other_company(self, name, country='us', currency='USD'):
        """Another Odoo company (one connection per company), with a chart of accounts."""
        return self.setup_other_company(
            name=name,
            country_id=self.env.ref(f'base.{country}').id,
            currency_id=self.env.ref(f'base.{currency}').id,
        )['company']

    def _api_calls(self):
        return [entry for entry in self.emu.requests_log()['requests'] if '/v3/' in entry['path']]

    def _objects(self, entity, realm=US_REALM):
        """What QuickBooks holds, inactive objects included (the emulator's inspection API)."""
        return self.emu._call('GET', f'{realm}/{entity}')['objects']

    def _object(self, entity, qbo_id, realm=US_REALM):
        return next(obj for obj in self._objects(entity, realm) if obj['Id'] == qbo_id)

    def _named(self, entity, name, realm=US_REALM):
        return next(obj for obj in self._objects(entity, realm) if (obj.get('DisplayName') or obj.get('Name')) == name)

    def _create_in_qbo(self, entity, objects, realm=US_REALM):
        """Create ``objects`` in QuickBooks as another application would: through the API's
        batch endpoint, 30 at a time (outside the connection, so not in its call log)."""
        token = self.emu.mint(realm)['access_token']
        for start in range(0, len(objects), BATCH_MAX):
            response = requests.post(
                f'{self.emulator.base_url}/v3/company/{realm}/batch',
                params={'minorversion': 75},
                timeout=60,
                headers={'Authorization': f'Bearer {token}', 'Accept': 'application/json'},
                json={
                    'BatchItemRequest': [
                        {'bId': str(start + n), 'operation': 'create', entity: obj}
                        for n, obj in enumerate(objects[start : start + BATCH_MAX])
                    ]
                },
            )
            response.raise_for_status()
            faults = [item['Fault'] for item in response.json()['BatchItemResponse'] if 'Fault' in item]
            self.assertFalse(faults)

    def _logged_calls(self, func, *args):
        """The result of ``func`` and the number of calls it made, as the connection's call log counts them."""
        self.connection.invalidate_recordset(['log_ids'])
        before = len(self.connection.log_ids)
        result = func(*args)
        self.connection.invalidate_recordset(['log_ids'])
        return result, len(self.connection.log_ids) - before

    def _assert_no_request(self, func, *args):
        before = len(self._api_calls())
        result = func(*args)
        self.assertEqual(len(self._api_calls()), before, 'a mapped record must not cost a request')
        return result


@tagged('post_install', '-at_install')
class TestQboCustomers(QboMasterDataCase):
    def test_matched_by_email_whatever_the_name(self):
        amy = self._named('Customer', "Amy's Bird Sanctuary")
        partner = self.env['res.partner'].create({'name': 'Amy Lauterbach', 'email': 'BIRDS@intuit.com'})
        count = len(self._objects('Customer'))
        ref = partner._qbo_customer_ref(self.connection, self.client)
        self.assertEqual(ref, {'value': amy['Id'], 'name': "Amy's Bird Sanctuary"})
        self.assertEqual(len(self._objects('Customer')), count, 'matched, not created')
        mapping = self.env['qbo.mapping'].sudo()._qbo_find(self.connection, partner, 'Customer')
        self.assertEqual(mapping.qbo_id, amy['Id'])
        self.assertEqual(self._assert_no_request(partner._qbo_customer_ref, self.connection, self.client), ref)

    def test_matched_by_display_name_in_any_case(self):
        cool_cars = self._named('Customer', 'Cool Cars')
        partner = self.env['res.partner'].create(
            {'name': 'cool CARS', 'is_company': True, 'email': 'other@example.com'}
        )
        ref = partner._qbo_customer_ref(self.connection, self.client)
        self.assertEqual(ref['value'], cool_cars['Id'])

    def test_created_with_the_invoice_address(self):
        company = self.env['res.partner'].create(
            {
                'name': 'Odoo Bakery',
                'is_company': True,
                'email': 'bakery@example.com',
                'vat': '12-3456789',
                'street': '1 Own St',
                'city': 'Own Town',
                'zip': '94000',
                'country_id': self.env.ref('base.us').id,
            }
        )
        self.env['res.partner'].create(
            {
                'type': 'invoice',
                'parent_id': company.id,
                'name': 'Bakery Accounts',
                'street': '77 Billing Ave',
                'street2': 'Suite 5',
                'city': 'Billington',
                'zip': '94111',
                'state_id': self.us_state_ca.id,
                'country_id': self.env.ref('base.us').id,
            }
        )
        ref = company._qbo_customer_ref(self.connection, self.client)
        customer = self._object('Customer', ref['value'])
        self.assertEqual(customer['DisplayName'], 'Odoo Bakery')
        self.assertEqual(customer['CompanyName'], 'Odoo Bakery')
        self.assertEqual(customer['PrimaryEmailAddr'], {'Address': 'bakery@example.com'})
        self.assertEqual(
            {
                key: customer['BillAddr'].get(key)
                for key in ('Line1', 'Line2', 'City', 'CountrySubDivisionCode', 'PostalCode', 'Country')
            },
            {
                'Line1': '77 Billing Ave',
                'Line2': 'Suite 5',
                'City': 'Billington',
                'CountrySubDivisionCode': 'CA',
                'PostalCode': '94111',
                'Country': 'US',
            },
        )

    def test_own_address_without_an_invoice_address(self):
        partner = self.env['res.partner'].create(
            {
                'name': 'Jane Walker',
                'street': '9 Home Rd',
                'city': 'Hometown',
                'zip': '10001',
                'state_id': self.us_state_ca.id,
                'country_id': self.env.ref('base.us').id,
            }
        )
        customer = self._object('Customer', partner._qbo_customer_ref(self.connection, self.client)['value'])
        self.assertEqual((customer['GivenName'], customer['FamilyName']), ('Jane', 'Walker'))
        self.assertEqual(customer['BillAddr']['Line1'], '9 Home Rd')
        self.assertEqual(customer['BillAddr']['City'], 'Hometown')

    def test_contact_invoices_as_its_company(self):
        company = self.env['res.partner'].create({'name': 'Parent Works', 'is_company': True})
        contact = self.env['res.partner'].create(
            {'name': 'Pat Buyer', 'parent_id': company.id, 'email': 'pat@parent.example'}
        )
        ref = contact._qbo_customer_ref(self.connection, self.client)
        self.assertEqual(ref['name'], 'Parent Works')
        self.assertTrue(self.env['qbo.mapping'].sudo()._qbo_find(self.connection, company, 'Customer'))
        self.assertFalse(self.env['qbo.mapping'].sudo()._qbo_find(self.connection, contact, 'Customer'))
        self.assertEqual(self._assert_no_request(company._qbo_customer_ref, self.connection, self.client), ref)

    def test_name_of_a_vendor_gets_a_distinct_name(self):
        self.client.create('Vendor', {'DisplayName': 'Acme Tools', 'PrimaryEmailAddr': {'Address': 'ap@acme.example'}})
        partner = self.env['res.partner'].create({'name': 'Acme Tools', 'is_company': True, 'email': 'ap@acme.example'})
        ref = partner._qbo_customer_ref(self.connection, self.client)
        self.assertEqual(ref['name'], f'Acme Tools (Odoo {partner.id})')
        self.assertEqual(self._object('Customer', ref['value'])['DisplayName'], ref['name'])

    def test_inactive_customer_of_the_same_party_is_linked_and_reactivated(self):
        jeff = self._named('Customer', "Jeff's Jalopies")
        self.assertIs(jeff['Active'], False)
        partner = self.env['res.partner'].create({'name': "Jeff's Jalopies", 'email': 'jalopies@intuit.com'})
        count = len(self._objects('Customer'))
        ref = partner._qbo_customer_ref(self.connection, self.client)
        self.assertEqual(ref['value'], jeff['Id'])
        self.assertEqual(len(self._objects('Customer')), count)
        self.assertIs(self._object('Customer', jeff['Id'])['Active'], True, 'invoices cannot use an inactive customer')

    def test_inactive_customer_with_the_same_tax_id_is_linked(self):
        # QuickBooks masks tax ids in its answers but for the last four characters.
        twin = self.client.create('Customer', {'DisplayName': 'Tax Twin LLC', 'PrimaryTaxIdentifier': 'XXXXX6789'})
        self.client.update('Customer', {'Id': twin['Id'], 'SyncToken': twin['SyncToken'], 'Active': False})
        partner = self.env['res.partner'].create({'name': 'Tax Twin LLC', 'is_company': True, 'vat': '12-3456789'})
        self.assertEqual(partner._qbo_customer_ref(self.connection, self.client)['value'], twin['Id'])
        other = self.env['res.partner'].create({'name': 'Tax Twin LLC', 'is_company': True, 'vat': '98-7654321'})
        self.assertEqual(
            other._qbo_customer_ref(self.connection, self.client)['name'], f'Tax Twin LLC (Odoo {other.id})'
        )

    def test_inactive_customer_of_another_party_keeps_its_name(self):
        jeff = self._named('Customer', "Jeff's Jalopies")
        partner = self.env['res.partner'].create({'name': "JEFF'S JALOPIES", 'email': 'jeff@elsewhere.example'})
        ref = partner._qbo_customer_ref(self.connection, self.client)
        self.assertNotEqual(ref['value'], jeff['Id'])
        self.assertEqual(ref['name'], f"JEFF'S JALOPIES (Odoo {partner.id})")
        self.assertIs(self._object('Customer', jeff['Id'])['Active'], False)

    def test_two_partners_never_share_a_customer(self):
        first = self.env['res.partner'].create({'name': 'Twin Shop', 'email': 'twin@example.com'})
        second = self.env['res.partner'].create({'name': 'Twin Shop', 'email': 'twin@example.com'})
        first_ref = first._qbo_customer_ref(self.connection, self.client)
        second_ref = second._qbo_customer_ref(self.connection, self.client)
        self.assertNotEqual(first_ref['value'], second_ref['value'])
        self.assertEqual(second_ref['name'], f'Twin Shop (Odoo {second.id})')

    def test_names_quickbooks_refuses_are_made_acceptable(self):
        partner = self.env['res.partner'].create({'name': 'Acme: West\tCoast\nDivision', 'is_company': True})
        ref = partner._qbo_customer_ref(self.connection, self.client)
        self.assertEqual(ref['name'], 'Acme- West Coast Division')
        long_company = self.env['res.partner'].create({'name': 'Big ' * 200, 'is_company': True})
        customer = self._object('Customer', long_company._qbo_customer_ref(self.connection, self.client)['value'])
        self.assertEqual(len(customer['DisplayName']), 499)  # 500, less the trailing space cut off
        self.assertLessEqual(len(customer['CompanyName']), 100)
        long_person = self.env['res.partner'].create({'name': 'Given' * 30 + ' ' + 'Family' * 30})
        customer = self._object('Customer', long_person._qbo_customer_ref(self.connection, self.client)['value'])
        self.assertEqual(len(customer['GivenName']), 100)
        self.assertEqual(len(customer['FamilyName']), 100)

    def test_partner_without_a_name_is_explained(self):
        partner = self.env['res.partner'].create({'type': 'invoice', 'email': 'noname@example.com'})
        before = len(self._objects('Customer'))
        error = self._qbo_raises(QboValidationError, partner._qbo_customer_ref, self.connection, self.client)
        self.assertIn('has no name', error.message)
        self.assertEqual(len(self._objects('Customer')), before)

    def test_invalid_email_is_left_out(self):
        partner = self.env['res.partner'].create({'name': 'Sloppy Data Inc', 'email': 'sloppy at example dot com'})
        with self.assertLogs('odoo.addons.qbo_connector.models.res_partner', 'WARNING') as logs:
            ref = partner._qbo_customer_ref(self.connection, self.client)
        self.assertIn('sloppy at example dot com', logs.output[0])
        customer = self._object('Customer', ref['value'])
        self.assertEqual(customer['DisplayName'], 'Sloppy Data Inc')
        self.assertNotIn('PrimaryEmailAddr', customer)

    def test_foreign_currency_needs_multicurrency(self):
        partner = self.env['res.partner'].create({'name': 'Euro Client'})
        eur = self.setup_other_currency('EUR')
        error = self._qbo_raises(QboValidationError, partner._qbo_customer_ref, self.connection, self.client, eur)
        self.assertIn('Multicurrency', error.message)

    def test_matching_costs_the_same_requests_whatever_the_size_of_the_customer_list(self):
        """Matched by email, matched by name, or created: the requests it takes do not grow
        with the number of customers in QuickBooks (here beyond one page of a query)."""

        def calls(email_twin, name_twin, new):
            counts = []
            for values in (email_twin, name_twin, new):
                partner = self.env['res.partner'].create({'is_company': True, **values})
                ref, count = self._logged_calls(partner._qbo_customer_ref, self.connection, self.client)
                counts.append(count)
            return ref, counts

        _ref, small = calls(
            {'name': 'Birdwatchers', 'email': 'Birds@Intuit.com'},
            {'name': 'COOL CARS', 'email': 'cars@elsewhere.example'},
            {'name': 'Brand New Ltd', 'email': 'new@brand.example'},
        )
        self._create_in_qbo(
            'Customer',
            [
                {'DisplayName': f'Bulk Customer {n:04d}', 'PrimaryEmailAddr': {'Address': f'bulk{n:04d}@example.com'}}
                for n in range(QUERY_PAGE + 1)
            ],
        )
        self.assertGreater(len(self._objects('Customer')), QUERY_PAGE)
        ref, large = calls(
            {'name': 'Bulk buyer', 'email': 'BULK0990@example.com'},
            {'name': 'bulk customer 0995', 'email': 'other@bulk.example'},
            {'name': 'Bulk Customer 0995 Jr', 'email': 'junior@bulk.example'},
        )
        self.assertEqual(self._object('Customer', ref['value'])['DisplayName'], 'Bulk Customer 0995 Jr')
        self.assertEqual(large, small)
        self.assertEqual(small, [1, 2, 3], 'by email: one query; by name: two; created: two and the creation')

    def test_one_customer_per_currency(self):
        realm = self.emu.add_company(template='us', multicurrency=True)['realm_id']
        connection, client = self._qbo_connected(self._other_company('Global Co'), realm)
        self.assertTrue(connection.qbo_multicurrency)
        eur = self.setup_other_currency('EUR')
        partner = self.env['res.partner'].create({'name': 'Global Buyer', 'email': 'buyer@global.example'})
        usd_ref = partner._qbo_customer_ref(connection, client, self.env.ref('base.USD'))
        eur_ref = partner._qbo_customer_ref(connection, client, eur)
        self.assertNotEqual(usd_ref['value'], eur_ref['value'])
        self.assertEqual(eur_ref['name'], 'Global Buyer (EUR)')
        self.assertEqual(self._object('Customer', usd_ref['value'], realm)['CurrencyRef']['value'], 'USD')
        self.assertEqual(self._object('Customer', eur_ref['value'], realm)['CurrencyRef']['value'], 'EUR')
        self.assertEqual(
            self.env['qbo.mapping'].sudo()._qbo_find(connection, partner, 'Customer', currency=eur).qbo_id,
            eur_ref['value'],
        )
        self.assertEqual(self._assert_no_request(partner._qbo_customer_ref, connection, client, eur), eur_ref)
        # Another Odoo database (or a lost mapping) finds both again by email and currency.
        self.env['qbo.mapping'].sudo().search([('connection_id', '=', connection.id)]).unlink()
        self.assertEqual(partner._qbo_customer_ref(connection, client, eur), eur_ref)
        self.assertEqual(partner._qbo_customer_ref(connection, client), usd_ref)


@tagged('post_install', '-at_install')
class TestQboSubCustomers(QboMasterDataCase):
    """Child contacts as sub-customers: a company's named contacts get a sub-customer of the
    company's customer, matched and created with the customers' rules."""

    def setUp(self):
        super().setUp()
        self.connection.sub_customers = True
        self.company_partner = self.env['res.partner'].create(
            {
                'name': 'Parent Works',
                'is_company': True,
                'email': 'office@parent.example',
                'street': '1 Works Rd',
                'city': 'Worksville',
                'zip': '94100',
                'country_id': self.env.ref('base.us').id,
            }
        )
        self.contact = self.env['res.partner'].create(
            {'name': 'Pat Buyer', 'parent_id': self.company_partner.id, 'email': 'pat@parent.example'}
        )

    def _mapping(self, partner, role='record', currency=None, connection=None):
        """The binding of ``partner`` to a QuickBooks customer: its own (record), or as a sub-customer."""
        return (
            self.env['qbo.mapping'].sudo()._qbo_find(connection or self.connection, partner, 'Customer', role, currency)
        )

    def test_named_contact_is_a_sub_customer_of_its_company(self):
        ref = self.contact._qbo_customer_ref(self.connection, self.client)
        job = self._object('Customer', ref['value'])
        parent = self._object('Customer', self._mapping(self.company_partner).qbo_id)
        self.assertEqual(parent['DisplayName'], 'Parent Works')
        self.assertEqual(
            (job['DisplayName'], job['Job'], job['ParentRef']['value'], job['BillWithParent']),
            ('Pat Buyer', True, parent['Id'], True),
        )
        self.assertEqual(job['FullyQualifiedName'], 'Parent Works:Pat Buyer')
        self.assertEqual((job['GivenName'], job['FamilyName'], job['CompanyName']), ('Pat', 'Buyer', 'Parent Works'))
        self.assertEqual(job['PrimaryEmailAddr'], {'Address': 'pat@parent.example'})
        self.assertEqual(job['BillAddr']['Line1'], '1 Works Rd', "the company's address")
        self.assertEqual(self._mapping(self.contact, 'sub_customer').qbo_id, job['Id'])
        self.assertFalse(self._mapping(self.contact))
        self.assertEqual(self._assert_no_request(self.contact._qbo_customer_ref, self.connection, self.client), ref)
        # The company itself is still the customer of its own documents.
        self.assertEqual(self.company_partner._qbo_customer_ref(self.connection, self.client)['value'], parent['Id'])

    def test_off_by_default_and_off_a_contact_invoices_as_its_company(self):
        self.assertFalse(
            self.env['qbo.connection'].create({'company_id': self._other_company('Fresh Co').id}).sub_customers
        )
        self.connection.sub_customers = False
        ref = self.contact._qbo_customer_ref(self.connection, self.client)
        self.assertEqual(ref['name'], 'Parent Works')
        self.assertFalse(self._mapping(self.contact, 'sub_customer'))

    def test_addresses_invoice_as_the_company(self):
        partners = self.env['res.partner'].create(
            [
                {'type': 'invoice', 'name': 'Works Accounts', 'parent_id': self.company_partner.id},
                {'type': 'delivery', 'name': 'Works Dock', 'parent_id': self.company_partner.id},
                {'type': 'other', 'parent_id': self.company_partner.id, 'email': 'anon@parent.example'},
            ]
        )
        person = self.env['res.partner'].create({'name': 'Solo Person'})
        child_of_person = self.env['res.partner'].create({'name': 'Solo Helper', 'parent_id': person.id})
        for partner in partners:
            self.assertEqual(partner._qbo_customer_ref(self.connection, self.client)['name'], 'Parent Works')
        self.assertEqual(child_of_person._qbo_customer_ref(self.connection, self.client)['name'], 'Solo Person')
        self.assertFalse(self.env['qbo.mapping'].sudo().search([('role', '=', 'sub_customer')]))

    def test_matched_by_email_among_its_company_sub_customers_only(self):
        parent = self._object('Customer', self.company_partner._qbo_customer_ref(self.connection, self.client)['value'])
        elsewhere = self.client.create('Customer', {'DisplayName': 'Somebody Else Co'})
        # The same email on a customer, and on a sub-customer of another company: neither is this contact.
        self.client.create(
            'Customer', {'DisplayName': 'Pat (top level)', 'PrimaryEmailAddr': {'Address': 'pat@parent.example'}}
        )
        self.client.create(
            'Customer',
            {
                'DisplayName': 'Pat at Else',
                'PrimaryEmailAddr': {'Address': 'pat@parent.example'},
                'Job': True,
                'ParentRef': {'value': elsewhere['Id']},
            },
        )
        own = self.client.create(
            'Customer',
            {
                'DisplayName': 'P. Buyer (purchasing)',
                'PrimaryEmailAddr': {'Address': 'PAT@parent.example'},
                'Job': True,
                'ParentRef': {'value': parent['Id']},
            },
        )
        ref = self.contact._qbo_customer_ref(self.connection, self.client)
        self.assertEqual(ref, {'value': own['Id'], 'name': 'P. Buyer (purchasing)'})

    def test_matched_by_name_and_a_name_taken_elsewhere_gets_a_distinct_name(self):
        parent = self._object('Customer', self.company_partner._qbo_customer_ref(self.connection, self.client)['value'])
        own = self.client.create(
            'Customer', {'DisplayName': 'PAT BUYER', 'Job': True, 'ParentRef': {'value': parent['Id']}}
        )
        self.assertEqual(self.contact._qbo_customer_ref(self.connection, self.client)['value'], own['Id'])
        # Another company's Pat Buyer: the name is taken (names are unique over all customers).
        other_company = self.env['res.partner'].create({'name': 'Other Works', 'is_company': True})
        other_pat = self.env['res.partner'].create({'name': 'Pat Buyer', 'parent_id': other_company.id})
        ref = other_pat._qbo_customer_ref(self.connection, self.client)
        job = self._object('Customer', ref['value'])
        self.assertEqual(ref['name'], f'Pat Buyer (Odoo {other_pat.id})')
        self.assertEqual(job['ParentRef']['value'], self._mapping(other_company).qbo_id)

    def test_inactive_sub_customer_of_the_same_contact_is_reactivated(self):
        parent = self._object('Customer', self.company_partner._qbo_customer_ref(self.connection, self.client)['value'])
        old = self.client.create(
            'Customer',
            {
                'DisplayName': 'Pat Buyer',
                'Job': True,
                'ParentRef': {'value': parent['Id']},
                'PrimaryEmailAddr': {'Address': 'pat@parent.example'},
            },
        )
        self.client.update('Customer', {'Id': old['Id'], 'SyncToken': old['SyncToken'], 'Active': False})
        self.assertEqual(self.contact._qbo_customer_ref(self.connection, self.client)['value'], old['Id'])
        self.assertIs(self._object('Customer', old['Id'])['Active'], True)

    def test_one_sub_customer_per_currency_under_the_company_customer_of_that_currency(self):
        realm = self.emu.add_company(template='us', multicurrency=True)['realm_id']
        connection, client = self._qbo_connected(self._other_company('Global Co'), realm)
        connection.sub_customers = True
        eur = self.setup_other_currency('EUR')
        usd_ref = self.contact._qbo_customer_ref(connection, client, self.env.ref('base.USD'))
        eur_ref = self.contact._qbo_customer_ref(connection, client, eur)
        self.assertNotEqual(usd_ref['value'], eur_ref['value'])
        self.assertEqual(eur_ref['name'], 'Pat Buyer (EUR)')
        eur_job = self._object('Customer', eur_ref['value'], realm)
        eur_parent = self._object(
            'Customer', self._mapping(self.company_partner, currency=eur, connection=connection).qbo_id, realm
        )
        self.assertEqual((eur_job['CurrencyRef']['value'], eur_job['ParentRef']['value']), ('EUR', eur_parent['Id']))
        self.assertEqual(eur_parent['CurrencyRef']['value'], 'EUR')
        self.assertEqual(self._mapping(self.contact, 'sub_customer', eur, connection).qbo_id, eur_ref['value'])
        usd_job = self._object('Customer', usd_ref['value'], realm)
        self.assertEqual(
            usd_job['ParentRef']['value'], self._mapping(self.company_partner, connection=connection).qbo_id
        )
        # Found again (a lost mapping, another database) by email, currency and parent.
        self.env['qbo.mapping'].sudo().search([('connection_id', '=', connection.id)]).unlink()
        self.assertEqual(self.contact._qbo_customer_ref(connection, client, eur), eur_ref)
        self.assertEqual(self.contact._qbo_customer_ref(connection, client), usd_ref)


@tagged('post_install', '-at_install')
class TestQboItems(QboMasterDataCase):
    def _product(self, **values):
        return self.env['product.product'].create({'name': 'A product', **values})

    def test_matched_by_sku_whatever_the_name(self):
        fountain = self._named('Item', 'Rock Fountain')
        product = self._product(name='Garden fountain (big)', default_code='RF-100', type='consu')
        ref = product._qbo_item_ref(self.connection, self.client)
        self.assertEqual(ref, {'value': fountain['Id'], 'name': 'Rock Fountain'})
        self.assertEqual(self._assert_no_request(product._qbo_item_ref, self.connection, self.client), ref)

    def test_matched_by_name_in_any_case(self):
        design = self._named('Item', 'Design')
        product = self._product(name='DESIGN', type='service')
        self.assertEqual(product._qbo_item_ref(self.connection, self.client)['value'], design['Id'])

    def test_same_name_other_sku_is_another_item(self):
        product = self._product(name='Design', default_code='DSGN-99', type='service')
        ref = product._qbo_item_ref(self.connection, self.client)
        self.assertNotEqual(ref['value'], self._named('Item', 'Design')['Id'])
        self.assertEqual(ref['name'], f'Design (Odoo {product.id})')
        self.assertEqual(self._object('Item', ref['value'])['Sku'], 'DSGN-99')

    def test_service_and_goods_are_created_with_the_income_account(self):
        sales = self._named('Account', 'Sales of Product Income')
        service = self._product(name='Odoo Consulting', type='service', default_code='CONS-1', list_price=120)
        goods = self._product(name='Odoo Mug: large', type='consu', default_code='MUG-L')
        service_item = self._object('Item', service._qbo_item_ref(self.connection, self.client)['value'])
        goods_item = self._object('Item', goods._qbo_item_ref(self.connection, self.client)['value'])
        self.assertEqual(
            (service_item['Name'], service_item['Type'], service_item['Sku']), ('Odoo Consulting', 'Service', 'CONS-1')
        )
        self.assertEqual(service_item['UnitPrice'], 120)
        self.assertEqual((goods_item['Name'], goods_item['Type']), ('Odoo Mug- large', 'NonInventory'))
        for item in (service_item, goods_item):
            self.assertEqual(item['IncomeAccountRef']['value'], sales['Id'])
        self.assertEqual(self.connection.sudo().income_account_qbo_id, sales['Id'])
        self.connection.invalidate_recordset()
        account_queries = self.connection.log_ids.filtered(lambda log: 'FROM Account' in (log.request_body or ''))
        self.assertEqual(len(account_queries), 1, 'the income account is chosen once per connection')

    def test_income_account_prefers_sales(self):
        realm = CA_REALM
        company = self._other_company('Maple Co', 'ca', 'CAD')
        connection, client = self._qbo_connected(company, realm)
        product = self.env['product.product'].create({'name': 'Odoo Poutine', 'type': 'consu'})
        item = self._object('Item', product._qbo_item_ref(connection, client)['value'], realm)
        self.assertEqual(item['IncomeAccountRef']['value'], self._named('Account', 'Sales', realm)['Id'])

    def test_line_without_product_uses_the_unmatched_item(self):
        ref = self.env['product.product']._qbo_item_ref(self.connection, self.client)
        item = self._object('Item', ref['value'])
        self.assertEqual((item['Name'], item['Type']), ('Odoo item', 'Service'))
        self.assertEqual(
            self._assert_no_request(self.env['product.product']._qbo_item_ref, self.connection, self.client), ref
        )
        # A new connection (another Odoo database) finds it by name instead of creating another.
        self.env['qbo.mapping'].sudo().search([('connection_id', '=', self.connection.id)]).unlink()
        self.assertEqual(self.env['product.product']._qbo_item_ref(self.connection, self.client), ref)
        self.assertEqual(len([i for i in self._objects('Item') if i['Name'] == 'Odoo item']), 1)

    def test_item_for_unmatched_lines_is_a_setting(self):
        products = self.env['product.product']
        self.connection.unmatched_item_name = 'services'
        ref = products._qbo_item_ref(self.connection, self.client)
        self.assertEqual(
            ref, {'value': self._named('Item', 'Services')['Id'], 'name': 'Services'}, 'matched in any case'
        )
        self.assertEqual(self._assert_no_request(products._qbo_item_ref, self.connection, self.client), ref)
        # Named another, it is that one from the next line on (created, as it is missing).
        count = len(self._objects('Item'))
        self.connection.unmatched_item_name = 'Odoo: misc. lines'
        ref = products._qbo_item_ref(self.connection, self.client)
        self.assertEqual(ref['name'], 'Odoo- misc. lines')
        self.assertEqual(len(self._objects('Item')), count + 1)
        self.assertEqual(self._object('Item', ref['value'])['Type'], 'Service')
        self.assertEqual(self._assert_no_request(products._qbo_item_ref, self.connection, self.client), ref)
        # Emptied, it is the default one again.
        self.connection.unmatched_item_name = False
        self.assertEqual(products._qbo_item_ref(self.connection, self.client)['name'], 'Odoo item')

    def _income_account(self, name, code):
        return (
            self.env['account.account']
            .with_company(self.company)
            .create(
                {'name': name, 'code': code, 'account_type': 'income', 'company_ids': [Command.set(self.company.ids)]}
            )
        )

    def _income_account_of(self, product):
        item = self._object('Item', product._qbo_item_ref(self.connection, self.client)['value'])
        return item['IncomeAccountRef']['value']

    def test_new_item_books_to_the_account_named_like_the_products(self):
        accounts = {a['Name']: a['Id'] for a in self._objects('Account')}
        consulting = self.client.create('Account', {'Name': '4100 Consulting Income', 'AccountType': 'Income'})
        category = (
            self.env['product.category']
            .with_company(self.company)
            .create(
                {
                    'name': 'Consulting',
                    'property_account_income_categ_id': self._income_account('Consulting Income', '4100').id,
                }
            )
        )
        sub_category = (
            self.env['product.category']
            .with_company(self.company)
            .create({'name': 'Remote consulting', 'parent_id': category.id, 'property_account_income_categ_id': False})
        )
        own = self._product(name='Garden plan', type='service', categ_id=category.id)
        own.with_company(self.company).property_account_income_id = self._income_account(
            'LANDSCAPING services', '400500'
        )
        by_category = self._product(name='Strategy day', type='service', categ_id=category.id)
        by_parent_category = self._product(name='Video call', type='service', categ_id=sub_category.id)
        self.assertEqual(
            self._income_account_of(own), accounts['Landscaping Services'], "the product's own, in any case"
        )
        self.assertEqual(self._income_account_of(by_category), consulting['Id'], "the category's, with its code")
        self.assertEqual(self._income_account_of(by_parent_category), consulting['Id'], "the parent category's")
        # Matched once per Odoo account, then mapped.
        self.connection.invalidate_recordset()
        queries = len(self.connection.log_ids.filtered(lambda log: 'FROM Account' in (log.request_body or '')))
        another = self._product(name='Workshop', type='service', categ_id=category.id)
        self.assertEqual(self._income_account_of(another), consulting['Id'])
        self.connection.invalidate_recordset()
        self.assertEqual(
            len(self.connection.log_ids.filtered(lambda log: 'FROM Account' in (log.request_body or ''))), queries
        )

    def test_product_without_an_income_account_books_to_the_default(self):
        bare = (
            self.env['product.category']
            .with_company(self.company)
            .create({'name': 'No accounts', 'property_account_income_categ_id': False})
        )
        product = self._product(name='Odd job', type='service', categ_id=bare.id)
        self.assertFalse(product._qbo_odoo_income_account(self.connection))
        unknown = self._product(name='Odd goods', type='consu', categ_id=bare.id)
        unknown.with_company(self.company).property_account_income_id = self._income_account(
            'Product Sales Odoo', '400900'
        )
        self.assertEqual(self._income_account_of(product), self._named('Account', 'Sales of Product Income')['Id'])
        self.assertEqual(
            self._income_account_of(unknown),
            self._named('Account', 'Sales of Product Income')['Id'],
            'no QuickBooks account of that name: the default',
        )

    def test_default_income_account_is_a_setting(self):
        bare = (
            self.env['product.category']
            .with_company(self.company)
            .create({'name': 'No accounts', 'property_account_income_categ_id': False})
        )
        self.connection.default_income_account_name = 'landscaping SERVICES'
        first = self._product(name='Hedge trimming', type='service', categ_id=bare.id)
        self.assertEqual(self._income_account_of(first), self._named('Account', 'Landscaping Services')['Id'])
        self.connection.default_income_account_name = 'Services'
        second = self._product(name='Lawn mowing', type='service', categ_id=bare.id)
        self.assertEqual(self._income_account_of(second), self._named('Account', 'Services')['Id'])
        # Emptied: QuickBooks' usual sales account again.
        self.connection.default_income_account_name = False
        third = self._product(name='Leaf blowing', type='service', categ_id=bare.id)
        self.assertEqual(self._income_account_of(third), self._named('Account', 'Sales of Product Income')['Id'])
        # An account QuickBooks does not have: the document fails saying so, and no item is made.
        self.connection.default_income_account_name = 'Garden Income'
        fourth = self._product(name='Pond cleaning', type='service', categ_id=bare.id)
        count = len(self._objects('Item'))
        error = self._qbo_raises(QboValidationError, fourth._qbo_item_ref, self.connection, self.client)
        self.assertIn('no income account named "Garden Income"', error.message)
        self.assertEqual(len(self._objects('Item')), count)

    def test_item_under_a_distinct_name_is_found_again(self):
        first = self._product(name='Gadget', type='consu')
        second = self._product(name='Gadget', type='consu')
        first_ref = first._qbo_item_ref(self.connection, self.client)
        second_ref = second._qbo_item_ref(self.connection, self.client)
        self.assertEqual(second_ref['name'], f'Gadget (Odoo {second.id})')
        self.env['qbo.mapping'].sudo().search([('connection_id', '=', self.connection.id)]).unlink()
        count = len(self._objects('Item'))
        self.assertEqual(first._qbo_item_ref(self.connection, self.client), first_ref)
        self.assertEqual(second._qbo_item_ref(self.connection, self.client), second_ref)
        self.assertEqual(len(self._objects('Item')), count)

    def test_inactive_item_is_reactivated(self):
        pump = self._named('Item', 'Pest Control')
        self.client.update('Item', {'Id': pump['Id'], 'SyncToken': pump['SyncToken'], 'Active': False})
        product = self._product(name='Pest Control', type='service', default_code='PEST-01')
        self.assertEqual(product._qbo_item_ref(self.connection, self.client)['value'], pump['Id'])
        self.assertIs(self._object('Item', pump['Id'])['Active'], True)


@tagged('post_install', '-at_install')
class TestQboTaxCodes(QboMasterDataCase):
    def _tax(self, name, amount, **values):
        return self.env['account.tax'].create(
            {
                'name': name,
                'amount': amount,
                'amount_type': 'percent',
                'type_tax_use': 'sale',
                'company_id': values.pop('company', self.company).id,
                **values,
            }
        )

    def test_us_lines_are_tax_or_non(self):
        taxes = self.env['account.tax']
        tax8 = self._tax('CA sales 8%', 8)
        zero = self._tax('Resale 0%', 0)
        calls = len(self._api_calls())
        self.assertEqual(taxes._qbo_line_tax_code_ref(self.connection, self.client, tax8), {'value': 'TAX'})
        self.assertEqual(taxes._qbo_line_tax_code_ref(self.connection, self.client, zero), {'value': 'NON'})
        self.assertEqual(taxes._qbo_line_tax_code_ref(self.connection, self.client, taxes), {'value': 'NON'})
        self.assertEqual(len(self._api_calls()), calls)

    def test_us_invoice_tax_code_suggested_by_rate(self):
        taxes = self.env['account.tax']
        california = self._named('TaxCode', 'California')
        tax8 = self._tax('CA sales 8%', 8)
        tax8_included = self._tax('CA sales 8% included', 8, price_include_override='tax_included')
        ref = taxes._qbo_txn_tax_code_ref(self.connection, self.client, tax8 | self._tax('Resale 0%', 0))
        self.assertEqual(ref, {'value': california['Id'], 'name': 'California'})
        self.assertEqual(
            taxes._qbo_txn_tax_code_ref(self.connection, self.client, tax8_included)['value'], california['Id']
        )
        self.assertEqual(self._assert_no_request(taxes._qbo_txn_tax_code_ref, self.connection, self.client, tax8), ref)
        self.assertIsNone(taxes._qbo_txn_tax_code_ref(self.connection, self.client, taxes))

    def test_us_group_of_taxes_matches_a_combined_code(self):
        tucson = self._named('TaxCode', 'Tucson')
        group = self.env['account.tax'].create(
            {
                'name': 'Tucson 9.1%',
                'amount_type': 'group',
                'type_tax_use': 'sale',
                'company_id': self.company.id,
                'children_tax_ids': [
                    Command.set(
                        (
                            self._tax('AZ 7.1%', 7.1, type_tax_use='none')
                            | self._tax('Tucson city 2%', 2, type_tax_use='none')
                        ).ids
                    )
                ],
            }
        )
        self.assertEqual(
            self.env['account.tax']._qbo_txn_tax_code_ref(self.connection, self.client, group)['value'], tucson['Id']
        )

    def test_tax_without_a_matching_code_is_explained(self):
        tax7 = self._tax('Nevada 7%', 7)
        error = self._qbo_raises(
            QboValidationError, self.env['account.tax']._qbo_txn_tax_code_ref, self.connection, self.client, tax7
        )
        self.assertIn('Map the Odoo tax "Nevada 7%" to a QuickBooks tax code', error.message)
        self.assertFalse(
            self.env['qbo.mapping'].sudo().search([('res_model', '=', 'account.tax'), ('res_id', '=', tax7.id)])
        )

    def test_canada_lines_carry_the_code_of_their_rate(self):
        company = self._other_company('Maple Co', 'ca', 'CAD')
        connection, client = self._qbo_connected(company, CA_REALM)
        self.assertEqual(connection.qbo_country_code, 'CA')
        codes = {code['Name']: code['Id'] for code in self._objects('TaxCode', CA_REALM)}
        taxes = self.env['account.tax']
        gst = self._tax('GST 5%', 5, company=company)
        hst = self._tax('HST 13% (ON)', 13, company=company)
        zero = self._tax('Zero-rated 0%', 0, company=company)
        for tax, code in ((gst, 'GST'), (hst, 'HST ON'), (zero, 'Zero-rated'), (taxes, 'Exempt')):
            self.assertEqual(
                taxes._qbo_line_tax_code_ref(connection, client, tax), {'value': codes[code], 'name': code}
            )
        self.assertIsNone(taxes._qbo_txn_tax_code_ref(connection, client, gst | hst))
        self.assertEqual(
            self._assert_no_request(taxes._qbo_line_tax_code_ref, connection, client, hst)['value'], codes['HST ON']
        )
        gst_pst = self.env['account.tax'].create(
            {
                'name': 'GST + PST BC',
                'amount_type': 'group',
                'type_tax_use': 'sale',
                'company_id': company.id,
                'children_tax_ids': [
                    Command.set(
                        (
                            self._tax('GST', 5, company=company, type_tax_use='none')
                            | self._tax('PST BC', 7, company=company, type_tax_use='none')
                        ).ids
                    )
                ],
            }
        )
        self.assertEqual(taxes._qbo_line_tax_code_ref(connection, client, gst_pst)['value'], codes['GST/PST BC'])
        error = self._qbo_raises(QboValidationError, taxes._qbo_line_tax_code_ref, connection, client, gst | zero)
        self.assertIn('several taxes', error.message)
        pst = self._tax('PST 6%', 6, company=company)
        error = self._qbo_raises(QboValidationError, taxes._qbo_line_tax_code_ref, connection, client, pst)
        self.assertIn('"PST 6%"', error.message)
