"""Bill payments: money paid to a vendor by check (from a Bank account) or by credit card (charged
to a Credit Card account), linked to the bills it settles and the vendor credits it uses.

The BillPayment lines are the single source of truth, as Payment lines are for invoices: a
Bill's and a VendorCredit's Balance is its TotalAmt less what live bill payments apply to it,
recomputed whenever one of them is written or deleted; the vendor's Balance follows
(links.shift_vendor). QBO's API voids no bill payment here (not in the facts sheet): deleting
it gives the bills their balance back."""

from decimal import Decimal

from . import links
from .common import business_fault, currency_ref, given, invalid_value_fault, money, num, ref_value, required_fault
from .validation import invalid_reference_fault, lookup, require

# PayType -> (the detail block naming the account the money leaves from, its account field,
# the AccountType that account must have).
PAY_TYPES = {
    "Check": ("CheckPayment", "BankAccountRef", "Bank"),
    "CreditCard": ("CreditCardPayment", "CCAccountRef", "Credit Card"),
}
# What a bill payment line may link: bills it pays, vendor credits it uses.
LINKABLE = ("Bill", "VendorCredit")


def bill_payment_links(payment):
    """{(entity, TxnId): amount} applied by a bill payment's lines."""
    out = {}
    for line in (payment or {}).get("Line") or []:
        for link in line.get("LinkedTxn") or []:
            key = (link.get("TxnType"), str(link.get("TxnId")))
            out[key] = out.get(key, Decimal(0)) + money(line.get("Amount"))
    return out


def applied_to(tx, entity, txn_id, exclude=None):
    """What live bill payments (other than ``exclude``) apply to a Bill or VendorCredit."""
    total = Decimal(0)
    for payment in tx.all("BillPayment"):
        if payment["Id"] != exclude:
            total += bill_payment_links(payment).get((entity, str(txn_id)), Decimal(0))
    return total


def payable_balance(company, entity, doc):
    """A Bill's or VendorCredit's Balance: its TotalAmt less what bill payments apply to it."""
    applied = applied_to(company.tx, entity, doc["Id"]) if doc.get("Id") else Decimal(0)
    remaining = money(doc.get("TotalAmt")) - applied
    if remaining < 0:
        raise business_fault(
            f"Bill payments of {applied} are applied to this {entity}; its amount cannot drop below them.",
            element="TotalAmt",
        )
    return remaining


def refuse_if_paid(company, entity, existing):
    """A bill or vendor credit a bill payment links is not deleted: the payment goes first."""
    if entity in LINKABLE and applied_to(company.tx, entity, existing["Id"]):
        raise business_fault(
            f"This {entity} is linked to a bill payment; delete the bill payment or remove the {entity} from it first."
        )


