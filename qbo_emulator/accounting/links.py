"""Payments applied to invoices, credit memos and checks booked to A/R: balances, LinkedTxn,
release on delete/void.

The Payment lines are the single source of truth: an invoice's Balance and LinkedTxn, a credit
memo's RemainingCredit, a purchase's open A/R amount and LinkedTxn, are recomputed from the live
payments that link them."""

from decimal import Decimal

from .common import OPTIONS, QboFault, business_fault, dec, given, money, num, ref_value, required_fault
from .validation import invalid_reference_fault

# Documents a payment line can settle, by entity: charges raise what the customer owes
# (Invoice; a Purchase paid to the customer and booked to Accounts Receivable), credits lower it.
CHARGES = ("Invoice", "Purchase")
CREDITS = ("CreditMemo",)
APPLICABLE = CHARGES + CREDITS


def link_entity(txn_type):
    """The entity a payment line's LinkedTxn.TxnType names: Invoice and CreditMemo as such; the
    purchase link types of OPTIONS["payment_purchase_link_types"] ("Check", "Expense") a Purchase."""
    if txn_type in ("Invoice", "CreditMemo"):
        return txn_type
    if txn_type in OPTIONS["payment_purchase_link_types"]:
        return "Purchase"
    return None


def payment_links(payment):
    """{(entity, TxnId): amount} applied by a payment's lines (a Check link counts as Purchase)."""
    out = {}
    for line in (payment or {}).get("Line") or []:
        for link in line.get("LinkedTxn") or []:
            key = (link_entity(link.get("TxnType")) or link.get("TxnType"), str(link.get("TxnId")))
            out[key] = out.get(key, Decimal(0)) + money(line.get("Amount"))
    return out


def net_applied(applied):
    """What a payment's applications cost it: charges settled minus credits used."""
    return sum((a for (t, _), a in applied.items() if t in CHARGES), Decimal(0)) - sum(
        (a for (t, _), a in applied.items() if t in CREDITS), Decimal(0)
    )


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


# ---- purchases booked to Accounts Receivable ---------------------------------------------
# A check (or cash / credit card expense) paid to a customer with lines on an A/R account is
# money the customer now owes back: it raises the customer's balance and stays open until a
# payment links it (QBO's "refund a credit memo by check").


def receivable_lines(tx, doc):
    """A purchase's lines booked to an Accounts Receivable account."""
    out = []
    for line in (doc or {}).get("Line") or []:
        detail = (
            line.get("AccountBasedExpenseLineDetail")
            if line.get("DetailType") == "AccountBasedExpenseLineDetail"
            else None
        )
        account_id = ref_value(detail.get("AccountRef")) if isinstance(detail, dict) else None
        account = tx.get("Account", account_id) if account_id else None
        if account and account.get("AccountType") == "Accounts Receivable":
            out.append(line)
    return out


def receivable_total(tx, doc):
    """What a purchase books to Accounts Receivable (negative for a credit card credit,
    Credit: true)."""
    total = sum((money(line.get("Amount")) for line in receivable_lines(tx, doc)), Decimal(0))
    return -total if (doc or {}).get("Credit") is True else total


def customer_of(entity, doc):
    """The customer whose balance a document moves: CustomerRef, or a purchase's payee when it
    is a Customer."""
    if entity == "Purchase":
        ref = (doc or {}).get("EntityRef") or {}
        return ref_value(ref) if isinstance(ref, dict) and ref.get("type") == "Customer" else None
    return ref_value((doc or {}).get("CustomerRef"))


def refuse_customer_change(entity, existing, doc, element):
    """A document that payments link (applied to it, or settling it for a purchase) keeps its
    customer: the payments' customer must stay the document's."""
    if not existing or customer_of(entity, existing) == customer_of(entity, doc):
        return
    if any(l.get("TxnType") == "Payment" for l in existing.get("LinkedTxn") or []):
        what = "a purchase that payments settle" if entity == "Purchase" else "a document with payments applied"
        raise business_fault(f"The customer of {what} cannot change; remove the payments first.", element=element)


def open_amount(company, doc, txn_type):
    """What is still available on a document before any payment is considered."""
    if txn_type == "Invoice":
        return money(doc.get("TotalAmt")) - money(doc.get("Deposit"))
    if txn_type == "Purchase":
        return receivable_total(company.tx, doc)
    return money(doc.get("TotalAmt"))


def open_balance(company, txn_type, doc):
    """What a payment may still apply to a stored document: its Balance (invoices, credit memos),
    or for a purchase, which has no Balance field, its A/R amount less what payments settled."""
    if txn_type == "Purchase":
        return receivable_total(company.tx, doc) - applied_to(company.tx, txn_type, doc)[0]
    return money(doc.get("Balance"))


