"""US sales documents: lines, subtotal, discount, manual and automated sales tax, document
numbers, references, class tracking, computed totals and balances."""

import pytest
from quickbooks.objects.account import Account
from quickbooks.objects.creditmemo import CreditMemo
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.refundreceipt import RefundReceipt
from quickbooks.objects.salesreceipt import SalesReceipt
from quickbooks.objects.trackingclass import Class

from qbo_emulator.accounting import OPTIONS
from qbo_emulator.accounting.testing import (
    discount_line,
    fault,
    find,
    invoice,
    item,
    ref,
    sales_line,
    set_pref,
    tax_code_id,
)


def lines_of(doc, kind):
    return [l for l in doc.Line if l.DetailType == kind]


def test_tax_from_txn_tax_code_over_taxable_lines(client, cool):
    california = tax_code_id(client, "California")
    inv = invoice(
        client,
        cool,
        [
            sales_line(item(client, "Rock Fountain"), qty=2, price=275, tax="TAX"),
            sales_line(item(client, "Gardening"), qty=4, price=25, tax="NON"),
        ],
        tax_code=california,
    )
    assert inv.TxnTaxDetail.TotalTax == 44  # 8% of 550; the NON line is not taxed
    assert inv.TotalAmt == 694 and inv.Balance == 694
    (tax_line,) = inv.TxnTaxDetail.TaxLine
    assert (tax_line.TaxLineDetail.TaxPercent, tax_line.TaxLineDetail.NetAmountTaxable) == (8, 550)
    (subtotal,) = lines_of(inv, "SubTotalLineDetail")
    assert subtotal.Amount == 650
    assert inv.MetaData.CreateTime and inv.SyncToken == "0"


def test_combined_rate_rounds_each_rate_half_up(client, cool):
    inv = invoice(
        client,
        cool,
        [sales_line(item(client, "Sprinkler Heads"), amount=10.55, tax="TAX")],
        tax_code=tax_code_id(client, "Tucson"),
    )
    # AZ State 7.1% of 10.55 = 0.74905 -> 0.75; Tucson City 2% = 0.211 -> 0.21
    assert sorted(l.Amount for l in inv.TxnTaxDetail.TaxLine) == [0.21, 0.75]
    assert inv.TxnTaxDetail.TotalTax == 0.96 and inv.TotalAmt == 11.51


def test_client_total_tax_overrides_and_echo_recomputes(client, cool):
    california = tax_code_id(client, "California")
    fountain = item(client, "Rock Fountain")
    inv = invoice(
        client,
        cool,
        [sales_line(fountain, qty=1, price=275, tax="TAX")],
        tax_code=california,
        total_tax=21.5,
        TotalAmt=1,
    )
    assert (inv.TxnTaxDetail.TotalTax, inv.TotalAmt) == (21.5, 296.5)
    inv = Invoice.get(inv.Id, qb=client)
    inv.Line[0].SalesItemLineDetail.Qty, inv.Line[0].Amount = 2, 550
    inv = inv.save(qb=client)  # the stored tax is echoed back: it is recomputed, not kept
    assert (inv.TxnTaxDetail.TotalTax, inv.TotalAmt) == (44, 594)


def test_client_totals_are_overwritten(client, cool):
    inv = invoice(
        client, cool, [sales_line(item(client, "Design"), qty=1, price=75)], TotalAmt=9999, Balance=1, HomeTotalAmt=5
    )
    assert (inv.TotalAmt, inv.Balance) == (75, 75)


def test_us_line_tax_code_must_be_tax_or_non(client, cool):
    with fault(6100):
        invoice(
            client, cool, [sales_line(item(client, "Design"), qty=1, price=75, tax=tax_code_id(client, "California"))]
        )


def test_line_tax_code_defaults_from_item(client, cool):
    inv = invoice(
        client,
        cool,
        [
            sales_line(item(client, "Rock Fountain"), qty=1, price=275),
            sales_line(item(client, "Design"), qty=1, price=75),
        ],
        tax_code=tax_code_id(client, "California"),
    )
    assert [l.SalesItemLineDetail.TaxCodeRef.value for l in lines_of(inv, "SalesItemLineDetail")] == ["TAX", "NON"]
    assert inv.TxnTaxDetail.TotalTax == 22


