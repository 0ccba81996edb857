"""Per-entity rules: defaults, derived fields and checks that only one entity (family) has.

Each `prepare_*` receives the company context, the document to store (already merged with
the existing one on update) and the existing object (None on create); it mutates the document
and returns the set of (TxnType, TxnId) whose balances the write may change."""

import datetime
from decimal import Decimal

from . import bill_payments, links
from .amounts import check_line_limit, compute_sales
from .common import (
    CURRENCY_NAMES,
    OPTIONS,
    currency_ref,
    QboFault,
    business_fault,
    dec,
    given,
    invalid_reference_fault,
    invalid_value_fault,
    money,
    num,
    ref_value,
    required_fault,
)
from .validation import (
    PARTIES,
    PERSON_NAME_PARTS,
    SALES_DOCS,
    assign_doc_number,
    check_currency,
    check_open_period,
    check_tracking,
    lookup,
    require,
)

MAX_SUB_LEVEL = 4

# AccountType -> (Classification, default AccountSubType)
ACCOUNT_TYPES = {
    "Bank": ("Asset", "Checking"),
    "Other Current Asset": ("Asset", "OtherCurrentAssets"),
    "Fixed Asset": ("Asset", "MachineryAndEquipment"),
    "Other Asset": ("Asset", "OtherLongTermAssets"),
    "Accounts Receivable": ("Asset", "AccountsReceivable"),
    "Equity": ("Equity", "OpeningBalanceEquity"),
    "Expense": ("Expense", "OtherMiscellaneousServiceCost"),
    "Other Expense": ("Expense", "OtherMiscellaneousExpense"),
    "Cost of Goods Sold": ("Expense", "SuppliesMaterialsCogs"),
    "Accounts Payable": ("Liability", "AccountsPayable"),
    "Credit Card": ("Liability", "CreditCard"),
    "Long Term Liability": ("Liability", "NotesPayable"),
    "Other Current Liability": ("Liability", "OtherCurrentLiabilities"),
    "Income": ("Revenue", "SalesOfProductIncome"),
    "Other Income": ("Revenue", "OtherMiscellaneousIncome"),
}
SUBTYPE_TO_TYPE = {
    "Checking": "Bank",
    "Savings": "Bank",
    "UndepositedFunds": "Other Current Asset",
    "AccountsReceivable": "Accounts Receivable",
    "AccountsPayable": "Accounts Payable",
    "CreditCard": "Credit Card",
    "SalesOfProductIncome": "Income",
    "ServiceFeeIncome": "Income",
    "SuppliesMaterialsCogs": "Cost of Goods Sold",
    "Inventory": "Other Current Asset",
    # Bank subtypes, and the liability money held in trust is owed as.
    "CashOnHand": "Bank",
    "MoneyMarket": "Bank",
    "TrustAccounts": "Bank",
    "RentsHeldInTrust": "Bank",
    "TrustAccountsLiabilities": "Other Current Liability",
}
ITEM_TYPES = ("Service", "NonInventory", "Inventory", "Category", "Group")
ITEM_NEEDS = {  # Type -> accounts/fields QBO requires
    "Service": ("IncomeAccountRef",),
    "Inventory": ("IncomeAccountRef", "AssetAccountRef", "ExpenseAccountRef", "QtyOnHand", "InvStartDate"),
}
PAYMENT_METHOD_TYPES = ("CREDIT_CARD", "NON_CREDIT_CARD")


def today(company):
    return company.tx.now().date().isoformat()


# ---- name lists -----------------------------------------------------------------------


