"""Payments applied to invoices and credit memos: balances, LinkedTxn, release on delete/void.

The Payment lines are the single source of truth: an invoice's Balance and LinkedTxn, a credit
memo's RemainingCredit, are recomputed from the live payments that link them."""
from decimal import Decimal

from .common import OPTIONS, QboFault, business_fault, dec, given, money, num, ref_value, required_fault
from .validation import invalid_reference_fault

APPLICABLE = ("Invoice", "CreditMemo")


def payment_links(payment):
    """{(TxnType, TxnId): amount} applied by a payment's lines."""
    out = {}
    for line in (payment or {}).get("Line") or []:
        for link in line.get("LinkedTxn") or []:
            key = (link.get("TxnType"), str(link.get("TxnId")))
            out[key] = out.get(key, Decimal(0)) + money(line.get("Amount"))
    return out


def applied_to(tx, txn_type, doc, payer_hints=()):
    """(amount, [payment ids]) applied to a document by live payments. The stored document's
    LinkedTxn lists its payers (the emulator keeps it complete); a payment being written is
    passed as a hint because the document does not list it yet."""
    stored = tx.get(txn_type, doc["Id"]) or {}
    candidates = [l.get("TxnId") for l in stored.get("LinkedTxn") or [] if l.get("TxnType") == "Payment"]
    total, payers = Decimal(0), []
    for pid in dict.fromkeys(candidates + list(payer_hints)):
        amount = payment_links(tx.get("Payment", pid)).get((txn_type, str(doc["Id"])))
        if amount:
            total += amount
            payers.append(pid)
    return total, payers


def open_amount(doc, txn_type):
    """What is still available on a document before any payment is considered."""
    if txn_type == "Invoice":
        return money(doc.get("TotalAmt")) - money(doc.get("Deposit"))
    return money(doc.get("TotalAmt"))


def apply_balance(company, txn_type, doc, payer_hints=()):
    """Fill Balance / RemainingCredit / LinkedTxn of an invoice or credit memo in place."""
    applied, payers = (applied_to(company.tx, txn_type, doc, payer_hints) if doc.get("Id")
                       else (Decimal(0), []))
    remaining = open_amount(doc, txn_type) - applied
    if remaining < 0 and OPTIONS["refuse_over_application"]:
        raise business_fault(f"Payments of {applied} are applied to this {txn_type.lower()}; its amount "
                             f"cannot drop below them.", element="TotalAmt")
    doc["Balance"] = num(remaining)
    if txn_type == "CreditMemo":
        doc["RemainingCredit"] = num(remaining)
    kept = [l for l in doc.get("LinkedTxn") or [] if l.get("TxnType") != "Payment"]
    doc["LinkedTxn"] = kept + [{"TxnId": pid, "TxnType": "Payment"} for pid in payers]
    set_home_amounts(company, doc)


def set_home_amounts(company, doc):
    if not company.multicurrency:
        for key in ("HomeTotalAmt", "HomeBalance"):
            doc.pop(key, None)
        return
    rate = dec(doc.get("ExchangeRate") or 1)
    doc["HomeTotalAmt"] = num(money(dec(doc.get("TotalAmt")) * rate))
    if "Balance" in doc:
        doc["HomeBalance"] = num(money(dec(doc.get("Balance")) * rate))


def refresh(company, keys, payer_hints=()):
    """Recompute and store the documents whose applied amounts may have changed."""
    tx = company.tx
    for txn_type, txn_id in sorted(set(keys)):
        doc = tx.get(txn_type, txn_id)
        if doc is None:
            continue
        watched = ("Balance", "RemainingCredit", "LinkedTxn", "HomeBalance")
        before = [doc.get(k) for k in watched]
        apply_balance(company, txn_type, doc, payer_hints)
        if [doc.get(k) for k in watched] != before:
            store(company, txn_type, doc)


# ---- customer balance -----------------------------------------------------------------
# Customer.Balance = open invoices - unused credit memos - unapplied payments, kept by deltas:
# every write of those three entities goes through store()/remove() below.

RECEIVABLE = {"Invoice": ("Balance", 1), "CreditMemo": ("RemainingCredit", -1), "Payment": ("UnappliedAmt", -1)}


def _receivable(entity, doc):
    field, sign = RECEIVABLE.get(entity, (None, 0))
    if not doc or field is None:
        return None, Decimal(0)
    return ref_value(doc.get("CustomerRef")), sign * money(doc.get(field))


def shift_customer(company, customer_id, delta, own=True):
    """Add delta to a customer's Balance (own) and to BalanceWithJobs up its parent chain."""
    tx = company.tx
    seen = set()
    while customer_id and delta and customer_id not in seen:
        seen.add(customer_id)
        customer = tx.get("Customer", customer_id)
        if customer is None:
            return
        if own:
            customer["Balance"] = num(money(customer.get("Balance")) + delta)
            own = False
        customer["BalanceWithJobs"] = num(money(customer.get("BalanceWithJobs")) + delta)
        tx.update("Customer", customer)
        customer_id = ref_value(customer.get("ParentRef"))


