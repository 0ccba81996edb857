"""Limits QBO enforces on what a document may carry: at most 750 lines on a taxable sales
document, and only currencies the company has (its home currency; with multicurrency on, the
currencies it has active as CompanyCurrency)."""

from quickbooks.objects.companycurrency import CompanyCurrency
from quickbooks.objects.creditmemo import CreditMemo
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import DescriptionOnlyLine
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.refundreceipt import RefundReceipt
from quickbooks.objects.salesreceipt import SalesReceipt

from qbo_emulator.accounting.testing import (
    CA,
    US,
    customer,
    fault,
    find,
    invoice,
    item,
    ref,
    sales_line,
    set_pref,
    tax_code_id,
)


def lines(client, count, tax="TAX", notes=0, product="Design"):
    sold = item(client, product)
    out = [sales_line(sold, qty=1, price=1, tax=tax) for _ in range(count - notes)]
    for n in range(notes):
        note = DescriptionOnlyLine()
        note.Description = f"note {n}"
        out.append(note)
    return out


def test_taxable_document_takes_750_lines_not_751(client, cool):
    california = tax_code_id(client, "California")
    full = invoice(client, cool, lines(client, 750), tax_code=california)
    assert (full.TotalAmt, len([l for l in full.Line if l.DetailType == "SalesItemLineDetail"])) == (810, 750)
    with fault(6000, detail="at most 750 lines; this one has 751") as info:
        invoice(client, cool, lines(client, 751), tax_code=california)
    assert info.value.message.startswith("A business validation error")
    with fault(6000, detail="751"):  # description lines count too
        invoice(client, cool, lines(client, 751, notes=1), tax_code=california, cls=SalesReceipt)
    stored = Invoice.get(full.Id, qb=client)  # nor may an update grow it past the limit
    stored.Line = [l for l in stored.Line if l.DetailType != "SubTotalLineDetail"] + lines(client, 1)
    with fault(6000, detail="751"):
        stored.save(qb=client)


def test_untaxed_us_document_is_not_limited(client, cool):
    assert invoice(client, cool, lines(client, 751, tax="NON"), cls=CreditMemo).TotalAmt == 751


def test_limit_outside_the_us_and_its_switch(emu, qb, monkeypatch):
    client = qb(CA)
    buyer = find(Customer, client, DisplayName="Maple Leaf Landscaping")
    gst = tax_code_id(client, "GST")
    refund = dict(DepositToAccountRef=ref(find_account(client, "Chequing")))
    with fault(6000, detail="751"):  # every Canadian sales line carries a tax code
        invoice(client, buyer, lines(client, 751, tax=gst, product="Snow Removal"), cls=RefundReceipt, **refund)
    from qbo_emulator.accounting import OPTIONS

    monkeypatch.setitem(OPTIONS, "max_taxable_lines", 1000)
    assert (
        invoice(
            client, buyer, lines(client, 751, tax=gst, product="Snow Removal"), cls=RefundReceipt, **refund
        ).TotalAmt
        == 788.55
    )


def find_account(client, name):
    from quickbooks.objects.account import Account

    return find(Account, client, Name=name).Id


def test_currency_must_be_active_in_a_multicurrency_company(multicurrency_client):
    client = multicurrency_client
    active = {c.Code: c for c in CompanyCurrency.all(qb=client)}
    assert {"EUR", "GBP", "CAD"} <= set(active) and "USD" not in active and "CHF" not in active
    assert active["EUR"].Name == "Euro"
    with fault(6000, detail="CHF is not active"):
        customer(client, "Zurich AG", CurrencyRef=ref("CHF"))
    with fault(6000, detail="XYZ is not active"):
        customer(client, "Nowhere Ltd", CurrencyRef=ref("XYZ"))
    franc = CompanyCurrency()
    franc.Code = "CHF"
    franc = franc.save(qb=client)
    assert (franc.Name, franc.Active) == ("Swiss Franc", True)
    zurich = customer(client, "Zurich AG", CurrencyRef=ref("CHF"))
    assert (
        invoice(
            client,
            zurich,
            [sales_line(item(client, "Design"), qty=1, price=75)],
            CurrencyRef=ref("CHF"),
            ExchangeRate=1.2,
        ).HomeTotalAmt
        == 90
    )
    with fault(6240):  # one per code
        duplicate = CompanyCurrency()
        duplicate.Code = "CHF"
        duplicate.save(qb=client)
    with fault(2170):
        unknown = CompanyCurrency()
        unknown.Code = "XYZ"
        unknown.save(qb=client)
    pound = active["GBP"]
    pound.Active = False
    pound.save(qb=client)
    with fault(6000, detail="GBP is not active"):
        customer(client, "London Ltd", CurrencyRef=ref("GBP"))


def test_turning_multicurrency_on_activates_the_default_currencies(emu, qb):
    client = qb(US)
    assert CompanyCurrency.all(qb=client) == []
    unknown = CompanyCurrency()
    unknown.Code = "EUR"
    with fault(6000, detail="Multicurrency is turned off"):
        unknown.save(qb=client)
    with fault(6000, detail="Multicurrency is turned off"):  # as before: home currency only
        customer(client, "Paris SARL", CurrencyRef=ref("EUR"))
    set_pref(client, "CurrencyPrefs", "MultiCurrencyEnabled", True)
    assert "EUR" in {c.Code for c in CompanyCurrency.all(qb=client)}
    assert customer(client, "Paris SARL", CurrencyRef=ref("EUR")).CurrencyRef.value == "EUR"
