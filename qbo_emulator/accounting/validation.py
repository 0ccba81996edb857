"""Rules shared by many entities, each written once and driven by tables."""

import datetime

from .common import (
    OPTIONS,
    QboFault,
    business_fault,
    given,
    inactive_reference_fault,
    invalid_reference_fault,
    length_fault,
    ref_value,
    required_fault,
)

PARTIES = ("Customer", "Vendor", "Employee")
SALES_DOCS = ("Invoice", "CreditMemo", "SalesReceipt", "RefundReceipt", "Estimate")
PERSON_NAME_PARTS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")

# (entity or "*", dotted field) -> max length. "*" applies to every entity carrying the field.
LENGTH_LIMITS = {
    ("*", "DisplayName"): 500,
    ("*", "Title"): 16,
    ("*", "GivenName"): 100,
    ("*", "MiddleName"): 100,
    ("*", "FamilyName"): 100,
    ("*", "Suffix"): 16,
    ("*", "CompanyName"): 100,
    ("*", "PrintOnCheckName"): 110,
    ("*", "Notes"): 2000,
    ("*", "PrimaryEmailAddr.Address"): 100,
    ("*", "DocNumber"): 21,
    ("*", "PrivateNote"): 4000,
    ("*", "PaymentRefNum"): 21,
    ("*", "CustomerMemo.value"): 1000,
    ("*", "Line.Description"): 4000,
    ("Item", "Name"): 100,
    ("Item", "Sku"): 100,
    ("Item", "Description"): 4000,
    ("Account", "Name"): 100,
    ("Account", "AcctNum"): 20,
    ("Class", "Name"): 100,
    ("Department", "Name"): 100,
    ("Term", "Name"): 31,
    ("PaymentMethod", "Name"): 31,
    ("TaxAgency", "DisplayName"): 100,
}

# Fields that become part of a FullyQualifiedName or a list display name: QBO refuses
# the separator ':' and control characters in them.
NAME_FIELDS = {
    "Customer": ("DisplayName", "CompanyName") + PERSON_NAME_PARTS,
    "Vendor": ("DisplayName", "CompanyName") + PERSON_NAME_PARTS,
    "Employee": ("DisplayName",) + PERSON_NAME_PARTS,
    "Item": ("Name",),
    "Account": ("Name",),
    "Class": ("Name",),
    "Department": ("Name",),
    "Term": ("Name",),
    "PaymentMethod": ("Name",),
    "TaxAgency": ("DisplayName",),
}
FORBIDDEN_NAME_CHARS = (":", "\t", "\n", "\r")

# entity -> (name field, entities sharing one namespace)
UNIQUE_NAMES = {
    "Customer": ("DisplayName", PARTIES),
    "Vendor": ("DisplayName", PARTIES),
    "Employee": ("DisplayName", PARTIES),
    "Item": ("Name", ("Item",)),
    "Account": ("Name", ("Account",)),
    "Class": ("Name", ("Class",)),
    "Department": ("Name", ("Department",)),
    "Term": ("Name", ("Term",)),
    "PaymentMethod": ("Name", ("PaymentMethod",)),
    "TaxAgency": ("DisplayName", ("TaxAgency",)),
    "CompanyCurrency": ("Code", ("CompanyCurrency",)),
    "TaxCode": ("Name", ("TaxCode",)),  # both created only through /taxservice/taxcode
    "TaxRate": ("Name", ("TaxRate",)),
}

# Ref field -> referenced entity. ParentRef points at the writer's own entity.
REF_TARGETS = {
    "CustomerRef": "Customer",
    "VendorRef": "Vendor",
    "EmployeeRef": "Employee",
    "ItemRef": "Item",
    "SalesTermRef": "Term",
    "TermRef": "Term",
    "PaymentMethodRef": "PaymentMethod",
    "ClassRef": "Class",
    "DepartmentRef": "Department",
    "TaxCodeRef": "TaxCode",
    "TxnTaxCodeRef": "TaxCode",
    "SalesTaxCodeRef": "TaxCode",
    "PurchaseTaxCodeRef": "TaxCode",
    "DefaultTaxCodeRef": "TaxCode",
    "TaxRateRef": "TaxRate",
    "AgencyRef": "TaxAgency",
    "DepositToAccountRef": "Account",
    "IncomeAccountRef": "Account",
    "ExpenseAccountRef": "Account",
    "AssetAccountRef": "Account",
    "ARAccountRef": "Account",
    "APAccountRef": "Account",
    "AccountRef": "Account",
    "DiscountAccountRef": "Account",
    "ItemAccountRef": "Account",
    "BankAccountRef": "Account",
    "CCAccountRef": "Account",
}
# Sub-trees that carry references QBO regenerates or that point at transactions.
REF_SKIP = {"TaxLine", "LinkedTxn", "MetaData", "SubTotalLineDetail"}
US_PSEUDO_TAX_CODES = ("TAX", "NON")