def _hierarchy(company, entity, doc, name_field, flag_field):
    """FullyQualifiedName, Level and the sub-object flag from ParentRef (<= 4 levels, no cycle)."""
    parent_id = ref_value(doc.get("ParentRef"))
    if parent_id is None:
        doc.pop("ParentRef", None)
        doc["FullyQualifiedName"] = doc.get(name_field)
        doc["Level"] = 0
        if flag_field:
            doc[flag_field] = False
        return
    if parent_id == doc.get("Id"):
        raise QboFault("900", "Parent cannot be child", "An object cannot be its own parent.", element="ParentRef")
    parent = lookup(company.tx, entity, doc["ParentRef"], "ParentRef")
    ancestor = parent
    while ancestor is not None and ref_value(ancestor.get("ParentRef")):
        if ref_value(ancestor.get("ParentRef")) == doc.get("Id"):
            raise QboFault(
                "900", "Parent cannot be child", "The parent is a descendant of this object.", element="ParentRef"
            )
        ancestor = company.tx.get(entity, ref_value(ancestor["ParentRef"]))
    level = int(parent.get("Level") or 0) + 1
    if level > MAX_SUB_LEVEL:
        raise business_fault(
            f"Sub-levels are limited to {MAX_SUB_LEVEL} below the top {entity.lower()}.", element="ParentRef"
        )
    doc["ParentRef"] = {"value": parent["Id"], "name": parent.get(name_field)}
    doc["FullyQualifiedName"] = f"{parent.get('FullyQualifiedName') or parent.get(name_field)}:{doc.get(name_field)}"
    doc["Level"] = level
    if flag_field:
        doc[flag_field] = True


def cascade_names(company, entity, stored, name_field):
    """A renamed parent renames the FullyQualifiedName of its descendants."""
    for child in company.tx.all(entity):
        if ref_value(child.get("ParentRef")) == stored["Id"]:
            fqn = f"{stored['FullyQualifiedName']}:{child.get(name_field)}"
            if child.get("FullyQualifiedName") != fqn:
                child["FullyQualifiedName"] = fqn
                child["ParentRef"] = {"value": stored["Id"], "name": stored.get(name_field)}
                company.tx.update(entity, child)
                cascade_names(company, entity, child, name_field)


def prepare_party(company, entity, doc, existing, options):
    if not given(doc.get("DisplayName")):
        parts = [doc.get(p) for p in PERSON_NAME_PARTS if given(doc.get(p))]
        name = " ".join(parts) or doc.get("CompanyName")
        if not given(name):
            raise QboFault(
                "6080",
                "No Name Provided",
                "Title, GivenName, MiddleName, FamilyName, DisplayName, Suffix - one of these must be non-empty",
                element="DisplayName",
            )
        doc["DisplayName"] = name
    if not given(doc.get("PrintOnCheckName")):
        doc["PrintOnCheckName"] = doc["DisplayName"]
    doc["Active"] = doc.get("Active", True) is not False
    if entity == "Vendor":
        doc["Balance"] = (existing or {}).get("Balance", 0.0)  # computed: open bills less unused credits
    if entity == "Customer":
        _customer(company, doc, existing)
    elif company.multicurrency or given(doc.get("CurrencyRef")):
        _currency_once(company, doc, existing)
    return set()


def _currency_once(company, doc, existing):
    """One currency per name, set at creation and never changed afterwards."""
    old = ref_value((existing or {}).get("CurrencyRef"))
    currency = ref_value(doc.get("CurrencyRef")) or old or company.home_currency  # omitted: kept
    check_currency(company, currency)
    if old and old != currency:
        raise business_fault(
            f"The currency of a customer or vendor cannot be changed once set (it is {old}).", element="CurrencyRef"
        )
    doc["CurrencyRef"] = currency_ref(currency)


def _customer(company, doc, existing):
    _hierarchy(company, "Customer", doc, "DisplayName", "Job")
    if not doc.get("Job"):
        doc["BillWithParent"] = False
    _currency_once(company, doc, existing)
    for key in ("Balance", "BalanceWithJobs"):
        doc[key] = (existing or {}).get(key, 0.0)
    if (
        existing
        and existing.get("Active", True)
        and not doc["Active"]
        and OPTIONS["refuse_deactivate_with_balance"]
        and money(existing.get("Balance")) != 0
    ):
        raise business_fault(
            "Delete List Has Balance Error: The entity you are trying to delete has an open "
            "balance. This customer cannot be made inactive because it has a non-zero "
            "balance.",
            element="Active",
        )
    doc.setdefault("Taxable", company.is_us)


