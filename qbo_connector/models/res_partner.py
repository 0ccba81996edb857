import logging
import os

from odoo import models
from odoo.tools import email_normalize

from ..exceptions import QboDuplicateError, QboNotFoundError, QboValidationError
from ..tools.qbo_client import qbo_quote
from ..tools.qbo_names import qbo_name, qbo_name_with_suffix, qbo_same_name

_logger = logging.getLogger(__name__)

# QuickBooks' length limits (2050 beyond them).
DISPLAY_NAME_MAX = 500
PERSON_NAME_MAX = 100
COMPANY_NAME_MAX = 100
EMAIL_MAX = 100
ADDRESS_LINE_MAX = 500
CITY_MAX = 255
POSTAL_CODE_MAX = 30


class ResPartner(models.Model):
    _inherit = 'res.partner'

    # ------------------------------------------------------------------
    # Customer reference (called by the invoice push)
    # ------------------------------------------------------------------

    def _qbo_customer_ref(self, connection, client, currency=None):
        """The QuickBooks customer a document of this partner goes to, as a reference (see
        _qbo_customer_partner)."""
        self.ensure_one()
        return self._qbo_customer_partner(connection)._qbo_resolve_customer(
            connection, client, currency, invoiced_partner=self.sudo()
        )

    def _qbo_customer_partner(self, connection):
        """The partner whose QuickBooks customer the documents of this partner go to: the
        commercial partner (a contact of a company invoices as the company), or, when the
        connection sends child contacts as sub-customers, this contact itself if it is a
        person of a company (type contact, which Odoo always names). Invoice, delivery and
        other addresses are the company's addresses, often nameless, not people: they
        invoice as the company."""
        self.ensure_one()
        partner = self.sudo()
        commercial = partner.commercial_partner_id
        if connection.sub_customers and partner != commercial and commercial.is_company and partner.type == 'contact':
            return partner
        return commercial

    def _qbo_resolve_customer(self, connection, client, currency=None, invoiced_partner=None):
        """The QuickBooks customer of exactly this partner, as a reference: a customer for a
        commercial partner, a sub-customer (role sub_customer) of its company's customer for a
        contact; with multicurrency, one per foreign currency (QuickBooks fixes a customer's
        currency at creation). No request once mapped."""
        self.ensure_one()
        partner = self.sudo()
        parent = partner.commercial_partner_id if partner != partner.commercial_partner_id else None
        home = connection._qbo_home_currency()
        foreign = currency if currency and currency.name != home else None
        if foreign and not connection.qbo_multicurrency:
            raise QboValidationError(
                'multicurrency',
                self.env._(
                    'The QuickBooks company keeps its books in %(home)s only: turn on Multicurrency in QuickBooks '
                    '(Account and settings, Advanced) and test the connection again, to send documents in '
                    '%(currency)s.',
                    home=home,
                    currency=currency.name,
                ),
            )
        role = 'sub_customer' if parent else 'record'

        def find():
            parent_ref = (
                parent._qbo_resolve_customer(connection, client, currency, invoiced_partner) if parent else None
            )
            return partner._qbo_match_or_create_customer(
                connection, client, role, foreign, invoiced_partner or partner, parent_ref
            )

        return self.env['qbo.mapping']._qbo_resolve(connection, partner, 'Customer', find, role=role, currency=foreign)

    def _qbo_match_or_create_customer(self, connection, client, role, currency, invoiced_partner, parent_ref=None):
        """Find this partner among QuickBooks customers (email, then display name,
        case-insensitive), else create it; with ``parent_ref`` (a contact), among the
        sub-customers of that customer, and create it as one. Display names are unique
        across customers, vendors and employees, inactive ones included: when the name is
        taken, the customer holding it is used if it is this party (same email or tax id,
        same currency, same parent), otherwise the customer is created under a
        deterministic longer name."""
        self.ensure_one()
        currency_code = currency.name if currency else None
        values = self._qbo_prepare_values(connection, currency_code, invoiced_partner, parent_ref)
        names = customer_names(self, values['DisplayName'], currency_code)
        email = (values.get('PrimaryEmailAddr') or {}).get('Address')
        parent_id = parent_ref and parent_ref['value']
        found = self._qbo_find_party(
            connection,
            client,
            'Customer',
            role,
            email,
            names,
            lambda c: same_level(c, parent_id) and in_currency(connection, c, currency_code),
        )
        if found:
            return found
        duplicate = None
        for name in names:
            try:
                return client.create('Customer', dict(values, DisplayName=name))
            except QboDuplicateError as error:
                duplicate = error
                holder = self._qbo_customer_holding_name(
                    connection, client, role, currency_code, error.existing_id, name, parent_id
                )
                if holder:
                    return holder
        raise QboValidationError(
            duplicate.code,
            self.env._(
                'QuickBooks already uses the names %(names)s for other customers, vendors or employees: '
                'rename the contact %(partner)s, or the QuickBooks records holding these names.',
                names=', '.join(names),
                partner=self.display_name,
            ),
            duplicate.detail,
        )

    def _qbo_find_party(self, connection, client, entity, role, email, names, keep):
        """The active ``entity`` (Customer, Vendor) with this email, else with one of ``names``,
        among those ``keep(obj)`` accepts and no other record is bound to in ``role``.

        Asked of QuickBooks by email (``PrimaryEmailAddr``, the form Intuit documents),
        then by display name, with LIKE, which compares without regard to case: the
        answers hold this party's few namesakes, never the whole list, so that matching
        costs the same requests in a company of ten customers or of ten thousand.
        This runs once per partner and currency; the mapping answers afterwards. Inactive
        ones are left out: QuickBooks hides them from name lists, and one only comes
        back when creating proves it holds the name and is the same party.
        """

        def usable(found):
            return self.env['qbo.mapping']._qbo_unclaimed(connection, self, entity, list(filter(keep, found)), role)

        def named(party):
            return any(qbo_same_name(party.get('DisplayName'), name) for name in names)

        if email:
            by_email = [
                p
                for p in usable(
                    client.query_all(f'SELECT * FROM {entity} WHERE PrimaryEmailAddr LIKE {qbo_quote(email)}')
                )
                if qbo_same_name((p.get('PrimaryEmailAddr') or {}).get('Address'), email)
            ]
            if by_email:
                # Among several sharing an email, the one named like the partner wins.
                return next((p for p in by_email if named(p)), by_email[0])
        # One query for every name tried: they all start with the partner's name ('%' in a
        # name widens the answer, which is filtered here).
        prefix = os.path.commonprefix(names)
        by_name = [
            p
            for p in usable(
                client.query_all(f'SELECT * FROM {entity} WHERE DisplayName LIKE {qbo_quote(prefix + "%")}')
            )
            if named(p)
        ]
        return by_name[0] if by_name else None

    def _qbo_customer_holding_name(self, connection, client, role, currency_code, existing_id, name, parent_id=None):
        """The customer QuickBooks says holds ``name`` (a 6240), when it is this party and
        free to link; reactivated if it was made inactive. None for a vendor, an employee,
        another party, another currency's customer, or a customer of another level (a
        sub-customer for a company, a top-level customer or another company's sub-customer
        for a contact)."""
        if not existing_id:
            return None
        try:
            customer = client.read('Customer', existing_id)
        except QboNotFoundError:
            return None  # the name is a vendor's or an employee's
        # Ids are per entity: customer n may not be the record the 6240 spoke of.
        if not qbo_same_name(customer.get('DisplayName'), name) or not same_level(customer, parent_id):
            return None
        if not in_currency(connection, customer, currency_code) or not same_party(self, customer):
            return None
        if not self.env['qbo.mapping']._qbo_unclaimed(connection, self, 'Customer', [customer], role):
            return None
        return client.activate('Customer', customer)

    # ------------------------------------------------------------------
    # Mapper
    # ------------------------------------------------------------------

    def _qbo_prepare_values(self, connection, currency_code, invoiced_partner, parent_ref=None):
        """The QuickBooks Customer for this partner (DisplayName included): a commercial
        partner, or with ``parent_ref`` a contact as a sub-customer of its company's
        customer. A sub-customer is billed with its parent (BillWithParent): in Odoo the
        company owes what its contacts are invoiced (the receivable is the commercial
        partner's), and QuickBooks then shows the contact's invoices on the company's
        statements and in its Receive Payment list."""
        self.ensure_one()
        display_name = qbo_name(self.name, DISPLAY_NAME_MAX)
        if not display_name:
            raise QboValidationError(
                'no_name',
                self.env._(
                    'The customer (contact id %(id)s) has no name, and QuickBooks needs one: '
                    'give the contact a name, then send the document again.',
                    id=self.id,
                ),
            )
        values = {'DisplayName': display_name}
        if parent_ref:
            values.update(Job=True, ParentRef=parent_ref, BillWithParent=True)
        company = self if self.is_company else self.commercial_partner_id if parent_ref else None
        if company:
            values['CompanyName'] = qbo_name(company.name, COMPANY_NAME_MAX)
        if not self.is_company:
            given, _sep, family = display_name.rpartition(' ')
            values['GivenName'] = qbo_name(given or family, PERSON_NAME_MAX)
            if given:
                values['FamilyName'] = qbo_name(family, PERSON_NAME_MAX)
        email = email_normalize(self.email or '')
        if email and len(email) <= EMAIL_MAX:
            values['PrimaryEmailAddr'] = {'Address': email}
        elif self.email:
            _logger.warning(
                'QuickBooks customer for partner %s is sent without its email %r: QuickBooks refuses it as an email '
                'address.',
                self.id,
                self.email,
            )
        # The invoice address of the document's partner, else the commercial partner's invoice
        # address, else the commercial partner's own address.
        invoice_address = self.browse(self.address_get(['invoice'])['invoice'])
        for partner in (
            invoiced_partner if invoiced_partner.type == 'invoice' else self.browse(),
            invoice_address,
            self,
        ):
            if partner and (partner.street or partner.city or partner.zip):
                address = {
                    'Line1': (partner.street or '')[:ADDRESS_LINE_MAX],
                    'Line2': (partner.street2 or '')[:ADDRESS_LINE_MAX],
                    'City': (partner.city or '')[:CITY_MAX],
                    'CountrySubDivisionCode': partner.state_id.code or '',
                    'PostalCode': (partner.zip or '')[:POSTAL_CODE_MAX],
                    'Country': partner.country_id.code or '',
                }
                values['BillAddr'] = {key: value for key, value in address.items() if value}
                break
        if connection.qbo_multicurrency:
            values['CurrencyRef'] = {'value': currency_code or connection._qbo_home_currency()}
        return values


