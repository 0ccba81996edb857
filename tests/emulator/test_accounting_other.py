"""Purchase-side and general-ledger documents (required headers, TotalAmt), deposits of
undeposited payments (6540 afterwards) and closed books (6210)."""

from quickbooks.objects.account import Account
from quickbooks.objects.base import LinkedTxn
from quickbooks.objects.bill import Bill
from quickbooks.objects.deposit import Deposit, DepositLine
from quickbooks.objects.detailline import AccountBasedExpenseLine, AccountBasedExpenseLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.journalentry import JournalEntry, JournalEntryLine, JournalEntryLineDetail
from quickbooks.objects.payment import Payment
from quickbooks.objects.vendor import Vendor

from qbo_emulator.accounting.testing import fault, find, invoice, item, payment, sales_line, set_pref


def expense_line(account, amount):
    line = AccountBasedExpenseLine()
    line.Amount = amount
    line.AccountBasedExpenseLineDetail = AccountBasedExpenseLineDetail()
    line.AccountBasedExpenseLineDetail.AccountRef = account.to_ref()
    return line


def journal_line(account, posting, amount):
    line = JournalEntryLine()
    line.Amount = amount
    line.JournalEntryLineDetail = JournalEntryLineDetail()
    line.JournalEntryLineDetail.PostingType = posting
    line.JournalEntryLineDetail.AccountRef = account.to_ref()
    return line


def test_bill_totals_and_requires_vendor(client):
    advertising = find(Account, client, Name="Advertising")
    bill = Bill()
    bill.Line = [expense_line(advertising, 120.5), expense_line(advertising, 79.5)]
    with fault(2020) as info:
        bill.save(qb=client)
    assert "VendorRef" in info.value.detail
    bill.VendorRef = find(Vendor, client, DisplayName="Books by Bessie").to_ref()
    saved = bill.save(qb=client)
    assert (saved.TotalAmt, saved.Balance) == (200, 200)


def test_journal_entry_must_balance(client):
    checking, savings = find(Account, client, Name="Checking"), find(Account, client, Name="Savings")
    entry = JournalEntry()
    entry.Line = [journal_line(checking, "Debit", 100), journal_line(savings, "Credit", 90)]
    with fault(6000, detail="balanced"):
        entry.save(qb=client)
    entry.Line[1].Amount = 100
    assert entry.save(qb=client).TotalAmt == 100


def deposit_of(client, *documents):
    deposit = Deposit()
    deposit.DepositToAccountRef = find(Account, client, Name="Checking").to_ref()
    for doc in documents:
        line, link = DepositLine(), LinkedTxn()
        link.TxnId, link.TxnType = doc.Id, doc.qbo_object_name
        line.LinkedTxn = [link]
        deposit.Line.append(line)
    return deposit.save(qb=client)


def test_deposited_payment_cannot_change_until_the_deposit_lets_go(client):
    paid = Payment.filter(PaymentRefNum="P1001", qb=client)[0]
    deposit = deposit_of(client, paid)
    assert deposit.TotalAmt == paid.TotalAmt  # a linked line takes the payment's amount
    paid = Payment.get(paid.Id, qb=client)
    paid.PaymentRefNum = "CHK-1"
    with fault(6540, detail=f"Deposit Id={deposit.Id}"):
        paid.save(qb=client)
    with fault(6540):
        paid.delete(qb=client)
    with fault(6000, detail="another deposit"):
        deposit_of(client, paid)
    deposit.delete(qb=client)
    assert paid.save(qb=client).PaymentRefNum == "CHK-1"


def test_only_undeposited_payments_can_be_deposited(client, cool):
    direct = payment(client, cool, 10, DepositToAccountRef=find(Account, client, Name="Checking").to_ref())
    with fault(6000, detail="Undeposited Funds"):
        deposit_of(client, direct)


def test_closed_books_refuse_writes_dated_inside_them(client, cool):
    old = invoice(client, cool, [sales_line(item(client, "Design"), qty=1, price=75)], TxnDate="2026-05-01")
    set_pref(client, "AccountingInfoPrefs", "BookCloseDate", "2026-06-30")
    with fault(6210):
        invoice(client, cool, [sales_line(item(client, "Design"), qty=1, price=75)], TxnDate="2026-06-30")
    assert (
        invoice(client, cool, [sales_line(item(client, "Design"), qty=1, price=75)], TxnDate="2026-07-01").TotalAmt
        == 75
    )
    old = Invoice.get(old.Id, qb=client)
    with fault(6210):
        old.delete(qb=client)
    with fault(6210):
        old.void(qb=client)
    old.TxnDate = "2026-08-01"  # moving it out of the closed period is a change inside it too
    with fault(6210):
        old.save(qb=client)
