"""Test helpers for driving the emulator through python-quickbooks the way a connector does
(used by tests/emulator/test_accounting_*.py; kept in the package so those tests import it
whatever pytest's import mode): objects built like a connector builds them, and an assertion on
the fault code the client sees."""

import contextlib

import pytest
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.base import LinkedTxn, Ref
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import (
    AccountBasedExpenseLine,
    AccountBasedExpenseLineDetail,
    DiscountLine,
    DiscountLineDetail,
    SalesItemLine,
    SalesItemLineDetail,
)
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.payment import Payment, PaymentLine
from quickbooks.objects.purchase import Purchase
from quickbooks.objects.tax import TxnTaxDetail

US = "9130357766900001"
CA = "9130357766900002"
EMPTY = "9130357766900003"


@contextlib.contextmanager
def fault(code, element=None, detail=None):
    """The block must fail with QBO error `code` (as python-quickbooks reports it)."""
    with pytest.raises(QuickbooksException) as info:
        yield info
    assert info.value.error_code == code, f"expected {code}, got {info.value}"
    if detail is not None:
        assert detail in info.value.detail, info.value.detail


def ref(value, name=""):
    r = Ref()
    r.value, r.name = str(value), name
    return r


def find(cls, qb, **where):
    found = cls.filter(qb=qb, **where)
    assert len(found) == 1, f"{cls.__name__} {where}: {len(found)} found"
    return found[0]


def sales_line(item, amount=None, qty=None, price=None, tax=None, class_ref=None):
    line = SalesItemLine()
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = item.to_ref() if hasattr(item, "to_ref") else item
    if qty is not None:
        line.SalesItemLineDetail.Qty = qty
    if price is not None:
        line.SalesItemLineDetail.UnitPrice = price
    line.Amount = amount if amount is not None else round((qty or 0) * (price or 0), 2)
    if tax is not None:
        line.SalesItemLineDetail.TaxCodeRef = ref(tax)
    if class_ref is not None:
        line.SalesItemLineDetail.ClassRef = class_ref
    return line


def discount_line(percent=None, amount=None):
    line = DiscountLine()
    line.DiscountLineDetail = DiscountLineDetail()
    if percent is not None:
        line.DiscountLineDetail.PercentBased = True
        line.DiscountLineDetail.DiscountPercent = percent
    if amount is not None:
        line.Amount = amount
    return line


def invoice(qb, customer, lines, cls=Invoice, tax_code=None, total_tax=None, **fields):
    doc = cls()
    doc.CustomerRef = customer.to_ref() if hasattr(customer, "to_ref") else customer
    doc.Line = lines
    if tax_code is not None or total_tax is not None:
        doc.TxnTaxDetail = TxnTaxDetail()
        if tax_code is not None:
            doc.TxnTaxDetail.TxnTaxCodeRef = ref(tax_code)
        if total_tax is not None:
            doc.TxnTaxDetail.TotalTax = total_tax
    for key, value in fields.items():
        setattr(doc, key, value)
    return doc.save(qb=qb)


def payment(qb, customer, total, applied=(), **fields):
    """applied: [(document, amount)] with documents Invoice or CreditMemo objects, or
    [(document, amount, TxnType)] to name the link type ("Check", "Expense" for a Purchase)."""
    doc = Payment()
    doc.CustomerRef = customer.to_ref() if hasattr(customer, "to_ref") else customer
    doc.TotalAmt = total
    for target, amount, *txn_type in applied:
        line = PaymentLine()
        line.Amount = amount
        link = LinkedTxn()
        link.TxnId, link.TxnType = target.Id, txn_type[0] if txn_type else target.qbo_object_name
        line.LinkedTxn = [link]
        doc.Line.append(line)
    for key, value in fields.items():
        setattr(doc, key, value)
    return doc.save(qb=qb)


def purchase(qb, account, lines, payee=None, payment_type="Check", **fields):
    """A Purchase (check, cash or credit card expense) paid from `account`, lines [(account, amount)],
    to `payee` (a Customer, Vendor or Employee object: its to_ref() is typed)."""
    doc = Purchase()
    doc.PaymentType = payment_type
    doc.AccountRef = account.to_ref()
    if payee is not None:
        doc.EntityRef = payee.to_ref()
    for line_account, amount in lines:
        line = AccountBasedExpenseLine()
        line.Amount = amount
        line.AccountBasedExpenseLineDetail = AccountBasedExpenseLineDetail()
        line.AccountBasedExpenseLineDetail.AccountRef = line_account.to_ref()
        doc.Line.append(line)
    for key, value in fields.items():
        setattr(doc, key, value)
    return doc.save(qb=qb)


def customer(qb, name, **fields):
    doc = Customer()
    doc.DisplayName = name
    for key, value in fields.items():
        setattr(doc, key, value)
    return doc.save(qb=qb)


def item(qb, name):
    return find(Item, qb, Name=name)


def tax_code_id(qb, name):
    from quickbooks.objects.taxcode import TaxCode

    return find(TaxCode, qb, Name=name).Id


def set_pref(qb, group, name, value):
    """Flip one preference through the API, as an admin would in QBO's settings."""
    from quickbooks.objects.preferences import Preferences

    prefs = Preferences.get(qb=qb)
    setattr(getattr(prefs, group), name, value)
    return prefs.save(qb=qb)
