"""Refunding a credit memo by check, as QuickBooks Online documents it: a Purchase paid to the
customer and booked to Accounts Receivable, then a Payment of 0 linking the credit memo and the
check. What the addon reads afterwards: the customer's Balance, the credit memo's
RemainingCredit and the payment's UnappliedAmt, through reads, queries and CDC."""

from datetime import datetime, timedelta

import pytest
from quickbooks.cdc import change_data_capture
from quickbooks.objects.account import Account
from quickbooks.objects.creditmemo import CreditMemo
from quickbooks.objects.customer import Customer
from quickbooks.objects.payment import Payment
from quickbooks.objects.purchase import Purchase
from quickbooks.objects.vendor import Vendor

from qbo_emulator.accounting.testing import customer, fault, find, invoice, item, payment, purchase, ref, sales_line


@pytest.fixture
def accounts(client):
    return {
        name: find(Account, client, Name=name)
        for name in ("Checking", "Mastercard", "Accounts Receivable (A/R)", "Advertising")
    }


@pytest.fixture
def receivable(accounts):
    return accounts["Accounts Receivable (A/R)"]


def credit_memo(client, who, amount):
    return invoice(client, who, [sales_line(item(client, "Design"), qty=1, price=amount)], cls=CreditMemo)


def check(client, accounts, who, amount, **fields):
    """A check from Checking to `who`, booked to A/R."""
    return purchase(
        client, accounts["Checking"], [(accounts["Accounts Receivable (A/R)"], amount)], payee=who, **fields
    )


def balance(client, who):
    return Customer.get(who.Id, qb=client).Balance


def remaining(client, memo):
    return CreditMemo.get(memo.Id, qb=client).RemainingCredit


def test_refund_of_a_credit_memo_by_check(client, cool, accounts, control):
    start = balance(client, cool)
    memo = credit_memo(client, cool, 100)
    assert balance(client, cool) == start - 100
    control("POST", "clock", json={"advance_seconds": 60})
    since = datetime.fromisoformat(control("GET", "clock")["now"]) - timedelta(seconds=1)
    cheque = check(client, accounts, cool, 100)
    assert (cheque.TotalAmt, cheque.EntityRef.type, cheque.EntityRef.name) == (100, "Customer", "Cool Cars")
    assert balance(client, cool) == start  # the check raised what the customer owes by 100
    settle = payment(client, cool, 0, [(memo, 100), (cheque, 100, "Check")])
    assert settle.UnappliedAmt == 0
    assert (remaining(client, memo), CreditMemo.get(memo.Id, qb=client).Balance) == (0, 0)
    assert balance(client, cool) == start
    # the links both ways, as for invoices: the check names the payment, the payment the check
    stored_check = Purchase.get(cheque.Id, qb=client)
    assert [(l.TxnId, l.TxnType) for l in stored_check.LinkedTxn] == [(settle.Id, "Payment")]
    assert stored_check.SyncToken != cheque.SyncToken
    links = [(l.TxnId, l.TxnType) for line in Payment.get(settle.Id, qb=client).Line for l in line.LinkedTxn]
    assert links == [(memo.Id, "CreditMemo"), (cheque.Id, "Check")]
    # the same figures through the query language and CDC
    (queried,) = Payment.query(f"SELECT * FROM Payment WHERE Id = '{settle.Id}'", qb=client)
    assert queried.UnappliedAmt == 0
    assert CreditMemo.query(f"SELECT * FROM CreditMemo WHERE Id = '{memo.Id}'", qb=client)[0].RemainingCredit == 0
    assert Customer.query(f"SELECT * FROM Customer WHERE Id = '{cool.Id}'", qb=client)[0].Balance == start
    changed = change_data_capture([Customer, CreditMemo, Payment, Purchase], since, qb=client)
    assert [c.Balance for c in changed.Customer if c.Id == cool.Id] == [start]
    assert [(m.Id, m.RemainingCredit) for m in changed.CreditMemo] == [(memo.Id, 0)]
    assert [(p.Id, p.UnappliedAmt) for p in changed.Payment] == [(settle.Id, 0)]
    assert [p.Id for p in changed.Purchase] == [cheque.Id]


