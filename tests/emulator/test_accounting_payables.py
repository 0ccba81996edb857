"""Bills and vendor credits (what the company owes its vendors): required vendor, account and
item lines, TotalAmt and Balance, tax (none on US purchases; the TotalTax sent elsewhere), the
vendor's currency, deletion; display names unique across customers, vendors and employees."""

import json

import pytest
from quickbooks.objects.account import Account
from quickbooks.objects.bill import Bill
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import (
    AccountBasedExpenseLine,
    AccountBasedExpenseLineDetail,
    ItemBasedExpenseLine,
    ItemBasedExpenseLineDetail,
)
from quickbooks.objects.vendor import Vendor
from quickbooks.objects.vendorcredit import VendorCredit

from qbo_emulator.accounting.testing import CA, fault, find, item, tax_code_id


def account_line(account, amount):
    line = AccountBasedExpenseLine()
    line.Amount = amount
    line.AccountBasedExpenseLineDetail = AccountBasedExpenseLineDetail()
    line.AccountBasedExpenseLineDetail.AccountRef = account.to_ref()
    return line


def item_line(product, qty, price, amount=None):
    line = ItemBasedExpenseLine()
    line.Amount = round(qty * price, 2) if amount is None else amount
    line.ItemBasedExpenseLineDetail = ItemBasedExpenseLineDetail()
    line.ItemBasedExpenseLineDetail.ItemRef = product.to_ref()
    line.ItemBasedExpenseLineDetail.Qty = qty
    line.ItemBasedExpenseLineDetail.UnitPrice = price
    return line


@pytest.fixture
def bessie(client):
    return find(Vendor, client, DisplayName="Books by Bessie")


def test_vendor_credit_totals_and_requires_vendor(client, bessie):
    advertising = find(Account, client, Name="Advertising")
    credit = VendorCredit()
    credit.Line = [account_line(advertising, 30)]
    with fault(2020) as info:
        credit.save(qb=client)
    assert "VendorRef" in info.value.detail
    credit.VendorRef = bessie.to_ref()
    saved = credit.save(qb=client)
    assert (saved.TotalAmt, saved.Balance) == (30, 30)


def test_bill_lines_need_their_account_or_item_and_amounts_that_add_up(client, bessie):
    advertising = find(Account, client, Name="Advertising")
    bill = Bill()
    bill.VendorRef = bessie.to_ref()
    bill.Line = [account_line(advertising, 10)]
    bill.Line[0].AccountBasedExpenseLineDetail.AccountRef = None
    with fault(2020):
        bill.save(qb=client)
    bill.Line = [item_line(item(client, "Design"), 2, 7.5, amount=16)]
    with fault(6070):
        bill.save(qb=client)
    bill.Line = [item_line(item(client, "Design"), 2, 7.5), account_line(advertising, 4.25)]
    saved = bill.save(qb=client)
    assert (saved.TotalAmt, saved.Balance) == (19.25, 19.25)


def test_us_bills_keep_no_tax(client, bessie):
    bill = Bill()
    bill.VendorRef = bessie.to_ref()
    bill.Line = [account_line(find(Account, client, Name="Advertising"), 100)]
    bill.TxnTaxDetail = {"TotalTax": 8}
    saved = bill.save(qb=client)
    assert saved.TotalAmt == 100
    assert not getattr(saved, "TxnTaxDetail", None)


def test_other_countries_add_the_tax_sent(qb):
    client = qb(CA)
    vendor = find(Vendor, client, DisplayName="Northern Supply Co")
    line = account_line(find(Account, client, Name="Cost of Goods Sold"), 100)
    line.AccountBasedExpenseLineDetail.TaxCodeRef = {"value": tax_code_id(client, "HST ON")}
    bill = Bill()
    bill.VendorRef = vendor.to_ref()
    bill.Line = [line]
    bill.TxnTaxDetail = {"TotalTax": 13}
    saved = bill.save(qb=client)
    assert (saved.TotalAmt, saved.Balance, saved.GlobalTaxCalculation) == (113, 113, "TaxExcluded")
    line.AccountBasedExpenseLineDetail.TaxCodeRef = {"value": "999"}
    with fault(2500):
        bill.save(qb=client)


def test_a_bill_is_in_its_vendors_currency_and_deleted_not_voided(multicurrency_client):
    client = multicurrency_client
    vendor = Vendor()
    vendor.DisplayName = "Euro Supplies"
    vendor.CurrencyRef = {"value": "EUR"}
    vendor = vendor.save(qb=client)
    bill = Bill()
    bill.VendorRef = vendor.to_ref()
    bill.CurrencyRef = {"value": "USD"}
    bill.Line = [account_line(find(Account, client, Name="Advertising"), 50)]
    with fault(6000, detail="currency"):
        bill.save(qb=client)
    bill.CurrencyRef = {"value": "EUR"}
    bill.ExchangeRate = 1.1
    saved = bill.save(qb=client)
    assert saved.CurrencyRef.value == "EUR"
    saved.delete(qb=client)
    assert not Bill.filter(Id=saved.Id, qb=client)


