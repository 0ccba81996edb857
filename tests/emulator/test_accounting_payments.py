"""Payments applied to invoices and credit memos, and what update, delete and void give back."""

import pytest
from quickbooks.objects.creditmemo import CreditMemo
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment
from quickbooks.objects.salesreceipt import SalesReceipt

from qbo_emulator.accounting.testing import fault, find, invoice, item, payment, sales_line


@pytest.fixture
def open_invoice(client):
    return find(Invoice, client, DocNumber="1003")  # Cool Cars, 105.00, unpaid


def balance(client, doc):
    return type(doc).get(doc.Id, qb=client).Balance


def test_partial_then_full_payment(client, cool, open_invoice):
    first = payment(client, cool, 50, [(open_invoice, 50)])
    assert (first.UnappliedAmt, first.DepositToAccountRef.name) == (0, "Undeposited Funds")
    inv = Invoice.get(open_invoice.Id, qb=client)
    assert inv.Balance == 55 and [(l.TxnId, l.TxnType) for l in inv.LinkedTxn] == [(first.Id, "Payment")]
    assert inv.SyncToken != open_invoice.SyncToken  # applying a payment rewrites the invoice
    assert Payment.get(first.Id, qb=client).Line[0].LinkedTxn[0].TxnId == open_invoice.Id
    payment(client, cool, 55, [(open_invoice, 55)])
    assert balance(client, open_invoice) == 0
    assert Customer.get(cool.Id, qb=client).Balance == 0


def test_over_applying_is_refused(client, cool, open_invoice):
    with fault(6000, detail="balance"):
        payment(client, cool, 200, [(open_invoice, 200)])
    with fault(6000):  # more applied than the payment brings
        payment(client, cool, 100, [(open_invoice, 105)])
    assert balance(client, open_invoice) == 105


def test_over_application_switch(client, cool, open_invoice, monkeypatch):
    from qbo_emulator.accounting import OPTIONS

    monkeypatch.setitem(OPTIONS, "refuse_over_application", False)
    payment(client, cool, 120, [(open_invoice, 120)])
    assert balance(client, open_invoice) == -15


def test_unapplied_amount_is_credit(client, cool, open_invoice):
    pay = payment(client, cool, 150, [(open_invoice, 105)])
    assert pay.UnappliedAmt == 45
    assert Customer.get(cool.Id, qb=client).Balance == -45
    assert payment(client, cool, 20).UnappliedAmt == 20  # no lines at all: all credit


def test_credit_memo_applied_through_payment(client, cool, open_invoice):
    memo = invoice(client, cool, [sales_line(item(client, "Design"), qty=1, price=30)], cls=CreditMemo)
    pay = payment(client, cool, 75, [(open_invoice, 105), (memo, 30)])
    assert pay.UnappliedAmt == 0
    assert balance(client, open_invoice) == 0
    assert CreditMemo.get(memo.Id, qb=client).RemainingCredit == 0
    with fault(6000, detail="remaining credit"):
        payment(client, cool, 0, [(memo, 1)])
    with fault(6000, detail=f"Payment {pay.Id}"):  # the payment would then apply 105 with 75
        CreditMemo.get(memo.Id, qb=client).delete(qb=client)


def test_links_must_exist_and_belong_to_the_customer(client, cool):
    amy_invoice = find(Invoice, client, DocNumber="1001")
    other = find(Invoice, client, DocNumber="1002")  # Bill's Windsurf Shop
    with fault(6000, detail="another customer"):
        payment(client, cool, 10, [(other, 10)])
    amy_invoice.Id = "777777"
    with fault(2500):
        payment(client, cool, 10, [(amy_invoice, 10)])


def test_required_payment_fields(client, cool):
    with fault(2020) as info:
        payment(client, cool, None)
    assert "TotalAmt" in info.value.detail
    with fault(2020):
        payment(client, None, 10)


def test_update_replaces_all_lines_and_restores_balance(client, cool, open_invoice):
    pay = payment(client, cool, 60, [(open_invoice, 60)])
    pay = Payment.get(pay.Id, qb=client)
    pay.Line[0].Amount = 40
    pay = pay.save(qb=client)
    assert (pay.UnappliedAmt, balance(client, open_invoice)) == (20, 65)
    sparse = Payment()
    sparse.Id, sparse.SyncToken, sparse.sparse = pay.Id, pay.SyncToken, True
    sparse.PaymentRefNum, sparse.Line = "CHK-9", None  # no Line: the lines stay
    pay = sparse.save(qb=client)
    assert (pay.PaymentRefNum, len(pay.Line), balance(client, open_invoice)) == ("CHK-9", 1, 65)
    sparse.SyncToken, sparse.Line = pay.SyncToken, []  # an empty Line removes them all
    pay = sparse.save(qb=client)
    assert (pay.UnappliedAmt, balance(client, open_invoice)) == (60, 105)
    assert Invoice.get(open_invoice.Id, qb=client).LinkedTxn == []