def _rebalance(company, entity, old, new):
    old_customer, old_amount = _receivable(entity, old)
    new_customer, new_amount = _receivable(entity, new)
    if old_customer == new_customer:
        shift_customer(company, new_customer, new_amount - old_amount)
    else:
        shift_customer(company, old_customer, -old_amount)
        shift_customer(company, new_customer, new_amount)


# ---- inventory ------------------------------------------------------------------------
# Selling an Inventory item takes it off the shelf, a credit memo or refund puts it back.

STOCK_SIGN = {"Invoice": -1, "SalesReceipt": -1, "CreditMemo": 1, "RefundReceipt": 1}


def _quantities(doc):
    out = {}
    for line in (doc or {}).get("Line") or []:
        detail = line.get("SalesItemLineDetail") if line.get("DetailType") == "SalesItemLineDetail" else None
        if isinstance(detail, dict) and ref_value(detail.get("ItemRef")):
            item_id = ref_value(detail["ItemRef"])
            out[item_id] = out.get(item_id, Decimal(0)) + dec(detail.get("Qty"))
    return out


def _restock(company, entity, old, new):
    sign = STOCK_SIGN.get(entity)
    if not sign:
        return
    before, after = _quantities(old), _quantities(new)
    for item_id in sorted(set(before) | set(after)):
        delta = sign * (after.get(item_id, Decimal(0)) - before.get(item_id, Decimal(0)))
        item = company.tx.get("Item", item_id) if delta else None
        if item and item.get("Type") == "Inventory":
            item["QtyOnHand"] = num(dec(item.get("QtyOnHand")) + delta)
            company.tx.update("Item", item)


def _side_effects(company, entity, old, new):
    _rebalance(company, entity, old, new)
    _restock(company, entity, old, new)


def store(company, entity, doc):
    """Insert (no Id) or update an object, keeping customer balances and stock in step."""
    tx = company.tx
    old = tx.get(entity, doc["Id"]) if doc.get("Id") else None
    stored = tx.update(entity, doc) if old is not None else tx.insert(entity, doc)
    _side_effects(company, entity, old, stored)
    return stored


def remove(company, entity, obj_id):
    tx = company.tx
    old = tx.get(entity, obj_id)
    tx.delete(entity, obj_id)
    _side_effects(company, entity, old, None)


def prepare_payment(company, doc, existing):
    """Validate a payment's application and compute UnappliedAmt."""
    tx = company.tx
    if not given(doc.get("TotalAmt")):
        raise required_fault("TotalAmt")
    total = money(doc["TotalAmt"])
    if total < 0:
        raise business_fault("The payment amount cannot be negative.", element="TotalAmt")
    doc["TotalAmt"] = num(total)
    customer_id = ref_value(doc.get("CustomerRef"))
    previous = payment_links(existing)
    wanted = {}
    for line in doc.get("Line") or []:
        line["Amount"] = num(money(line.get("Amount")))
        links = line.get("LinkedTxn") or []
        if not links:
            raise required_fault("Line.LinkedTxn")
        for link in links:
            txn_type, txn_id = link.get("TxnType"), str(link.get("TxnId") or "")
            if txn_type not in APPLICABLE:
                raise business_fault(f"A payment line can be linked to an Invoice or a CreditMemo, "
                                     f"not to {txn_type}.", element="Line.LinkedTxn.TxnType")
            target = tx.get(txn_type, txn_id) if txn_id else None
            if target is None:
                raise invalid_reference_fault("Line.LinkedTxn.TxnId", txn_type, txn_id)
            if ref_value(target.get("CustomerRef")) != customer_id:
                raise business_fault(f"{txn_type} {txn_id} belongs to another customer.",
                                     element="Line.LinkedTxn")
            if ref_value(target.get("CurrencyRef")) != ref_value(doc.get("CurrencyRef")):
                raise business_fault(f"{txn_type} {txn_id} is in another currency than the payment.",
                                     element="Line.LinkedTxn")
            key = (txn_type, txn_id)
            wanted[key] = wanted.get(key, Decimal(0)) + money(line["Amount"])
    applied = {"Invoice": Decimal(0), "CreditMemo": Decimal(0)}
    for (txn_type, txn_id), amount in wanted.items():
        if amount < 0:
            raise business_fault("A payment line amount cannot be negative.", element="Line.Amount")
        target = tx.get(txn_type, txn_id)
        available = money(target.get("Balance")) + previous.get((txn_type, txn_id), Decimal(0))
        if amount > available and OPTIONS["refuse_over_application"]:
            what = "balance" if txn_type == "Invoice" else "remaining credit"
            raise business_fault(f"The amount applied to {txn_type} {txn_id} ({amount}) is more than "
                                 f"its open {what} ({available}).", element="Line.Amount")
        applied[txn_type] += amount
    unapplied = total - (applied["Invoice"] - applied["CreditMemo"])
    if unapplied < 0:
        raise business_fault(f"The amount applied ({applied['Invoice'] - applied['CreditMemo']}) is "
                             f"more than the payment amount ({total}).", element="TotalAmt")
    doc["UnappliedAmt"] = num(unapplied)
    set_home_amounts(company, doc)
    default_deposit_account(company, doc)
    return set(wanted) | set(previous)