def test_partial_refund_leaves_the_rest_as_credit(client, accounts):
    buyer = customer(client, "Refund Partial Ltd")
    memo = credit_memo(client, buyer, 100)
    cheque = check(client, accounts, buyer, 30)
    settle = payment(client, buyer, 0, [(memo, 30), (cheque, 30, "Check")])
    assert (settle.UnappliedAmt, remaining(client, memo), balance(client, buyer)) == (0, 70, -70)
    # the rest refunded later by a second check settles the same way
    second = check(client, accounts, buyer, 70)
    payment(client, buyer, 0, [(memo, 70), (second, 70, "Check")])
    assert (remaining(client, memo), balance(client, buyer)) == (0, 0)


def test_over_application_of_a_check_is_refused(client, accounts):
    buyer = customer(client, "Refund Over Ltd")
    memo = credit_memo(client, buyer, 100)
    cheque = check(client, accounts, buyer, 60)
    with fault(6000, detail="Accounts Receivable amount"):
        payment(client, buyer, 0, [(memo, 100), (cheque, 100, "Check")])
    payment(client, buyer, 0, [(memo, 40), (cheque, 40, "Check")])
    with fault(6000, detail="(20.00)"):  # 20 of the check is still open, not 21
        payment(client, buyer, 0, [(memo, 21), (cheque, 21, "Check")])
    with fault(6000, detail="more than the payment amount"):  # the check is a charge, like an invoice
        payment(client, buyer, 0, [(cheque, 20, "Check")])
    assert (remaining(client, memo), balance(client, buyer)) == (60, -40)


def test_check_of_another_customer_or_currency_is_refused(client, accounts, multicurrency_client):
    buyer, other = customer(client, "Refund Mine Ltd"), customer(client, "Refund Theirs Ltd")
    memo = credit_memo(client, buyer, 50)
    theirs = check(client, accounts, other, 50)
    with fault(6000, detail="another customer"):
        payment(client, buyer, 0, [(memo, 50), (theirs, 50, "Check")])
    multi = multicurrency_client
    euro = customer(multi, "Refund Euro GmbH", CurrencyRef=ref("EUR"))
    euro_memo = invoice(
        multi,
        euro,
        [sales_line(item(multi, "Design"), qty=1, price=50)],
        cls=CreditMemo,
        CurrencyRef=ref("EUR"),
        ExchangeRate=1.1,
    )
    multi_accounts = {name: find(Account, multi, Name=name) for name in ("Checking", "Accounts Receivable (A/R)")}
    with fault(6000, detail="customer's currency"):  # a check to a euro customer is in euros
        check(multi, multi_accounts, euro, 50, CurrencyRef=ref("USD"))
    with fault(6000, detail="Checking is in USD"):  # and is paid from a euro account
        check(multi, multi_accounts, euro, 50, CurrencyRef=ref("EUR"), ExchangeRate=1.1)
    euro_bank = Account()
    euro_bank.Name, euro_bank.AccountType, euro_bank.CurrencyRef = "Euro Checking", "Bank", ref("EUR")
    multi_accounts["Checking"] = euro_bank.save(qb=multi)
    euro_check = check(multi, multi_accounts, euro, 50, CurrencyRef=ref("EUR"), ExchangeRate=1.1)
    assert euro_check.CurrencyRef.value == "EUR"
    with fault(6000, detail="customer's currency"):  # so a payment in dollars cannot settle it either
        payment(multi, euro, 0, [(euro_memo, 50), (euro_check, 50, "Check")], CurrencyRef=ref("USD"))
    payment(multi, euro, 0, [(euro_memo, 50), (euro_check, 50, "Check")], CurrencyRef=ref("EUR"), ExchangeRate=1.1)
    assert (remaining(multi, euro_memo), balance(multi, euro)) == (0, 0)


def test_receivable_line_needs_a_customer(client, accounts, receivable):
    with fault(6000, detail="you must choose a customer in the Name field") as info:
        purchase(client, accounts["Checking"], [(receivable, 10)])
    assert info.value.message.startswith("A business validation error")
    vendor = find(Vendor, client, DisplayName="Books by Bessie")
    with fault(6000, detail="Accounts Receivable"):
        purchase(client, accounts["Checking"], [(accounts["Advertising"], 5), (receivable, 10)], payee=vendor)
    # an ordinary expense needs no customer and moves no balance
    assert purchase(client, accounts["Checking"], [(accounts["Advertising"], 5)], payee=vendor).TotalAmt == 5


def test_purchase_is_paid_from_an_account_of_its_kind(client, cool, accounts, receivable):
    with fault(6000, detail="Bank"):
        purchase(client, accounts["Mastercard"], [(receivable, 10)], payee=cool)
    with fault(2170):
        purchase(client, accounts["Checking"], [(receivable, 10)], payee=cool, payment_type="Wire")


