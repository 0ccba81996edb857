from odoo import models

from ..exceptions import QboDuplicateError, QboNotFoundError, QboValidationError
from ..tools.qbo_names import qbo_name_with_suffix, qbo_same_name
from .res_partner import DISPLAY_NAME_MAX, in_currency, same_party

# QuickBooks' length limit of a vendor's tax identifier (2050 beyond it).
TAX_IDENTIFIER_MAX = 20


class ResPartner(models.Model):
    """Vendors: the party of a vendor bill or vendor credit note as a QuickBooks Vendor.

    QuickBooks keeps display names unique across customers, vendors and employees: a party
    that is both a customer and a vendor in Odoo (one partner) is two QuickBooks objects, its
    Vendor under a name the Customer does not hold (see vendor_names)."""

    # A file of its own (issue 12): res_partner.py is the customers'.
    _inherit = 'res.partner'  # pylint: disable=consider-merging-classes-inherited

    # ------------------------------------------------------------------
    # Vendor reference (called by the bill push)
    # ------------------------------------------------------------------

    def _qbo_vendor_ref(self, connection, client, currency=None):
        """The QuickBooks vendor of this partner's commercial partner, as a reference; with
        multicurrency, one per foreign currency (QuickBooks fixes a vendor's currency at
        creation, and a bill is in its vendor's). No request once mapped."""
        self.ensure_one()
        partner = self.sudo().commercial_partner_id
        home = connection._qbo_home_currency()
        foreign = currency if currency and currency.name != home else None
        if foreign and not connection.qbo_multicurrency:
            raise QboValidationError(
                'multicurrency',
                self.env._(
                    'The QuickBooks company keeps its books in %(home)s only: turn on Multicurrency in QuickBooks '
                    '(Account and settings, Advanced) and test the connection again, to send bills in %(currency)s.',
                    home=home,
                    currency=currency.name,
                ),
            )
        return self.env['qbo.mapping']._qbo_resolve(
            connection,
            partner,
            'Vendor',
            lambda: partner._qbo_match_or_create_vendor(connection, client, foreign),
            currency=foreign,
        )

    def _qbo_match_or_create_vendor(self, connection, client, currency):
        """Find this partner among QuickBooks vendors (email, then display name, any case),
        else create it. When the name is taken (6240), the vendor holding it is used if it is
        this party (same email or tax id) of this currency; a customer or employee holding it
        (this same party as a customer, or another party) leaves the name to them, and the
        vendor is created under the next of vendor_names."""
        self.ensure_one()
        currency_code = currency.name if currency else None
        values = self._qbo_prepare_vendor_values(connection, client, currency_code)
        names = vendor_names(self, values['DisplayName'], currency_code)
        email = (values.get('PrimaryEmailAddr') or {}).get('Address')
        found = self._qbo_find_party(
            connection, client, 'Vendor', 'record', email, names, lambda v: in_currency(connection, v, currency_code)
        )
        if found:
            return found
        duplicate = None
        for name in names:
            try:
                return client.create('Vendor', dict(values, DisplayName=name))
            except QboDuplicateError as error:
                duplicate = error
                holder = self._qbo_vendor_holding_name(connection, client, currency_code, error.existing_id, name)
                if holder:
                    return holder
        raise QboValidationError(
            duplicate.code,
            self.env._(
                'QuickBooks already uses the names %(names)s for other customers, vendors or employees: '
                'rename the vendor %(partner)s, or the QuickBooks records holding these names.',
                names=', '.join(names),
                partner=self.display_name,
            ),
            duplicate.detail,
        )

    def _qbo_vendor_holding_name(self, connection, client, currency_code, existing_id, name):
        """The vendor QuickBooks says holds ``name`` (a 6240), when it is this party, of this
        currency and free to link; made active again if it was not. None for a customer or an
        employee (ids are per entity: vendor n may not be the record the 6240 spoke of)."""
        if not existing_id:
            return None
        try:
            vendor = client.read('Vendor', existing_id)
        except QboNotFoundError:
            return None
        if not qbo_same_name(vendor.get('DisplayName'), name):
            return None
        if not in_currency(connection, vendor, currency_code) or not same_party(self, vendor):
            return None
        if not self.env['qbo.mapping']._qbo_unclaimed(connection, self, 'Vendor', [vendor], 'record'):
            return None
        return client.activate('Vendor', vendor)

    # ------------------------------------------------------------------
    # Mapper
    # ------------------------------------------------------------------

    def _qbo_prepare_vendor_values(self, connection, client, currency_code):
        """The mapper: this commercial partner as a QuickBooks Vendor. Name, company, person,
        email, address and currency as for its customer (_qbo_prepare_values); its tax id
        (TaxIdentifier, which QuickBooks masks in its answers but for the last four
        characters), and its vendor payment term when QuickBooks can express it."""
        self.ensure_one()
        values = self._qbo_prepare_values(connection, currency_code, self)
        tax_id = ''.join(ch for ch in (self.vat or '') if ch.isalnum())
        if tax_id and len(tax_id) <= TAX_IDENTIFIER_MAX:
            values['TaxIdentifier'] = tax_id
        term = self.with_company(connection.company_id).property_supplier_payment_term_id
        term_ref = term._qbo_term_ref(connection, client)
        if term_ref:
            values['TermRef'] = term_ref
        return values


def vendor_names(partner, display_name, currency_code):
    """The names to try for ``partner``'s vendor, in order: its own; then (for a foreign
    currency) with the currency; then marked as the vendor, the name a party that is also a
    customer gets (its customer holds its own name); then with the Odoo id, which no other
    party has. Not translated: the name must come out the same whoever runs the job."""
    names = [display_name]
    if currency_code:
        names.append(qbo_name_with_suffix(display_name, currency_code, DISPLAY_NAME_MAX))
    names.append(qbo_name_with_suffix(display_name, 'Vendor', DISPLAY_NAME_MAX))
    names.append(qbo_name_with_suffix(display_name, f'Odoo {partner.id}', DISPLAY_NAME_MAX))
    return names
