"""Canadian (non-US) sales tax: a tax code on every line, GST/HST rates, tax-exclusive,
tax-inclusive and not-applicable amounts, and tax codes created through taxservice."""

import pytest
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.taxagency import TaxAgency
from quickbooks.objects.taxcode import TaxCode
from quickbooks.objects.taxrate import TaxRate
from quickbooks.objects.taxservice import TaxRateDetails, TaxService

from qbo_emulator.accounting.testing import CA, fault, find, invoice, item, ref, sales_line, tax_code_id


@pytest.fixture
def client(emu, qb):
    return qb(CA)


@pytest.fixture
def maple(client):
    return find(Customer, client, DisplayName="Maple Leaf Landscaping")


def test_tax_exclusive_per_rate(client, maple):
    hst, gst = tax_code_id(client, "HST ON"), tax_code_id(client, "GST")
    inv = invoice(
        client,
        maple,
        [
            sales_line(item(client, "Consulting"), qty=2, price=100, tax=hst),
            sales_line(item(client, "Snow Removal"), qty=1, price=60, tax=gst),
        ],
        GlobalTaxCalculation="TaxExcluded",
    )
    assert inv.TxnTaxDetail.TotalTax == 29  # 13% of 200 + 5% of 60
    assert inv.TotalAmt == 289
    assert sorted((l.TaxLineDetail.TaxPercent, l.Amount) for l in inv.TxnTaxDetail.TaxLine) == [(5, 3), (13, 26)]


def test_combined_code_and_zero_rated(client, maple):
    inv = invoice(
        client,
        maple,
        [
            sales_line(item(client, "Consulting"), qty=1, price=100, tax=tax_code_id(client, "GST/PST BC")),
            sales_line(item(client, "Maple Syrup"), qty=4, price=12.5, tax=tax_code_id(client, "Zero-rated")),
        ],
    )
    assert inv.TxnTaxDetail.TotalTax == 12 and inv.TotalAmt == 162
    (zero,) = [l for l in inv.TxnTaxDetail.TaxLine if l.TaxLineDetail.TaxPercent == 0]
    assert (zero.Amount, zero.TaxLineDetail.NetAmountTaxable) == (0, 50)


def test_tax_inclusive_carves_tax_out_of_lines(client, maple):
    hst = tax_code_id(client, "HST ON")
    inv = invoice(
        client,
        maple,
        [sales_line(item(client, "Consulting"), qty=1, price=100, tax=hst)],
        GlobalTaxCalculation="TaxInclusive",
    )
    line = inv.Line[0]
    # 100 * 13/113 = 11.504 -> 11.50 of tax inside the price
    assert (inv.TotalAmt, inv.TxnTaxDetail.TotalTax) == (100, 11.5)
    assert (line.Amount, line.SalesItemLineDetail.TaxInclusiveAmt) == (88.5, 100)
    assert inv.GlobalTaxCalculation == "TaxInclusive"
    again = Invoice.get(inv.Id, qb=client).save(qb=client)  # read-modify-write is stable
    assert (again.TotalAmt, again.TxnTaxDetail.TotalTax, again.Line[0].Amount) == (100, 11.5, 88.5)


def test_total_tax_override_applies_to_exclusive_prices_only(client, maple):
    hst = tax_code_id(client, "HST ON")
    lines = lambda: [sales_line(item(client, "Consulting"), qty=1, price=100, tax=hst)]
    assert invoice(client, maple, lines(), total_tax=12.99).TotalAmt == 112.99
    inclusive = invoice(client, maple, lines(), total_tax=12.99, GlobalTaxCalculation="TaxInclusive")
    assert (inclusive.TxnTaxDetail.TotalTax, inclusive.TotalAmt) == (11.5, 100)


def test_not_applicable_means_no_tax(client, maple):
    inv = invoice(
        client, maple, [sales_line(item(client, "Consulting"), qty=1, price=100)], GlobalTaxCalculation="NotApplicable"
    )
    assert (inv.TotalAmt, inv.TxnTaxDetail.TotalTax) == (100, 0)


def test_every_line_needs_a_tax_code(client, maple):
    with fault(6000, detail="GST/HST"):
        invoice(client, maple, [sales_line(item(client, "Consulting"), qty=1, price=100)])


def test_us_pseudo_codes_do_not_exist_in_canada(client, maple):
    with fault(2500):
        invoice(client, maple, [sales_line(item(client, "Consulting"), qty=1, price=100, tax="TAX")])


def test_unknown_global_tax_calculation(client, maple):
    with fault(2170):
        invoice(
            client,
            maple,
            [sales_line(item(client, "Consulting"), qty=1, price=100, tax=tax_code_id(client, "GST"))],
            GlobalTaxCalculation="Sometimes",
        )


def test_taxservice_creates_code_rate_and_uses_agency(client, maple):
    agency = find(TaxAgency, client, DisplayName="Canada Revenue Agency")
    service = TaxService()
    service.TaxCode = "HST NS"
    detail = TaxRateDetails()
    detail.TaxRateName, detail.RateValue, detail.TaxAgencyId = "HST NS", 14, agency.Id
    service.TaxRateDetails = [detail]
    created = service.save(qb=client)
    assert created.TaxCode == "HST NS" and created.TaxCodeId
    code = TaxCode.get(created.TaxCodeId, qb=client)
    rate = find(TaxRate, client, Name="HST NS")
    assert code.SalesTaxRateList.TaxRateDetail[0].TaxRateRef.value == rate.Id
    assert (rate.RateValue, rate.AgencyRef.value) == (14, agency.Id)
    inv = invoice(client, maple, [sales_line(item(client, "Consulting"), qty=1, price=100, tax=code.Id)])
    assert inv.TotalAmt == 114
    with fault(6240, detail="TaxCode Id="):
        service.save(qb=client)
    service.TaxCode = "HST NS 2"  # a new code may not create a second rate of the same name either
    with fault(6240, detail="TaxRate Id="):
        service.save(qb=client)


def test_taxservice_refuses_unknown_agency_and_tax_codes_are_read_only(client):
    service = TaxService()
    service.TaxCode = "Nowhere"
    detail = TaxRateDetails()
    detail.TaxRateName, detail.RateValue, detail.TaxAgencyId = "Nowhere", 3, "987654"
    service.TaxRateDetails = [detail]
    with fault(2500):
        service.save(qb=client)
    code = find(TaxCode, client, Name="GST")
    with fault(500):
        client.update_object("TaxCode", code.to_json())


def test_department_needs_location_tracking(client, maple):
    from quickbooks.objects.department import Department

    store = Department()
    store.Name = "Toronto Store"
    store = store.save(qb=client)
    with fault(6000, detail="TrackDepartments"):
        invoice(
            client,
            maple,
            [sales_line(item(client, "Consulting"), qty=1, price=100, tax=tax_code_id(client, "GST"))],
            DepartmentRef=ref(store.Id),
        )