def test_amount_must_equal_qty_times_unit_price(client, cool):
    with fault(6070):
        invoice(client, cool, [sales_line(item(client, "Design"), amount=100, qty=2, price=75)])
    inv = invoice(client, cool, [sales_line(item(client, "Design"), amount=100)])  # no qty/price: fine
    assert inv.TotalAmt == 100


def test_discount_percent_and_amount(client, cool):
    design = item(client, "Design")
    inv = invoice(client, cool, [sales_line(design, qty=2, price=100), discount_line(percent=10)])
    (discount,) = lines_of(inv, "DiscountLineDetail")
    assert discount.Amount == 20 and inv.TotalAmt == 180
    inv = invoice(client, cool, [sales_line(design, qty=2, price=100), discount_line(amount=15)])
    assert inv.TotalAmt == 185
    with fault(6090):
        invoice(client, cool, [sales_line(design, qty=1, price=100), discount_line()])


def test_discount_refused_when_turned_off(client, cool):
    set_pref(client, "SalesFormsPrefs", "AllowDiscount", False)
    with fault(6000):
        invoice(client, cool, [sales_line(item(client, "Design"), qty=2, price=100), discount_line(percent=10)])


def test_doc_number_unique_length_and_auto(client, cool):
    design = item(client, "Design")
    with fault(6140, detail="TxnId="):
        invoice(client, cool, [sales_line(design, qty=1, price=75)], DocNumber="1001")
    dup = Invoice()
    dup.CustomerRef, dup.DocNumber, dup.Line = cool.to_ref(), "1001", [sales_line(design, qty=1, price=75)]
    assert dup.save(qb=client, params={"include": "allowduplicatedocnum"}).DocNumber == "1001"
    with fault(2050):
        invoice(client, cool, [sales_line(design, qty=1, price=75)], DocNumber="X" * 22)
    assert invoice(client, cool, [sales_line(design, qty=1, price=75)]).DocNumber == "1004"
    # another entity type has its own numbers
    assert (
        invoice(client, cool, [sales_line(design, qty=1, price=75)], cls=CreditMemo, DocNumber="1001").DocNumber
        == "1001"
    )


def test_doc_number_assigned_when_custom_numbers_off(client, cool):
    set_pref(client, "SalesFormsPrefs", "CustomTxnNumbers", False)
    inv = invoice(client, cool, [sales_line(item(client, "Design"), qty=1, price=75)], DocNumber="MINE-1")
    assert inv.DocNumber == "1004"
    inv.DocNumber = "MINE-2"
    assert inv.save(qb=client).DocNumber == "1004"  # an update does not renumber either


@pytest.mark.parametrize("drop", ["CustomerRef", "Line"])
def test_required_header_fields(client, cool, drop):
    doc = Invoice()
    doc.CustomerRef, doc.Line = cool.to_ref(), [sales_line(item(client, "Design"), qty=1, price=75)]
    setattr(doc, drop, None if drop == "CustomerRef" else [])
    with fault(2020) as info:
        doc.save(qb=client)
    assert drop in info.value.detail


def test_references_unknown_or_inactive(client, cool):
    design = item(client, "Design")
    with fault(2500):
        invoice(client, cool, [sales_line(ref("424242"), qty=1, price=75)])
    jeff = Customer.where("Active = false", qb=client)[0]
    with fault(610):
        invoice(client, jeff, [sales_line(design, qty=1, price=75)])
    design.Active = False
    design.save(qb=client)
    with fault(610):
        invoice(client, cool, [sales_line(design, qty=1, price=75)])