DATE_FIELDS = ("TxnDate", "DueDate", "ShipDate", "InvStartDate", "OpenBalanceDate")
# Line DetailTypes an entity family accepts.
LINE_KINDS = {
    "sales": ("SalesItemLineDetail", "GroupLineDetail", "DescriptionOnly", "DiscountLineDetail", "SubTotalLineDetail"),
    "Bill": ("AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail"),
    "VendorCredit": ("AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail"),
    "Purchase": ("AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail"),
    "Deposit": ("DepositLineDetail",),
    "JournalEntry": ("JournalEntryLineDetail", "DescriptionOnly"),
}


OBJECT_LISTS = ("Line", "LinkedTxn", "TaxLine", "TaxRateDetail", "CustomField")


def _unsupported(name, value):
    return QboFault(
        "2010",
        "Request has invalid or unsupported property",
        f"Property Name:{name} specified is unsupported or invalid (value {value!r})",
        element=name,
    )


def check_shape(entity, doc):
    """Malformed JSON answers QBO's 2010 rather than an emulator crash: references are
    objects, Line is a list of objects with a known DetailType, dates are yyyy-mm-dd."""

    def walk(node):
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key.endswith("Ref") and value is not None and not isinstance(value, dict):
                    raise _unsupported(key, value)
                if (
                    key in OBJECT_LISTS
                    and value is not None
                    and not (isinstance(value, list) and all(isinstance(v, dict) for v in value))
                ):
                    raise _unsupported(key, value)
                walk(value)

    walk(doc)
    for field in DATE_FIELDS:
        value = doc.get(field)
        if given(value):
            try:
                datetime.date.fromisoformat(str(value)[:10])
            except ValueError:
                raise _unsupported(field, value) from None
    lines = doc.get("Line") or []
    kinds = LINE_KINDS.get("sales" if entity in SALES_DOCS else entity)
    for line in lines:
        kind = line.get("DetailType")
        if kinds and given(kind) and kind not in kinds:
            raise QboFault("2170", "Invalid Enumeration", f"Invalid Enumeration : {kind}", element="Line.DetailType")
        if given(kind) and line.get(kind) is not None and not isinstance(line.get(kind), dict):
            raise _unsupported(kind, line.get(kind))


def _dig(obj, dotted):
    """Yield every value at a dotted path, walking through lists."""
    parts = dotted.split(".")
    stack = [(obj, 0)]
    while stack:
        cur, i = stack.pop()
        if isinstance(cur, list):
            stack.extend((c, i) for c in cur)
            continue
        if i == len(parts):
            yield cur
            continue
        if isinstance(cur, dict) and parts[i] in cur:
            stack.append((cur[parts[i]], i + 1))


def check_lengths(entity, doc):
    for (owner, field), limit in LENGTH_LIMITS.items():
        if owner not in ("*", entity):
            continue
        for value in _dig(doc, field):
            if isinstance(value, str) and len(value) > limit:
                raise length_fault(field, limit, len(value))


def check_name_characters(entity, doc):
    for field in NAME_FIELDS.get(entity, ()):
        value = doc.get(field)
        if isinstance(value, str) and any(c in value for c in FORBIDDEN_NAME_CHARS):
            raise QboFault(
                "2040",
                "Invalid String. The String may contain unsupported or illegal chars",
                f"Element contains invalid characters. {value}",
                element=field,
            )


def check_unique_name(tx, entity, doc, element=None):
    """6240 when another record of the namespace has doc's name (trimmed, any case). `element`
    names the field in the fault when the request spelled it otherwise (TaxService's
    TaxRateName)."""
    field, namespace = UNIQUE_NAMES.get(entity, (None, ()))
    name = doc.get(field)
    if not given(name):
        return
    wanted = str(name).strip().casefold()
    for other_entity in namespace:
        for other in tx.all(other_entity):
            if other_entity == entity and other.get("Id") == doc.get("Id"):
                continue
            if str(other.get(field, "")).strip().casefold() == wanted:
                raise QboFault(
                    "6240",
                    "Duplicate Name Exists Error",
                    f"The name supplied already exists. : Another {other_entity.lower()} is "
                    f"already using this name. Please use a different name. "
                    f"{other_entity} Id={other['Id']}",
                    element=element or field,
                )


def require(doc, *fields):
    for field in fields:
        value = doc.get(field)
        if isinstance(value, dict):
            value = ref_value(value)
        if not given(value):
            raise required_fault(field)


def lookup(tx, entity, ref, element):
    """The referenced object, or the fault QBO answers for a dangling or inactive reference."""
    value = ref_value(ref)
    obj = tx.get(entity, value) if value is not None else None
    if obj is None:
        raise invalid_reference_fault(element, entity, value)
    if obj.get("Active", True) is False and OPTIONS["refuse_inactive_references"]:
        raise inactive_reference_fault(element, entity, value)
    return obj


