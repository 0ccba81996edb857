"""The bank side (issue 12): bank and trust account subtypes, deposits of undeposited payments
into a trust or operating bank account (each payment once), deposit lines booked to an
account for a party (a trust receipt), billable expense lines and sub-customers (matters)."""

from quickbooks.objects.account import Account
from quickbooks.objects.base import LinkedTxn
from quickbooks.objects.bill import Bill
from quickbooks.objects.customer import Customer
from quickbooks.objects.deposit import Deposit, DepositLine, DepositLineDetail
from quickbooks.objects.detailline import AccountBasedExpenseLine, AccountBasedExpenseLineDetail
from quickbooks.objects.vendor import Vendor

from qbo_emulator.accounting.testing import customer, fault, find, payment, ref


def account(client, name, kind=None, subtype=None):
    doc = Account()
    doc.Name = name
    if kind:
        doc.AccountType = kind
    if subtype:
        doc.AccountSubType = subtype
    return doc.save(qb=client)


def test_trust_subtypes_take_their_type(client):
    trust = account(client, "IOLTA Trust", subtype="TrustAccounts")
    assert (trust.AccountType, trust.AccountSubType, trust.Classification) == ("Bank", "TrustAccounts", "Asset")
    owed = account(client, "Client Trust Liability", kind="Other Current Liability", subtype="TrustAccountsLiabilities")
    assert (owed.AccountType, owed.Classification) == ("Other Current Liability", "Liability")
    cash = account(client, "Petty Cash", kind="Bank", subtype="CashOnHand")
    assert cash.AccountSubType == "CashOnHand"
    with fault(6010, detail="not a subtype of Bank"):
        account(client, "Wrong", kind="Bank", subtype="TrustAccountsLiabilities")


def trust_receipt(client, into, liability, party, amount):
    deposit = Deposit()
    deposit.DepositToAccountRef = into.to_ref()
    line = DepositLine()
    line.Amount = amount
    line.DetailType = "DepositLineDetail"
    line.DepositLineDetail = DepositLineDetail()
    if liability is not None:
        line.DepositLineDetail.AccountRef = liability.to_ref()
    line.DepositLineDetail.Entity = party.to_ref()
    deposit.Line = [line]
    return deposit.save(qb=client)


def test_a_trust_receipt_is_a_deposit_booked_to_the_liability(client):
    trust = account(client, "IOLTA Trust", subtype="TrustAccounts")
    owed = account(client, "Client Trust Liability", subtype="TrustAccountsLiabilities")
    client_party = customer(client, "Matter Client LLP")
    with fault(2020, detail="Line.DepositLineDetail.AccountRef"):
        trust_receipt(client, trust, None, client_party, 500)
    saved = trust_receipt(client, trust, owed, client_party, 500)
    assert saved.TotalAmt == 500
    entity = saved.Line[0].DepositLineDetail.Entity
    assert (entity.value, entity.type) == (client_party.Id, "Customer")
    # Nothing is applied: the client's receivable does not move.
    assert Customer.get(client_party.Id, qb=client).Balance == 0
    with fault(6000, detail="bank account"):
        trust_receipt(client, owed, owed, client_party, 5)


def test_payments_are_deposited_together_once(client, cool):
    payments = [payment(client, cool, amount) for amount in (10, 20, 30.5)]
    deposit = Deposit()
    deposit.DepositToAccountRef = find(Account, client, Name="Checking").to_ref()
    for paid in payments:
        line, link = DepositLine(), LinkedTxn()
        link.TxnId, link.TxnType = paid.Id, "Payment"
        line.Amount = paid.TotalAmt
        line.LinkedTxn = [link]
        deposit.Line.append(line)
    saved = deposit.save(qb=client)
    assert saved.TotalAmt == 60.5
    again = Deposit()
    again.DepositToAccountRef = deposit.DepositToAccountRef
    line, link = DepositLine(), LinkedTxn()
    link.TxnId, link.TxnType = payments[1].Id, "Payment"
    line.LinkedTxn = [link]
    again.Line = [line]
    with fault(6000, detail="already on another deposit"):
        again.save(qb=client)
    saved.delete(qb=client)
    assert again.save(qb=client).TotalAmt == 20


def billable_line(account_obj, amount, who=None, status="Billable"):
    line = AccountBasedExpenseLine()
    line.Amount = amount
    line.AccountBasedExpenseLineDetail = AccountBasedExpenseLineDetail()
    line.AccountBasedExpenseLineDetail.AccountRef = account_obj.to_ref()
    line.AccountBasedExpenseLineDetail.BillableStatus = status
    if who is not None:
        line.AccountBasedExpenseLineDetail.CustomerRef = who.to_ref() if hasattr(who, "to_ref") else who
    return line


def test_billable_lines_name_a_customer_or_sub_customer(client, cool):
    advertising = find(Account, client, Name="Advertising")
    matter = customer(client, "Smith v Jones", Job=True, ParentRef=cool.to_ref(), BillWithParent=True)
    assert matter.FullyQualifiedName == f"{cool.DisplayName}:Smith v Jones"
    bill = Bill()
    bill.VendorRef = find(Vendor, client, DisplayName="Books by Bessie").to_ref()
    bill.Line = [billable_line(advertising, 40)]
    with fault(6000, detail="billable"):
        bill.save(qb=client)
    bill.Line = [billable_line(advertising, 40, status="Someday")]
    with fault(2170):
        bill.save(qb=client)
    bill.Line = [billable_line(advertising, 40, matter)]
    saved = bill.save(qb=client)
    detail = saved.Line[0].AccountBasedExpenseLineDetail
    assert (detail.BillableStatus, detail.CustomerRef.value) == ("Billable", matter.Id)
    assert detail.CustomerRef.name == matter.FullyQualifiedName
    bill.Line = [billable_line(advertising, 40, ref("99999"))]
    with fault(2500):
        bill.save(qb=client)