def test_class_ref_needs_class_tracking(client, cool):
    landscaping = ref(find(Class, client, Name="Landscaping").Id)
    design = item(client, "Design")
    with fault(6000):
        invoice(client, cool, [sales_line(design, qty=1, price=75)], ClassRef=landscaping)
    with fault(6000):
        invoice(client, cool, [sales_line(design, qty=1, price=75, class_ref=landscaping)])
    set_pref(client, "AccountingInfoPrefs", "ClassTrackingPerTxn", True)
    assert invoice(client, cool, [sales_line(design, qty=1, price=75)], ClassRef=landscaping).ClassRef.value
    with fault(6000):  # per transaction is not per line
        invoice(client, cool, [sales_line(design, qty=1, price=75, class_ref=landscaping)])
    set_pref(client, "AccountingInfoPrefs", "ClassTrackingPerTxnLine", True)
    invoice(client, cool, [sales_line(design, qty=1, price=75, class_ref=landscaping)])


def test_automated_sales_tax_computes_its_own_rate(client, cool):
    set_pref(client, "TaxPrefs", "PartnerTaxEnabled", True)
    inv = invoice(client, cool, [sales_line(item(client, "Rock Fountain"), qty=1, price=200, tax="TAX")])
    assert inv.TxnTaxDetail.TotalTax == round(200 * float(OPTIONS["automated_sales_tax_rate"]) / 100, 2)


def test_no_sales_tax_when_company_does_not_use_it(client, cool):
    set_pref(client, "TaxPrefs", "UsingSalesTax", False)
    inv = invoice(
        client,
        cool,
        [sales_line(item(client, "Rock Fountain"), qty=1, price=200, tax="TAX")],
        tax_code=tax_code_id(client, "California"),
    )
    assert inv.TotalAmt == 200 and inv.TxnTaxDetail is None


def test_addresses_and_email_copied_from_customer(client, cool):
    inv = invoice(client, cool, [sales_line(item(client, "Design"), qty=1, price=75)])
    assert inv.BillEmail.Address == cool.PrimaryEmailAddr.Address
    assert (inv.BillAddr.City, inv.ShipAddr.Line1) == (cool.BillAddr.City, cool.ShipAddr.Line1)


def test_due_date_from_terms_and_balance_follows_total(client, cool):
    inv = invoice(client, cool, [sales_line(item(client, "Design"), qty=1, price=75)], TxnDate="2026-01-10")
    assert inv.DueDate == "2026-02-09"  # Cool Cars is on Net 30
    inv.Line = [sales_line(item(client, "Design"), qty=3, price=75)]
    inv = inv.save(qb=client)
    assert (inv.TotalAmt, inv.Balance) == (225, 225)


@pytest.mark.parametrize(
    "issued, due", [("2026-01-05", "2026-01-15"), ("2026-01-11", "2026-02-15"), ("2026-12-20", "2027-01-15")]
)
def test_due_date_from_date_driven_terms(client, cool, issued, due):
    from quickbooks.objects.term import Term

    term = Term()
    term.Name, term.DayOfMonthDue, term.DueNextMonthDays = "15th of month", 15, 5
    term = term.save(qb=client)
    assert term.Type == "DATE_DRIVEN"
    inv = invoice(
        client, cool, [sales_line(item(client, "Design"), qty=1, price=75)], TxnDate=issued, SalesTermRef=ref(term.Id)
    )
    assert inv.DueDate == due


def test_sales_receipt_is_paid_on_the_spot(client, cool):
    receipt = invoice(client, cool, [sales_line(item(client, "Design"), qty=2, price=75)], cls=SalesReceipt)
    assert (receipt.TotalAmt, receipt.Balance) == (150, 0)
    assert receipt.DepositToAccountRef.name == "Undeposited Funds"


def test_refund_receipt_needs_deposit_account(client, cool):
    design = item(client, "Design")
    with fault(2020) as info:
        invoice(client, cool, [sales_line(design, qty=1, price=75)], cls=RefundReceipt)
    assert "DepositToAccountRef" in info.value.detail
    checking = find(Account, client, Name="Checking")
    refund = invoice(
        client, cool, [sales_line(design, qty=1, price=75)], cls=RefundReceipt, DepositToAccountRef=checking.to_ref()
    )
    assert (refund.TotalAmt, refund.Balance) == (75, 0)