def default_deposit_account(company, doc):
    """Money received without a destination waits in Undeposited Funds, as in QBO."""
    if not ref_value(doc.get("DepositToAccountRef")):
        undeposited = company.account_by_subtype("UndepositedFunds")
        if undeposited:
            doc["DepositToAccountRef"] = {"value": undeposited["Id"], "name": undeposited["Name"]}


def release(company, txn_type, txn_id):
    """Unlink a document from every payment (it is being deleted or voided): the payments
    keep their TotalAmt and the released amount becomes unapplied credit."""
    tx = company.tx
    for payment in tx.all("Payment"):
        if (txn_type, str(txn_id)) not in payment_links(payment):
            continue
        lines = []
        for line in payment.get("Line") or []:
            links = [l for l in line.get("LinkedTxn") or []
                     if (l.get("TxnType"), str(l.get("TxnId"))) != (txn_type, str(txn_id))]
            if links:
                lines.append({**line, "LinkedTxn": links})
        payment["Line"] = lines
        applied = payment_links(payment)
        net = sum((a for (t, _), a in applied.items() if t == "Invoice"), Decimal(0)) - \
            sum((a for (t, _), a in applied.items() if t == "CreditMemo"), Decimal(0))
        unapplied = money(payment.get("TotalAmt")) - net
        if unapplied < 0:
            # the credit memo was paying part of an invoice: the payment would over-apply
            raise business_fault(f"{txn_type} {txn_id} is applied by Payment {payment['Id']}, which "
                                 f"would then apply more than it brings; edit the payment first.")
        payment["UnappliedAmt"] = num(unapplied)
        store(company, "Payment", payment)
        refresh(company, applied.keys())


# ---- deposits -------------------------------------------------------------------------
# Payments and sales receipts wait in Undeposited Funds until a Deposit line links them; from
# then on QBO refuses to change them (6540) until the deposit lets go.

DEPOSITABLE = ("Payment", "SalesReceipt")


def deposit_holding(tx, entity, txn_id, exclude=None):
    for deposit in tx.all("Deposit"):
        if deposit["Id"] == exclude:
            continue
        for line in deposit.get("Line") or []:
            for link in line.get("LinkedTxn") or []:
                if (link.get("TxnType"), str(link.get("TxnId"))) == (entity, str(txn_id)):
                    return deposit
    return None


def refuse_if_deposited(company, entity, doc):
    if entity not in DEPOSITABLE:
        return
    deposit = deposit_holding(company.tx, entity, doc["Id"])
    if deposit is not None:
        raise QboFault("6540", "Deposited Transaction cannot be changed",
                       "This transaction has been deposited. If you want to change or delete it, you must "
                       f"first edit the deposit it appears on and remove it. (Deposit Id={deposit['Id']})")


def check_deposit(company, doc):
    """Deposit lines linking a payment or sales receipt: it must wait in Undeposited Funds and
    not sit on another deposit; an amount left at 0 takes the transaction's total."""
    tx = company.tx
    undeposited = company.account_by_subtype("UndepositedFunds")
    for line in doc.get("Line") or []:
        for link in line.get("LinkedTxn") or []:
            txn_type, txn_id = link.get("TxnType"), str(link.get("TxnId") or "")
            if txn_type not in DEPOSITABLE:
                raise business_fault(f"A deposit line can link a Payment or a SalesReceipt, not {txn_type}.",
                                     element="Line.LinkedTxn.TxnType")
            target = tx.get(txn_type, txn_id) if txn_id else None
            if target is None:
                raise invalid_reference_fault("Line.LinkedTxn.TxnId", txn_type, txn_id)
            if not undeposited or ref_value(target.get("DepositToAccountRef")) != undeposited["Id"]:
                raise business_fault(f"{txn_type} {txn_id} is not in Undeposited Funds.", element="Line.LinkedTxn")
            if deposit_holding(tx, txn_type, txn_id, exclude=doc.get("Id")):
                raise business_fault(f"{txn_type} {txn_id} is already on another deposit.", element="Line.LinkedTxn")
            if not money(line.get("Amount")):
                line["Amount"] = target.get("TotalAmt")