def test_expense_links_cash_and_credit_card_purchases(client, accounts, receivable):
    buyer = customer(client, "Refund Card Ltd")
    memo = credit_memo(client, buyer, 80)
    card = purchase(client, accounts["Mastercard"], [(receivable, 50)], payee=buyer, payment_type="CreditCard")
    cash = purchase(client, accounts["Checking"], [(receivable, 30)], payee=buyer, payment_type="Cash")
    with fault(6000, detail="links it as Expense"):
        payment(client, buyer, 0, [(memo, 50), (card, 50, "Check")])
    payment(client, buyer, 0, [(memo, 80), (card, 50, "Expense"), (cash, 30, "Expense")])
    assert (remaining(client, memo), balance(client, buyer)) == (0, 0)


def test_link_type_names_are_a_switch(client, accounts, monkeypatch):
    from qbo_emulator.accounting import OPTIONS

    monkeypatch.setitem(OPTIONS, "payment_purchase_link_types", {"Purchase": ("Check", "Cash", "CreditCard")})
    buyer = customer(client, "Refund Switch Ltd")
    memo = credit_memo(client, buyer, 10)
    cheque = check(client, accounts, buyer, 10)
    with fault(6000, detail="Purchase"):
        payment(client, buyer, 0, [(memo, 10), (cheque, 10, "Check")])
    payment(client, buyer, 0, [(memo, 10), (cheque, 10, "Purchase")])
    assert balance(client, buyer) == 0


def test_voiding_the_payment_restores_the_open_amounts(client, accounts):
    buyer = customer(client, "Refund Void Ltd")
    memo = credit_memo(client, buyer, 100)
    cheque = check(client, accounts, buyer, 100)
    settle = payment(client, buyer, 0, [(memo, 100), (cheque, 100, "Check")])
    Payment.get(settle.Id, qb=client).void(qb=client)
    assert remaining(client, memo) == 100
    assert Purchase.get(cheque.Id, qb=client).LinkedTxn == []
    assert balance(client, buyer) == 0  # credit 100, check 100: as before the payment
    # the check is open again for its whole amount
    again = payment(client, buyer, 0, [(memo, 100), (cheque, 100, "Check")])
    Payment.get(again.Id, qb=client).delete(qb=client)  # deleting gives back the same way
    assert (remaining(client, memo), balance(client, buyer)) == (100, 0)
    assert Purchase.get(cheque.Id, qb=client).LinkedTxn == []


def test_deleting_the_check(client, accounts):
    buyer = customer(client, "Refund Delete Ltd")
    memo = credit_memo(client, buyer, 100)
    lone = check(client, accounts, buyer, 40)
    assert balance(client, buyer) == -60
    answer = Purchase.get(lone.Id, qb=client).delete(qb=client)
    assert answer["Purchase"] == {"status": "Deleted", "Id": lone.Id}
    assert Purchase.filter(Id=lone.Id, qb=client) == []
    assert balance(client, buyer) == -100
    # a check a payment settles: released as an invoice would be, its amount becomes unapplied
    cheque = check(client, accounts, buyer, 100)
    settle = payment(client, buyer, 0, [(memo, 100), (cheque, 100, "Check")])
    Purchase.get(cheque.Id, qb=client).delete(qb=client)
    released = Payment.get(settle.Id, qb=client)
    assert [l.TxnType for line in released.Line for l in line.LinkedTxn] == ["CreditMemo"]
    assert (released.UnappliedAmt, remaining(client, memo), balance(client, buyer)) == (100, 0, -100)


def test_check_amount_cannot_drop_below_what_payments_settle(client, accounts, receivable):
    buyer = customer(client, "Refund Edit Ltd")
    memo = credit_memo(client, buyer, 100)
    cheque = check(client, accounts, buyer, 100)
    payment(client, buyer, 0, [(memo, 60), (cheque, 60, "Check")])
    stored = Purchase.get(cheque.Id, qb=client)
    stored.Line[0].Amount = 50
    with fault(6000, detail="cannot drop below"):
        stored.save(qb=client)
    stored.Line[0].Amount = 80
    assert stored.save(qb=client).TotalAmt == 80
    assert balance(client, buyer) == -100 + 80
    stored = Purchase.get(cheque.Id, qb=client)
    stored.EntityRef = find(Customer, client, DisplayName="Cool Cars").to_ref()
    with fault(6000, detail="customer of a purchase"):
        stored.save(qb=client)