@pytest.mark.parametrize("cls", [SalesReceipt, RefundReceipt])
def test_receipt_money_goes_through_a_bank_or_other_current_asset(client, cool, cls):
    """Intuit: a receipt's DepositToAccountRef is an account of AccountType Bank or Other
    Current Asset; a Credit Card (or any other) account is refused."""
    design = item(client, "Design")
    for name in ("Mastercard", "Sales of Product Income"):
        with fault(6000) as info:
            invoice(
                client,
                cool,
                [sales_line(design, qty=1, price=75)],
                cls=cls,
                DepositToAccountRef=find(Account, client, Name=name).to_ref(),
            )
        assert name in info.value.detail and "Bank or Other Current Asset" in info.value.detail
    for name in ("Savings", "Undeposited Funds"):
        receipt = invoice(
            client,
            cool,
            [sales_line(design, qty=1, price=75)],
            cls=cls,
            DepositToAccountRef=find(Account, client, Name=name).to_ref(),
        )
        assert receipt.DepositToAccountRef.value == find(Account, client, Name=name).Id


def test_credit_memo_remaining_credit(client, cool):
    memo = invoice(client, cool, [sales_line(item(client, "Design"), qty=1, price=75)], cls=CreditMemo)
    assert (memo.TotalAmt, memo.RemainingCredit) == (75, 75)


@pytest.mark.parametrize("rounding, expected", [("total", 0.02), ("line", 0.03)])
def test_tax_rounding_once_per_rate_or_per_line(client, cool, monkeypatch, rounding, expected):
    monkeypatch.setitem(OPTIONS, "tax_rounding", rounding)
    fountain = item(client, "Rock Fountain")
    inv = invoice(
        client,
        cool,
        [sales_line(fountain, amount=0.07, tax="TAX") for _ in range(3)],
        tax_code=tax_code_id(client, "California"),
    )
    assert inv.TxnTaxDetail.TotalTax == expected  # 8% of 0.21 = 0.0168; of 0.07 = 0.0056 each


def test_discount_reduces_us_tax_only_when_applied_after_discount(client, cool):
    lines = lambda: [sales_line(item(client, "Rock Fountain"), qty=1, price=200, tax="TAX"), discount_line(percent=10)]
    california = tax_code_id(client, "California")
    assert invoice(client, cool, lines(), tax_code=california).TxnTaxDetail.TotalTax == 16
    after = invoice(client, cool, lines(), tax_code=california, ApplyTaxAfterDiscount=True)
    assert (after.TxnTaxDetail.TotalTax, after.TotalAmt) == (14.4, 194.4)


def test_malformed_documents_answer_2010(client, cool):
    doc = Invoice()
    doc.CustomerRef = cool.Id  # a bare id instead of a reference object (python-quickbooks issue #24)
    doc.Line = [sales_line(item(client, "Design"), qty=1, price=75)]
    with fault(2010, detail="CustomerRef"):
        doc.save(qb=client)
    with fault(2010, detail="TxnDate"):
        invoice(client, cool, [sales_line(item(client, "Design"), qty=1, price=75)], TxnDate="31/12/2026")


def test_inventory_quantity_follows_sales_and_returns(client, cool):
    pump = item(client, "Pump")
    start = pump.QtyOnHand
    inv = invoice(client, cool, [sales_line(pump, qty=3, price=15, tax="TAX")])
    assert item(client, "Pump").QtyOnHand == start - 3
    inv.Line = [sales_line(pump, qty=5, price=15, tax="TAX")]
    inv = inv.save(qb=client)
    assert item(client, "Pump").QtyOnHand == start - 5
    invoice(client, cool, [sales_line(pump, qty=1, price=15, tax="TAX")], cls=CreditMemo)
    assert item(client, "Pump").QtyOnHand == start - 4
    Invoice.get(inv.Id, qb=client).void(qb=client)
    assert item(client, "Pump").QtyOnHand == start + 1
    assert item(client, "Design").QtyOnHand is None  # services carry no stock