def apply_balance(company, txn_type, doc, payer_hints=()):
    """Fill Balance / RemainingCredit / LinkedTxn of an invoice or credit memo (a purchase:
    LinkedTxn only) in place."""
    applied, payers = applied_to(company.tx, txn_type, doc, payer_hints) if doc.get("Id") else (Decimal(0), [])
    remaining = open_amount(company, doc, txn_type) - applied
    if remaining < 0 and (applied or txn_type != "Purchase") and OPTIONS["refuse_over_application"]:
        what = "its Accounts Receivable amount" if txn_type == "Purchase" else "its amount"
        raise business_fault(
            f"Payments of {applied} are applied to this {txn_type.lower()}; {what} cannot drop below them.",
            element="TotalAmt",
        )
    if txn_type != "Purchase":
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
# Customer.Balance = open invoices + open A/R purchases - unused credit memos - unapplied
# payments, kept by deltas: every write of those entities goes through store()/remove() below.
# A purchase has no Balance field, so it counts its whole A/R amount and each payment counts what
# it settled of purchases on top of its UnappliedAmt: the same sum, read off each document alone.


def _receivable(company, entity, doc):
    """(customer id, what this document adds to that customer's balance)."""
    if not doc:
        return None, Decimal(0)
    if entity == "Invoice":
        amount = money(doc.get("Balance"))
    elif entity == "CreditMemo":
        amount = -money(doc.get("RemainingCredit"))
    elif entity == "Payment":
        settled = sum((a for (t, _), a in payment_links(doc).items() if t == "Purchase"), Decimal(0))
        amount = -(money(doc.get("UnappliedAmt")) + settled)
    elif entity == "Purchase":
        amount = receivable_total(company.tx, doc)
    else:
        return None, Decimal(0)
    return customer_of(entity, doc), amount


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
    old_customer, old_amount = _receivable(company, entity, old)
    new_customer, new_amount = _receivable(company, entity, new)
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


# ---- vendor balance -------------------------------------------------------------------
# Vendor.Balance = open bills - unused vendor credits, in the vendor's currency, kept by deltas
# as the customer's (bill payments move it through the balances of what they link).

VENDOR_SIGN = {"Bill": 1, "VendorCredit": -1}


def _payable(entity, doc):
    if not doc or entity not in VENDOR_SIGN:
        return None, Decimal(0)
    return ref_value(doc.get("VendorRef")), VENDOR_SIGN[entity] * money(doc.get("Balance"))


def shift_vendor(company, vendor_id, delta):
    vendor = company.tx.get("Vendor", vendor_id) if vendor_id and delta else None
    if vendor is not None:
        vendor["Balance"] = num(money(vendor.get("Balance")) + delta)
        company.tx.update("Vendor", vendor)


def _rebalance_vendor(company, entity, old, new):
    old_vendor, old_amount = _payable(entity, old)
    new_vendor, new_amount = _payable(entity, new)
    if old_vendor == new_vendor:
        shift_vendor(company, new_vendor, new_amount - old_amount)
    else:
        shift_vendor(company, old_vendor, -old_amount)
        shift_vendor(company, new_vendor, new_amount)


def _side_effects(company, entity, old, new):
    _rebalance(company, entity, old, new)
    _rebalance_vendor(company, entity, old, new)
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
            entity = link_entity(txn_type)
            if entity is None:
                kinds = ", ".join(("Invoice", "CreditMemo") + tuple(OPTIONS["payment_purchase_link_types"]))
                raise business_fault(
                    f"A payment line can be linked to one of {kinds}, not to {txn_type}.",
                    element="Line.LinkedTxn.TxnType",
                )
            target = tx.get(entity, txn_id) if txn_id else None
            if target is None:
                raise invalid_reference_fault("Line.LinkedTxn.TxnId", txn_type, txn_id)
            if entity == "Purchase":
                _check_purchase_link(tx, txn_type, target)
            if customer_of(entity, target) != customer_id:
                raise business_fault(f"{txn_type} {txn_id} belongs to another customer.", element="Line.LinkedTxn")
            if ref_value(target.get("CurrencyRef")) != ref_value(doc.get("CurrencyRef")):
                raise business_fault(
                    f"{txn_type} {txn_id} is in another currency than the payment.", element="Line.LinkedTxn"
                )
            key = (entity, txn_id)
            wanted[key] = wanted.get(key, Decimal(0)) + money(line["Amount"])
    for (entity, txn_id), amount in wanted.items():
        if amount < 0:
            raise business_fault("A payment line amount cannot be negative.", element="Line.Amount")
        available = open_balance(company, entity, tx.get(entity, txn_id)) + previous.get((entity, txn_id), Decimal(0))
        if amount > available and OPTIONS["refuse_over_application"]:
            what = {"Invoice": "balance", "CreditMemo": "remaining credit", "Purchase": "Accounts Receivable amount"}[
                entity
            ]
            raise business_fault(
                f"The amount applied to {entity} {txn_id} ({amount}) is more than its open {what} ({available}).",
                element="Line.Amount",
            )
    net = net_applied(wanted)
    unapplied = total - net
    if unapplied < 0:
        raise business_fault(
            f"The amount applied ({net}) is more than the payment amount ({total}).", element="TotalAmt"
        )
    doc["UnappliedAmt"] = num(unapplied)
    set_home_amounts(company, doc)
    default_deposit_account(company, doc)
    return set(wanted) | set(previous)