def test_delete_payment_restores_balance(client, cool, open_invoice):
    pay = payment(client, cool, 105, [(open_invoice, 105)])
    answer = pay.delete(qb=client)
    assert answer["Payment"]["status"] == "Deleted"
    assert balance(client, open_invoice) == 105
    assert Customer.get(cool.Id, qb=client).Balance == 105


def test_void_payment_zeroes_it_and_releases_the_invoice(client, cool, open_invoice):
    pay = payment(client, cool, 105, [(open_invoice, 105)])
    pay.void(qb=client)
    voided = Payment.get(pay.Id, qb=client)
    assert (voided.TotalAmt, voided.UnappliedAmt, voided.PrivateNote) == (0, 0, "Voided")
    assert balance(client, open_invoice) == 105


def test_void_invoice(client, cool, open_invoice):
    pay = payment(client, cool, 50, [(open_invoice, 50)])
    Invoice.get(open_invoice.Id, qb=client).void(qb=client)
    inv = Invoice.get(open_invoice.Id, qb=client)
    assert (inv.TotalAmt, inv.Balance, inv.PrivateNote) == (0, 0, "Voided")
    assert all(l.Amount == 0 for l in inv.Line)
    released = Payment.get(pay.Id, qb=client)
    assert (released.TotalAmt, released.UnappliedAmt, released.Line) == (50, 50, [])


def test_delete_invoice_releases_its_payments(client, cool, open_invoice):
    pay = payment(client, cool, 50, [(open_invoice, 50)])
    Invoice.get(open_invoice.Id, qb=client).delete(qb=client)
    assert Invoice.filter(DocNumber="1003", qb=client) == []
    assert Payment.get(pay.Id, qb=client).UnappliedAmt == 50


def test_paid_invoice_keeps_its_total_and_customer(client, cool, open_invoice):
    payment(client, cool, 100, [(open_invoice, 100)])
    inv = Invoice.get(open_invoice.Id, qb=client)
    inv.Line = [sales_line(item(client, "Pest Control"), qty=1, price=35)]
    with fault(6000, detail="cannot drop below"):
        inv.save(qb=client)
    inv = Invoice.get(open_invoice.Id, qb=client)
    inv.CustomerRef = find(Customer, client, DisplayName="Diego Rodriguez").to_ref()
    with fault(6000, detail="customer"):
        inv.save(qb=client)


def test_void_sales_receipt(client, cool):
    receipt = invoice(client, cool, [sales_line(item(client, "Design"), qty=2, price=75)], cls=SalesReceipt)
    receipt.void(qb=client)
    voided = SalesReceipt.get(receipt.Id, qb=client)
    assert (voided.TotalAmt, voided.Balance, voided.PrivateNote) == (0, 0, "Voided")


def receivable(client, customer_id):
    """What QBO's Customer.Balance means, recomputed from the documents."""
    total = 0
    for cls, field, sign in (
        (Invoice, "Balance", 1),
        (CreditMemo, "RemainingCredit", -1),
        (Payment, "UnappliedAmt", -1),
    ):
        total += sign * sum(getattr(d, field) or 0 for d in cls.filter(CustomerRef=customer_id, qb=client))
    return round(total, 2)


def test_customer_balance_follows_every_document_change(client, cool, open_invoice):
    memo = invoice(client, cool, [sales_line(item(client, "Design"), qty=1, price=30)], cls=CreditMemo)
    pay = payment(client, cool, 100, [(open_invoice, 90), (memo, 10)])
    second = invoice(client, cool, [sales_line(item(client, "Design"), qty=2, price=75)])
    Payment.get(pay.Id, qb=client).void(qb=client)
    Invoice.get(second.Id, qb=client).delete(qb=client)
    extra = payment(client, cool, 15)
    for step in ("after void/delete", "after update"):
        assert Customer.get(cool.Id, qb=client).Balance == receivable(client, cool.Id) == 105 - 30 - 15, step
        extra = Payment.get(extra.Id, qb=client)
        extra.Line = []
        extra.save(qb=client)


def test_job_balance_rolls_up_to_parent(client):
    job = find(Customer, client, DisplayName="0969 Ocean View Road")
    parent = Customer.get(job.ParentRef.value, qb=client)
    invoice(client, job, [sales_line(item(client, "Design"), qty=1, price=75)])
    after = Customer.get(parent.Id, qb=client)
    assert (after.Balance, after.BalanceWithJobs) == (parent.Balance, parent.BalanceWithJobs + 75)
    assert Customer.get(job.Id, qb=client).Balance == 75