def test_a_vendor_cannot_take_a_customers_name(client):
    customer = find(Customer, client, DisplayName="Cool Cars")
    vendor = Vendor()
    vendor.DisplayName = "cool cars"
    with fault(6240):
        vendor.save(qb=client)
    vendor.DisplayName = f"{customer.DisplayName} (vendor)"
    assert vendor.save(qb=client).Id


# ---- bill payments -----------------------------------------------------------------------


def _bill(client, vendor, amount, cls=Bill):
    bill = cls()
    bill.VendorRef = vendor.to_ref()
    bill.Line = [account_line(find(Account, client, Name="Advertising"), amount)]
    return bill.save(qb=client)


def _bill_payment(client, vendor, links, pay_type="Check", account="Checking", total=None):
    """A BillPayment as raw JSON (python-quickbooks' object sends what we give it)."""
    block, field = {"Check": ("CheckPayment", "BankAccountRef"), "CreditCard": ("CreditCardPayment", "CCAccountRef")}[
        pay_type
    ]
    lines = [
        {"Amount": amount, "LinkedTxn": [{"TxnId": doc.Id, "TxnType": type(doc).__name__}]} for doc, amount in links
    ]
    body = {
        "VendorRef": {"value": vendor.Id},
        "PayType": pay_type,
        block: {field: {"value": find(Account, client, Name=account).Id}},
        "Line": lines,
    }
    if total is not None:
        body["TotalAmt"] = total
    return client.create_object("BillPayment", json.dumps(body))["BillPayment"]


def _balance(client, cls, obj_id):
    return cls.get(obj_id, qb=client).Balance


def test_a_check_pays_bills_in_part_and_uses_vendor_credits(client, bessie):
    first, second = _bill(client, bessie, 100), _bill(client, bessie, 50)
    credit = _bill(client, bessie, 30, VendorCredit)
    assert Vendor.get(bessie.Id, qb=client).Balance == 120
    paid = _bill_payment(client, bessie, [(first, 60), (second, 50), (credit, 30)], total=80)
    assert (paid["TotalAmt"], paid["PayType"], paid["CheckPayment"]["BankAccountRef"]["name"]) == (
        80,
        "Check",
        "Checking",
    )
    assert (_balance(client, Bill, first.Id), _balance(client, Bill, second.Id)) == (40, 0)
    assert _balance(client, VendorCredit, credit.Id) == 0
    assert Vendor.get(bessie.Id, qb=client).Balance == 40


def test_a_bill_payment_applies_no_more_than_is_open_nor_another_vendors(client, bessie):
    bill = _bill(client, bessie, 100)
    with fault(6000):
        _bill_payment(client, bessie, [(bill, 101)])
    with fault(6000):
        _bill_payment(client, bessie, [(bill, 50)], total=60)
    norton = find(Vendor, client, DisplayName="Norton Lumber and Building Materials")
    with fault(6000):
        _bill_payment(client, norton, [(bill, 50)])
    with fault(6000):  # a check is paid from a bank account
        _bill_payment(client, bessie, [(bill, 50)], account="Mastercard")
    with fault(2020):
        _bill_payment(client, bessie, [])


def test_a_credit_card_bill_payment_deleted_gives_the_bill_its_balance_back(client, bessie):
    bill = _bill(client, bessie, 100)
    paid = _bill_payment(client, bessie, [(bill, 100)], pay_type="CreditCard", account="Mastercard")
    assert paid["CreditCardPayment"]["CCAccountRef"]["name"] == "Mastercard"
    assert (_balance(client, Bill, bill.Id), Vendor.get(bessie.Id, qb=client).Balance) == (0, 0)
    with fault(6000):  # the payment goes first
        Bill.get(bill.Id, qb=client).delete(qb=client)
    with fault(500):  # voided through the API: not in the facts sheet, deleted instead
        body = {"Id": paid["Id"], "SyncToken": paid["SyncToken"], "sparse": True}
        client.update_object("BillPayment", json.dumps(body), params={"operation": "update", "include": "void"})
    client.delete_object("BillPayment", json.dumps({"Id": paid["Id"], "SyncToken": paid["SyncToken"]}))
    assert (_balance(client, Bill, bill.Id), Vendor.get(bessie.Id, qb=client).Balance) == (100, 100)