def same_level(customer, parent_id):
    """Whether ``customer`` is a sub-customer of ``parent_id``, or (None) a top-level customer."""
    if not parent_id:
        return not customer.get('Job')
    return bool(customer.get('Job')) and (customer.get('ParentRef') or {}).get('value') == parent_id


def in_currency(connection, customer, currency_code):
    """Whether ``customer`` keeps its books in ``currency_code`` (None: the home currency)."""
    home = connection._qbo_home_currency()
    return ((customer.get('CurrencyRef') or {}).get('value') or home) == (currency_code or home)


def customer_names(partner, display_name, currency_code):
    """The names to try for ``partner``'s customer, in order: its own, then (for a second
    currency) with the currency, then with the Odoo id, which no other party has. Not
    translated: the name must come out the same whoever runs the job, to be found again."""
    names = [display_name]
    if currency_code:
        names.append(qbo_name_with_suffix(display_name, currency_code, DISPLAY_NAME_MAX))
    names.append(qbo_name_with_suffix(display_name, f'Odoo {partner.id}', DISPLAY_NAME_MAX))
    return names


def same_party(partner, customer):
    """Whether the QuickBooks ``customer`` is ``partner``: same email, or same tax id (QuickBooks
    masks tax ids in answers but for their last four characters)."""
    email = email_normalize(partner.email or '')
    if email and qbo_same_name((customer.get('PrimaryEmailAddr') or {}).get('Address'), email):
        return True
    vat = ''.join(ch for ch in (partner.vat or '') if ch.isalnum()).upper()
    for field in ('PrimaryTaxIdentifier', 'BusinessNumber'):
        theirs = ''.join(ch for ch in (customer.get(field) or '') if ch.isalnum()).upper()
        masked = len(theirs) > 4 and set(theirs[:-4]) == {'X'}
        if vat and theirs and (theirs == vat or (masked and vat.endswith(theirs[-4:]))):
            return True
    return False