def prepare_item(company, entity, doc, existing, options):
    require(doc, "Name")
    kind = doc.get("Type") if given(doc.get("Type")) else "NonInventory"
    if kind not in ITEM_TYPES:
        raise invalid_value_fault("Type", kind)
    doc["Type"] = kind
    for field in ITEM_NEEDS.get(kind, ()):
        value = doc.get(field)
        if not (ref_value(value) if isinstance(value, dict) else given(value) or value == 0):
            raise required_fault(field)
    doc["TrackQtyOnHand"] = kind == "Inventory"
    doc["Active"] = doc.get("Active", True) is not False
    doc["UnitPrice"] = num(dec(doc.get("UnitPrice")))
    _hierarchy(company, "Item", doc, "Name", "SubItem")
    return set()


def prepare_account(company, entity, doc, existing, options):
    require(doc, "Name")
    kind, subtype = doc.get("AccountType"), doc.get("AccountSubType")
    if not given(kind) and not given(subtype):
        raise QboFault(
            "6010",
            "Invalid Account.AccountType && Account.SubType",
            "Either an Account.AccountType or an Account.AccountSubType must be specified",
            element="AccountType",
        )
    kind = kind if given(kind) else SUBTYPE_TO_TYPE.get(subtype)
    if kind not in ACCOUNT_TYPES:
        raise invalid_value_fault("AccountType", kind)
    classification, default_subtype = ACCOUNT_TYPES[kind]
    if given(subtype) and SUBTYPE_TO_TYPE.get(subtype, kind) != kind:
        raise QboFault(
            "6010",
            "Invalid Account.AccountType && Account.SubType",
            f"AccountSubType {subtype} is not a subtype of {kind}.",
            element="AccountSubType",
        )
    doc["AccountType"], doc["Classification"] = kind, classification
    doc["AccountSubType"] = subtype if given(subtype) else default_subtype
    doc["Active"] = doc.get("Active", True) is not False
    for key in ("CurrentBalance", "CurrentBalanceWithSubAccounts"):
        doc[key] = (existing or {}).get(key, 0.0)
    _own_currency(company, doc)
    _hierarchy(company, "Account", doc, "Name", "SubAccount")
    return set()


def _own_currency(company, doc):
    """The currency a record states (the home currency when it states none), checked against
    the company's and stored as a full CurrencyRef."""
    currency = ref_value(doc.get("CurrencyRef")) or company.home_currency
    check_currency(company, currency)
    doc["CurrencyRef"] = currency_ref(currency)


def prepare_simple_list(company, entity, doc, existing, options):
    """Class, Department, Term, PaymentMethod, TaxAgency."""
    name_field = "DisplayName" if entity == "TaxAgency" else "Name"
    require(doc, name_field)
    doc["Active"] = doc.get("Active", True) is not False
    if entity in ("Class", "Department"):
        _hierarchy(company, entity, doc, "Name", "SubClass" if entity == "Class" else "SubDepartment")
    elif entity == "Term":
        if given(doc.get("DayOfMonthDue")):
            doc["Type"] = "DATE_DRIVEN"
        else:
            doc["Type"] = "STANDARD"
            doc["DueDays"] = int(dec(doc.get("DueDays")))
    elif entity == "PaymentMethod":
        kind = doc.get("Type") if given(doc.get("Type")) else "NON_CREDIT_CARD"
        if kind not in PAYMENT_METHOD_TYPES:
            raise invalid_value_fault("Type", kind)
        doc["Type"] = kind
    return set()


def prepare_company_currency(company, entity, doc, existing, options):
    """A foreign currency the company uses (multicurrency only). Code is an ISO 4217 code, set at
    creation; Name is QBO's; Active:false retires it (name lists are never deleted)."""
    require(doc, "Code")
    code = str(doc["Code"]).upper()
    if existing and code != existing.get("Code"):
        raise business_fault("The Code of a company currency cannot be changed.", element="Code")
    if code not in CURRENCY_NAMES:
        raise invalid_value_fault("Code", code, f"Invalid Enumeration : {code} is not a supported currency code")
    if not company.multicurrency:
        raise business_fault(
            "Multicurrency is turned off (Preferences.CurrencyPrefs.MultiCurrencyEnabled).", element="Code"
        )
    if code == company.home_currency:
        raise business_fault(f"{code} is the home currency; it is always active.", element="Code")
    doc["Code"], doc["Name"] = code, CURRENCY_NAMES[code]
    doc["Active"] = doc.get("Active", True) is not False
    return set()


