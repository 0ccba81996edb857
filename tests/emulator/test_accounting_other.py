"""Purchase-side and general-ledger documents: required headers, references, TotalAmt."""
import pytest
from quickbooks.objects.account import Account
from quickbooks.objects.bill import Bill
from quickbooks.objects.detailline import AccountBasedExpenseLine, AccountBasedExpenseLineDetail
from quickbooks.objects.journalentry import JournalEntry, JournalEntryLine, JournalEntryLineDetail
from quickbooks.objects.vendor import Vendor

from qbo_emulator.accounting.testing import US, fault, find


@pytest.fixture
def client(emu, qb):
    return qb(US)


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