def prepare_bill_payment(company, entity, doc, existing, options):
    """A BillPayment: a live vendor, a pay type and the account it is paid from, lines linking
    the vendor's own bills and vendor credits in the payment's currency, none applying more
    than is open; TotalAmt is what the bills take less what the credits give."""
    require(doc, "VendorRef", "PayType")
    vendor = lookup(company.tx, "Vendor", doc["VendorRef"], "VendorRef")
    doc["VendorRef"] = {"value": vendor["Id"], "name": vendor.get("DisplayName")}
    pay_type = doc["PayType"]
    if pay_type not in PAY_TYPES:
        raise invalid_value_fault("PayType", pay_type)
    block, field, account_type = PAY_TYPES[pay_type]
    for other_block, _field, _type in PAY_TYPES.values():
        if other_block != block:
            doc.pop(other_block, None)
    detail = doc.get(block) or {}
    if not ref_value(detail.get(field)):
        raise required_fault(f"{block}.{field}")
    account = lookup(company.tx, "Account", detail[field], f"{block}.{field}")
    if account.get("AccountType") != account_type:
        raise business_fault(
            f"A {pay_type} bill payment is paid from a {account_type} account, not from "
            f"{account.get('Name')} ({account.get('AccountType')}).",
            element=f"{block}.{field}",
        )
    detail[field] = {"value": account["Id"], "name": account.get("Name")}
    doc[block] = detail
    currency = ref_value(doc.get("CurrencyRef")) or ref_value(vendor.get("CurrencyRef")) or company.home_currency
    vendor_currency = ref_value(vendor.get("CurrencyRef")) or company.home_currency
    if currency != vendor_currency:
        raise business_fault(
            f"A bill payment is in its vendor's currency: {vendor.get('DisplayName')} is in {vendor_currency}, "
            f"not {currency}.",
            element="CurrencyRef",
        )
    paying_currency = ref_value(account.get("CurrencyRef")) or company.home_currency
    if paying_currency not in (currency, company.home_currency):
        raise business_fault(
            f"A bill payment in {currency} is paid from an account in that currency or the home currency; "
            f"{account.get('Name')} is in {paying_currency}.",
            element=f"{block}.{field}",
        )
    doc["CurrencyRef"] = currency_ref(currency)
    if not doc.get("Line"):
        raise required_fault("Line")
    wanted = {}
    for line in doc["Line"]:
        line["Amount"] = num(money(line.get("Amount")))
        if money(line["Amount"]) < 0:
            raise business_fault("A bill payment line amount cannot be negative.", element="Line.Amount")
        linked = line.get("LinkedTxn") or []
        if not linked:
            raise required_fault("Line.LinkedTxn")
        for link in linked:
            txn_type, txn_id = link.get("TxnType"), str(link.get("TxnId") or "")
            if txn_type not in LINKABLE:
                raise business_fault(
                    f"A bill payment line can be linked to a Bill or a VendorCredit, not to {txn_type}.",
                    element="Line.LinkedTxn.TxnType",
                )
            target = company.tx.get(txn_type, txn_id) if txn_id else None
            if target is None:
                raise invalid_reference_fault("Line.LinkedTxn.TxnId", txn_type, txn_id)
            if ref_value(target.get("VendorRef")) != vendor["Id"]:
                raise business_fault(f"{txn_type} {txn_id} belongs to another vendor.", element="Line.LinkedTxn")
            if ref_value(target.get("CurrencyRef")) != currency:
                raise business_fault(
                    f"{txn_type} {txn_id} is in another currency than the bill payment.", element="Line.LinkedTxn"
                )
            key = (txn_type, txn_id)
            wanted[key] = wanted.get(key, Decimal(0)) + money(line["Amount"])
    for (txn_type, txn_id), amount in wanted.items():
        available = money(company.tx.get(txn_type, txn_id).get("TotalAmt")) - applied_to(
            company.tx, txn_type, txn_id, exclude=doc.get("Id")
        )
        if amount > available:
            what = "balance" if txn_type == "Bill" else "remaining credit"
            raise business_fault(
                f"The amount applied to {txn_type} {txn_id} ({amount}) is more than its open {what} ({available}).",
                element="Line.Amount",
            )
    paid = sum((a for (t, _), a in wanted.items() if t == "Bill"), Decimal(0))
    credited = sum((a for (t, _), a in wanted.items() if t == "VendorCredit"), Decimal(0))
    total = paid - credited
    if total < 0:
        raise business_fault(
            f"The vendor credits used ({credited}) are more than the bills paid ({paid}).", element="Line"
        )
    if given(doc.get("TotalAmt")) and money(doc["TotalAmt"]) != total:
        raise business_fault(
            f"The bill payment's TotalAmt ({money(doc['TotalAmt'])}) is not what its lines apply ({total}).",
            element="TotalAmt",
        )
    doc["TotalAmt"] = num(total)
    links.set_home_amounts(company, doc)
    return set(wanted) | set(bill_payment_links(existing))


def refresh(company, keys):
    """Recompute and store the Balance of the bills and vendor credits ``keys`` name."""
    for entity, txn_id in sorted(set(keys)):
        doc = company.tx.get(entity, txn_id)
        if doc is None or entity not in LINKABLE:
            continue
        balance = num(payable_balance(company, entity, doc))
        if doc.get("Balance") != balance:
            doc["Balance"] = balance
            links.set_home_amounts(company, doc)
            links.store(company, entity, doc)


def touched_by(entity, doc):
    """The bills and vendor credits a bill payment being deleted links."""
    return set(bill_payment_links(doc)) if entity == "BillPayment" else set()