def activate_default_currencies(tx):
    """Multicurrency just turned on: the currencies of OPTIONS["multicurrency_default_currencies"]
    become active CompanyCurrency objects (the home currency is not one)."""
    prefs = tx.preferences() or {}
    home = ref_value((prefs.get("CurrencyPrefs") or {}).get("HomeCurrency"))
    present = {c.get("Code") for c in tx.all("CompanyCurrency")}
    for code in OPTIONS["multicurrency_default_currencies"]:
        if code != home and code not in present and code in CURRENCY_NAMES:
            tx.insert("CompanyCurrency", {"Code": code, "Name": CURRENCY_NAMES[code], "Active": True})


# ---- transactions ---------------------------------------------------------------------


def _dated(company, doc, existing):
    """TxnDate defaults to today; neither the new nor the old date may lie in closed books."""
    if not given(doc.get("TxnDate")):
        doc["TxnDate"] = today(company)
    check_open_period(company, doc["TxnDate"], (existing or {}).get("TxnDate"))


def _document_currency(company, doc, customer):
    """A document is in its customer's currency; the exchange rate is 1 for the home currency."""
    currency = (
        ref_value(doc.get("CurrencyRef")) or ref_value((customer or {}).get("CurrencyRef")) or company.home_currency
    )
    check_currency(company, currency)
    if customer and ref_value(customer.get("CurrencyRef")) not in (None, currency):
        raise business_fault(
            f"The transaction currency ({currency}) must be the customer's currency "
            f"({ref_value(customer.get('CurrencyRef'))}).",
            element="CurrencyRef",
        )
    doc["CurrencyRef"] = currency_ref(currency)
    if currency == company.home_currency:
        doc["ExchangeRate"] = 1
    else:
        rate = dec(doc.get("ExchangeRate") or 1)  # QBO would use its rate table; we have none
        if rate <= 0:
            raise business_fault("ExchangeRate must be positive.", element="ExchangeRate")
        doc["ExchangeRate"] = num(rate)
    if not company.multicurrency:
        doc.pop("ExchangeRate", None)


def _due_date(company, doc, customer):
    if given(doc.get("DueDate")):
        return
    term_id = (
        ref_value(doc.get("SalesTermRef"))
        or ref_value((customer or {}).get("SalesTermRef"))
        or ref_value(company.pref("SalesFormsPrefs", "DefaultTerms"))
    )
    term = company.tx.get("Term", term_id) if term_id else None
    issued = datetime.date.fromisoformat(str(doc["TxnDate"])[:10])
    if term:
        doc["SalesTermRef"] = {"value": term["Id"], "name": term.get("Name")}
    doc["DueDate"] = term_due_date(term or {}, issued).isoformat()