def _check_purchase_link(tx, txn_type, purchase):
    """A Check link names a check, an Expense link a cash or credit card purchase, and either
    must have booked something to Accounts Receivable for the payment to settle."""
    kinds = OPTIONS["payment_purchase_link_types"][txn_type]
    if purchase.get("PaymentType") not in kinds:
        raise business_fault(
            f"Purchase {purchase['Id']} is paid by {purchase.get('PaymentType')}: a payment "
            f"links it as {_link_type_for(purchase)}, not as {txn_type}.",
            element="Line.LinkedTxn.TxnType",
        )
    if receivable_total(tx, purchase) <= 0:
        raise business_fault(
            f"{txn_type} {purchase['Id']} books nothing to Accounts Receivable; "
            f"there is nothing for a payment to settle.",
            element="Line.LinkedTxn",
        )


def _link_type_for(purchase):
    for link_type, kinds in OPTIONS["payment_purchase_link_types"].items():
        if purchase.get("PaymentType") in kinds:
            return link_type
    return "?"


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
    key = (txn_type, str(txn_id))
    for payment in tx.all("Payment"):
        if key not in payment_links(payment):
            continue
        lines = []
        for line in payment.get("Line") or []:
            links = [
                l
                for l in line.get("LinkedTxn") or []
                if (link_entity(l.get("TxnType")) or l.get("TxnType"), str(l.get("TxnId"))) != key
            ]
            if links:
                lines.append({**line, "LinkedTxn": links})
        payment["Line"] = lines
        applied = payment_links(payment)
        unapplied = money(payment.get("TotalAmt")) - net_applied(applied)
        if unapplied < 0:
            # the credit memo was paying part of an invoice: the payment would over-apply
            raise business_fault(
                f"{txn_type} {txn_id} is applied by Payment {payment['Id']}, which "
                f"would then apply more than it brings; edit the payment first."
            )
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
        raise QboFault(
            "6540",
            "Deposited Transaction cannot be changed",
            "This transaction has been deposited. If you want to change or delete it, you must "
            f"first edit the deposit it appears on and remove it. (Deposit Id={deposit['Id']})",
        )


def check_deposit(company, doc):
    """Deposit lines linking a payment or sales receipt: it must wait in Undeposited Funds and
    not sit on another deposit; an amount left at 0 takes the transaction's total."""
    tx = company.tx
    undeposited = company.account_by_subtype("UndepositedFunds")
    for line in doc.get("Line") or []:
        for link in line.get("LinkedTxn") or []:
            txn_type, txn_id = link.get("TxnType"), str(link.get("TxnId") or "")
            if txn_type not in DEPOSITABLE:
                raise business_fault(
                    f"A deposit line can link a Payment or a SalesReceipt, not {txn_type}.",
                    element="Line.LinkedTxn.TxnType",
                )
            target = tx.get(txn_type, txn_id) if txn_id else None
            if target is None:
                raise invalid_reference_fault("Line.LinkedTxn.TxnId", txn_type, txn_id)
            if not undeposited or ref_value(target.get("DepositToAccountRef")) != undeposited["Id"]:
                raise business_fault(f"{txn_type} {txn_id} is not in Undeposited Funds.", element="Line.LinkedTxn")
            if deposit_holding(tx, txn_type, txn_id, exclude=doc.get("Id")):
                raise business_fault(f"{txn_type} {txn_id} is already on another deposit.", element="Line.LinkedTxn")
            if not money(line.get("Amount")):
                line["Amount"] = target.get("TotalAmt")