def check_references(company, entity, doc):
    """Every *Ref in the document must name a live, active object of the right entity."""
    tx = company.tx

    def walk(node):
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            if key in REF_SKIP:
                continue
            target = entity if key == "ParentRef" else REF_TARGETS.get(key)
            if target and isinstance(value, dict):
                if ref_value(value) is None:
                    continue
                if (
                    target == "TaxCode"
                    and company.is_us
                    and key != "TxnTaxCodeRef"
                    and ref_value(value) in US_PSEUDO_TAX_CODES
                ):
                    continue
                lookup(tx, target, value, key)
            elif isinstance(value, (dict, list)):
                walk(value)

    walk(doc)


def check_tracking(company, doc):
    """ClassRef / DepartmentRef are accepted only when the company tracks them."""
    if ref_value(doc.get("ClassRef")) and not company.pref("AccountingInfoPrefs", "ClassTrackingPerTxn"):
        raise business_fault(
            "Class tracking per transaction is turned off (Preferences.AccountingInfoPrefs.ClassTrackingPerTxn).",
            element="ClassRef",
        )
    if ref_value(doc.get("DepartmentRef")) and not company.pref("AccountingInfoPrefs", "TrackDepartments"):
        raise business_fault(
            "Location tracking is turned off (Preferences.AccountingInfoPrefs.TrackDepartments).",
            element="DepartmentRef",
        )
    for line in doc.get("Line") or []:
        detail = line.get(line.get("DetailType") or "") or {}
        if (
            isinstance(detail, dict)
            and ref_value(detail.get("ClassRef"))
            and not company.pref("AccountingInfoPrefs", "ClassTrackingPerTxnLine")
        ):
            raise business_fault(
                "Class tracking per line is turned off (Preferences.AccountingInfoPrefs.ClassTrackingPerTxnLine).",
                element="Line.ClassRef",
            )


# ---- document numbers -----------------------------------------------------------------


def assign_doc_number(company, entity, doc, existing, options):
    """Auto-number when the company does not let users number, or nothing was sent;
    refuse a number already used by another document of the same type."""
    tx = company.tx
    auto = not company.custom_txn_numbers or doc.get("AutoDocNumber") is True or not given(doc.get("DocNumber"))
    doc.pop("AutoDocNumber", None)
    others = [o for o in tx.all(entity) if o.get("Id") != doc.get("Id")]
    if auto:
        if existing and given(existing.get("DocNumber")) and not company.custom_txn_numbers:
            doc["DocNumber"] = existing["DocNumber"]  # numbers QBO assigned are not the client's to change
            return
        used = [int(o["DocNumber"]) for o in others if str(o.get("DocNumber", "")).isdigit()]
        doc["DocNumber"] = str(max(used + [OPTIONS["first_doc_number"] - 1]) + 1)
        return
    number = str(doc["DocNumber"])
    doc["DocNumber"] = number
    if "allowduplicatedocnum" in {s.lower() for s in (options or {}).get("include", ())}:
        return
    for other in others:
        if str(other.get("DocNumber", "")) == number:
            raise QboFault(
                "6140",
                "Duplicate Document Number Error",
                "You must specify a different number. This number has already been used. "
                f"DocNumber={number} is assigned to TxnType={entity} with TxnId={other['Id']}",
                element="DocNumber",
            )


# ---- currency -------------------------------------------------------------------------


def active_currencies(tx):
    """The foreign currencies a multicurrency company has active (its CompanyCurrency list)."""
    return {c.get("Code") for c in tx.all("CompanyCurrency") if c.get("Active", True) is not False}


def check_currency(company, currency, element="CurrencyRef"):
    """Multicurrency off: the home currency only. On: the home currency or one the company has
    active (CompanyCurrency)."""
    if currency == company.home_currency:
        return
    if not company.multicurrency:
        raise business_fault(
            f"Multicurrency is turned off: only the home currency "
            f"{company.home_currency} can be used (got {currency}).",
            element=element,
        )
    if currency not in active_currencies(company.tx):
        raise business_fault(
            f"The currency {currency} is not active in this company: add it to the "
            f"company's currencies (CompanyCurrency) first.",
            element=element,
        )


# ---- closed books ---------------------------------------------------------------------


def check_open_period(company, *dates):
    """Nothing dated on or before Preferences.AccountingInfoPrefs.BookCloseDate is written."""
    close = company.pref("AccountingInfoPrefs", "BookCloseDate")
    if not given(close):
        return
    for date in dates:
        if given(date) and str(date)[:10] <= str(close)[:10]:
            raise QboFault(
                "6210",
                "Account Period Closed, cannot update through API",
                "The account period has closed and the books can not be updated through "
                f"the API. Please log into QuickBooks Online to update. (closed through {close})",
                element="TxnDate",
            )