def term_due_date(term, issued):
    """STANDARD: issued + DueDays. DATE_DRIVEN: DayOfMonthDue of the month, or of the next month
    when the document is issued after it or within DueNextMonthDays before it."""
    if term.get("Type") != "DATE_DRIVEN":
        return issued + datetime.timedelta(days=int(dec(term.get("DueDays"))))
    day, margin = int(dec(term.get("DayOfMonthDue"))), int(dec(term.get("DueNextMonthDays")))

    def on_day(year, month):
        last = (datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)).day
        return datetime.date(year, month, min(day, last))

    due = on_day(issued.year, issued.month)
    if issued > due - datetime.timedelta(days=margin):
        due = on_day(issued.year + issued.month // 12, issued.month % 12 + 1)
    return due


def _require_lines(doc):
    if not isinstance(doc.get("Line"), list) or not doc["Line"]:
        raise required_fault("Line")


def prepare_sales(company, entity, doc, existing, options):
    require(doc, "CustomerRef")
    _require_lines(doc)
    if entity == "RefundReceipt":
        require(doc, "DepositToAccountRef")
    customer = lookup(company.tx, "Customer", doc["CustomerRef"], "CustomerRef")
    doc["CustomerRef"] = {"value": customer["Id"], "name": customer.get("DisplayName")}
    links.refuse_customer_change(entity, existing, doc, "CustomerRef")
    _document_currency(company, doc, customer)
    check_tracking(company, doc)
    _dated(company, doc, existing)
    if existing is None:
        for field, source in (("BillAddr", "BillAddr"), ("ShipAddr", "ShipAddr"), ("BillEmail", "PrimaryEmailAddr")):
            if not given(doc.get(field)) and given(customer.get(source)):
                doc[field] = dict(customer[source])  # QBO copies them from the customer
    assign_doc_number(company, entity, doc, existing, options)
    compute_sales(company, doc, existing)
    check_line_limit(company, doc)
    if entity == "Invoice":
        _due_date(company, doc, customer)
        links.apply_balance(company, entity, doc)
    elif entity == "CreditMemo":
        links.apply_balance(company, entity, doc)
    elif entity in ("SalesReceipt", "RefundReceipt"):
        if entity == "SalesReceipt":
            links.default_deposit_account(company, doc)
        _receipt_deposit_account(company, doc)
        doc["Balance"] = 0.0
        links.set_home_amounts(company, doc)
    else:
        links.set_home_amounts(company, doc)
    return set()


# A receipt's money goes into (comes out of) one of these (Intuit: DepositToAccountRef).
RECEIPT_DEPOSIT_ACCOUNT_TYPES = ("Bank", "Other Current Asset")


def _receipt_deposit_account(company, doc):
    """A sales or refund receipt's money goes through a Bank or Other Current Asset account
    (Undeposited Funds is one); a Credit Card or any other account is refused."""
    if not ref_value(doc.get("DepositToAccountRef")):
        return
    account = lookup(company.tx, "Account", doc["DepositToAccountRef"], "DepositToAccountRef")
    if account.get("AccountType") not in RECEIPT_DEPOSIT_ACCOUNT_TYPES:
        raise business_fault(
            f"The deposit account of a receipt must be a Bank or Other Current Asset account, "
            f"not {account.get('Name')} ({account.get('AccountType')}).",
            element="DepositToAccountRef",
        )


def prepare_payment(company, entity, doc, existing, options):
    require(doc, "CustomerRef")
    customer = lookup(company.tx, "Customer", doc["CustomerRef"], "CustomerRef")
    doc["CustomerRef"] = {"value": customer["Id"], "name": customer.get("DisplayName")}
    _document_currency(company, doc, customer)
    check_tracking(company, doc)
    _dated(company, doc, existing)
    return links.prepare_payment(company, doc, existing)


def _sum_lines(doc):
    total = Decimal(0)
    for line in doc["Line"]:
        line["Amount"] = num(money(line.get("Amount")))
        total += money(line["Amount"])
    return total


# entity -> the header fields it requires besides Line
OTHER_TXN_REQUIRED = {
    "Bill": ("VendorRef",),
    "VendorCredit": ("VendorRef",),
    "Purchase": ("AccountRef", "PaymentType"),
    "Deposit": ("DepositToAccountRef",),
    "JournalEntry": (),
}


def prepare_other_txn(company, entity, doc, existing, options):
    """Bill, VendorCredit, Purchase, Deposit, JournalEntry: required fields, references, TotalAmt."""
    require(doc, *OTHER_TXN_REQUIRED[entity])
    _require_lines(doc)
    check_tracking(company, doc)
    _dated(company, doc, existing)
    if entity == "Purchase":
        _purchase(company, doc, existing)
    elif entity in PAYABLES:
        _payable(company, entity, doc, existing)
    else:
        _own_currency(company, doc)
    if entity == "Deposit":
        _deposit(company, doc)
        links.check_deposit(company, doc)
    total = _sum_lines(doc)
    if entity == "JournalEntry":
        sides = {"Debit": Decimal(0), "Credit": Decimal(0)}
        for line in doc["Line"]:
            detail = line.get("JournalEntryLineDetail") or {}
            posting = detail.get("PostingType")
            if posting not in sides:
                raise required_fault("Line.JournalEntryLineDetail.PostingType")
            if not ref_value(detail.get("AccountRef")):
                raise required_fault("Line.JournalEntryLineDetail.AccountRef")
            sides[posting] += money(line["Amount"])
        if sides["Debit"] != sides["Credit"]:
            raise business_fault(
                "Transaction is not balanced: the debits and credits of a journal entry must be equal.", element="Line"
            )
        total = sides["Debit"]
    if entity in PAYABLES:
        total += _payable_tax(company, doc)
    doc["TotalAmt"] = num(total)
    if entity in PAYABLES:
        doc["Balance"] = num(bill_payments.payable_balance(company, entity, {**doc, "TotalAmt": num(total)}))
    if entity == "Purchase":
        links.apply_balance(company, entity, doc)  # its LinkedTxn to the payments settling it
    links.set_home_amounts(company, doc)
    return set()


# The account types a deposit may go into (Intuit: a bank account; the emulator also takes an
# Other Current Asset, as a receipt's DepositToAccountRef).
DEPOSIT_ACCOUNT_TYPES = ("Bank", "Other Current Asset")


def _deposit(company, doc):
    """A deposit goes into a Bank account (6000 otherwise); a line that links no payment books
    money from its DepositLineDetail.AccountRef (required), received from its Entity (a live
    customer, vendor or employee, returned with its type)."""
    account = lookup(company.tx, "Account", doc["DepositToAccountRef"], "DepositToAccountRef")
    if account.get("AccountType") not in DEPOSIT_ACCOUNT_TYPES:
        raise business_fault(
            f"A deposit goes into a bank account, not into {account.get('Name')} ({account.get('AccountType')}).",
            element="DepositToAccountRef",
        )
    doc["DepositToAccountRef"] = {"value": account["Id"], "name": account.get("Name")}
    for line in doc["Line"]:
        if line.get("LinkedTxn"):
            continue
        detail = line.get("DepositLineDetail") or {}
        if not ref_value(detail.get("AccountRef")):
            raise required_fault("Line.DepositLineDetail.AccountRef")
        lookup(company.tx, "Account", detail["AccountRef"], "Line.DepositLineDetail.AccountRef")
        entity = detail.get("Entity")
        if ref_value(entity):
            value = ref_value(entity)
            kind = entity.get("type") if given(entity.get("type")) else None
            if kind is not None and kind not in PARTIES:
                raise invalid_value_fault("Line.DepositLineDetail.Entity.type", kind)
            kind = kind or next((k for k in PARTIES if company.tx.get(k, value) is not None), "Customer")
            party = lookup(company.tx, kind, entity, "Line.DepositLineDetail.Entity")  # 610 when inactive
            detail["Entity"] = {"value": party["Id"], "name": party.get("DisplayName"), "type": kind}


# What a company owes its vendors: a Bill, and a VendorCredit (what a vendor owes back).
PAYABLES = ("Bill", "VendorCredit")


def _payable(company, entity, doc, existing):
    """A Bill or VendorCredit: its vendor is a live Vendor (610 when inactive), whose currency
    the document is in; account lines name an account, item lines an item, Qty x UnitPrice
    making the Amount (6070); the vendor of a bill never changes to another."""
    vendor = lookup(company.tx, "Vendor", doc["VendorRef"], "VendorRef")
    doc["VendorRef"] = {"value": vendor["Id"], "name": vendor.get("DisplayName")}
    currency = ref_value(doc.get("CurrencyRef")) or ref_value(vendor.get("CurrencyRef")) or company.home_currency
    check_currency(company, currency)
    vendor_currency = ref_value(vendor.get("CurrencyRef")) or company.home_currency
    if currency != vendor_currency:
        raise business_fault(
            f"A {entity} is in its vendor's currency: {vendor.get('DisplayName')} is in {vendor_currency}, "
            f"not {currency}.",
            element="CurrencyRef",
        )
    doc["CurrencyRef"] = currency_ref(currency)
    for line in doc["Line"]:
        kind = line.get("DetailType")
        detail = line.get(kind) or {}
        if kind == "AccountBasedExpenseLineDetail":
            if not ref_value(detail.get("AccountRef")):
                raise required_fault("Line.AccountBasedExpenseLineDetail.AccountRef")
            lookup(company.tx, "Account", detail["AccountRef"], "Line.AccountBasedExpenseLineDetail.AccountRef")
        elif kind == "ItemBasedExpenseLineDetail":
            if not ref_value(detail.get("ItemRef")):
                raise required_fault("Line.ItemBasedExpenseLineDetail.ItemRef")
            lookup(company.tx, "Item", detail["ItemRef"], "Line.ItemBasedExpenseLineDetail.ItemRef")
            qty, price = dec(detail.get("Qty")), dec(detail.get("UnitPrice"))
            if qty and price and money(qty * price) != money(line.get("Amount")):
                raise QboFault(
                    "6070",
                    "Amount calculation incorrect in the request",
                    f"Amount is not equal to UnitPrice * Qty. Supplied value:{line.get('Amount')}",
                    element="Line.Amount",
                )
        if not company.is_us and detail.get("TaxCodeRef"):
            lookup(company.tx, "TaxCode", detail["TaxCodeRef"], f"Line.{kind}.TaxCodeRef")
        _billable(company, kind, detail)


# A bill line's BillableStatus (Intuit's enumeration).
BILLABLE_STATUSES = ("Billable", "NotBillable", "HasBeenBilled")


def _billable(company, kind, detail):
    """A billable expense line: its status one of BILLABLE_STATUSES, its CustomerRef a live
    customer (or sub-customer), which a Billable line needs; the customer's name filled in."""
    status = detail.get("BillableStatus")
    if given(status) and status not in BILLABLE_STATUSES:
        raise invalid_value_fault(f"Line.{kind}.BillableStatus", status)
    if ref_value(detail.get("CustomerRef")):
        customer = lookup(company.tx, "Customer", detail["CustomerRef"], f"Line.{kind}.CustomerRef")
        detail["CustomerRef"] = {"value": customer["Id"], "name": customer.get("FullyQualifiedName")}
    elif status == "Billable":
        raise business_fault(
            "A billable expense line needs the customer it is billable to.", element=f"Line.{kind}.CustomerRef"
        )


def _payable_tax(company, doc):
    """The tax a Bill or VendorCredit adds to its lines. QuickBooks US keeps no tax on purchases
    (a US bill's tax is part of its lines' cost): a TxnTaxDetail sent is dropped. Elsewhere the
    TotalTax sent is kept (tax-excluded lines; tax-included lines hold it already), else none."""
    detail = doc.get("TxnTaxDetail")
    if company.is_us:
        doc.pop("TxnTaxDetail", None)
        doc.pop("GlobalTaxCalculation", None)
        return Decimal(0)
    doc.setdefault("GlobalTaxCalculation", "TaxExcluded")
    if doc["GlobalTaxCalculation"] not in ("TaxExcluded", "TaxInclusive", "NotApplicable"):
        raise invalid_value_fault("GlobalTaxCalculation", doc["GlobalTaxCalculation"])
    if not isinstance(detail, dict) or doc["GlobalTaxCalculation"] != "TaxExcluded":
        return Decimal(0)
    tax = money(detail.get("TotalTax") or 0)
    detail["TotalTax"] = num(tax)
    return tax


# Purchase.PaymentType -> the AccountType(s) the money may leave from (AccountRef).
PURCHASE_ACCOUNT_TYPES = {
    "Check": ("Bank",),
    "CreditCard": ("Credit Card",),
    "Cash": ("Bank", "Credit Card", "Other Current Asset"),
}
RECEIVABLE_NEEDS_CUSTOMER = "When you use Accounts Receivable, you must choose a customer in the Name field."


def _purchase(company, doc, existing):
    """A check, cash or credit card purchase: the account the money leaves from suits the
    payment type; the payee (EntityRef) is a live party; lines booked to Accounts Receivable
    need a Customer payee, whose currency the purchase is in."""
    kind = doc["PaymentType"]
    if kind not in PURCHASE_ACCOUNT_TYPES:
        raise invalid_value_fault("PaymentType", kind)
    account = lookup(company.tx, "Account", doc["AccountRef"], "AccountRef")
    if account.get("AccountType") not in PURCHASE_ACCOUNT_TYPES[kind]:
        allowed = " or ".join(PURCHASE_ACCOUNT_TYPES[kind])
        raise business_fault(
            f"A {kind} purchase is paid from a {allowed} account, not from "
            f"{account.get('Name')} ({account.get('AccountType')}).",
            element="AccountRef",
        )
    for line in doc["Line"]:
        detail = line.get("AccountBasedExpenseLineDetail")
        if line.get("DetailType") == "AccountBasedExpenseLineDetail" and not ref_value(
            (detail or {}).get("AccountRef")
        ):
            raise required_fault("Line.AccountBasedExpenseLineDetail.AccountRef")
    payee_type, payee = _payee(company, doc)
    if links.receivable_lines(company.tx, doc) and payee_type != "Customer":
        raise business_fault(RECEIVABLE_NEEDS_CUSTOMER, element="EntityRef")
    if payee_type == "Customer":
        _document_currency(company, doc, payee)
    else:
        _own_currency(company, doc)
    paying_currency = ref_value(account.get("CurrencyRef")) or company.home_currency
    if ref_value(doc["CurrencyRef"]) != paying_currency:
        raise business_fault(
            f"A purchase in {ref_value(doc['CurrencyRef'])} is paid from an account in that currency; "
            f"{account.get('Name')} is in {paying_currency}.",
            element="AccountRef",
        )
    links.refuse_customer_change("Purchase", existing, doc, "EntityRef")


def _payee(company, doc):
    """(type, object) of the purchase's EntityRef, its type filled in as QBO returns it; an
    EntityRef without a type is looked for among customers, vendors and employees."""
    ref = doc.get("EntityRef")
    value = ref_value(ref)
    if value is None:
        doc.pop("EntityRef", None)
        return None, None
    kind = ref.get("type") if given(ref.get("type")) else None
    if kind is not None and kind not in PARTIES:
        raise invalid_value_fault("EntityRef.type", kind)
    for candidate in (kind,) if kind else PARTIES:
        if company.tx.get(candidate, value) is not None:
            payee = lookup(company.tx, candidate, ref, "EntityRef")  # 610 when inactive
            doc["EntityRef"] = {"value": payee["Id"], "name": payee.get("DisplayName"), "type": candidate}
            return candidate, payee
    raise invalid_reference_fault("EntityRef", kind or "Entity", value)


def prepare_singleton(company, entity, doc, existing, options):
    """Preferences: the home currency never changes and multicurrency cannot be turned off."""
    if entity != "Preferences" or not existing:
        return set()
    old, new = existing.get("CurrencyPrefs") or {}, doc.get("CurrencyPrefs") or {}
    if ref_value(new.get("HomeCurrency")) not in (None, ref_value(old.get("HomeCurrency"))):
        raise business_fault("The home currency cannot be changed.", element="CurrencyPrefs.HomeCurrency")
    if old.get("MultiCurrencyEnabled") and new.get("MultiCurrencyEnabled") is False:
        raise business_fault(
            "Multicurrency cannot be turned off once it is on.", element="CurrencyPrefs.MultiCurrencyEnabled"
        )
    return set()


# entity -> its preparer; every preparer takes (company, entity, doc, existing, options)
PREPARERS = {
    **dict.fromkeys(("Customer", "Vendor", "Employee"), prepare_party),
    "Item": prepare_item,
    "Account": prepare_account,
    **dict.fromkeys(("Class", "Department", "Term", "PaymentMethod", "TaxAgency"), prepare_simple_list),
    "CompanyCurrency": prepare_company_currency,
    **dict.fromkeys(SALES_DOCS, prepare_sales),
    "Payment": prepare_payment,
    **dict.fromkeys(OTHER_TXN_REQUIRED, prepare_other_txn),
    **dict.fromkeys(("CompanyInfo", "Preferences"), prepare_singleton),
    "BillPayment": bill_payments.prepare_bill_payment,
}
