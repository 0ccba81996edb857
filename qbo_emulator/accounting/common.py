"""Shared helpers: money arithmetic, the company context, the fault vocabulary, tunables."""

from decimal import Decimal, ROUND_HALF_UP, InvalidOperation

from ..faults import QboFault

CENT = Decimal("0.01")

# Behaviour where QBO's is unknown or not reproducible offline. Tests and embedders may
# change these at run time; ACCOUNTING.md explains each one.
OPTIONS = {
    # Automated Sales Tax (Preferences.TaxPrefs.PartnerTaxEnabled): QBO asks its tax engine;
    # the emulator applies this flat percentage to taxable lines.
    "automated_sales_tax_rate": Decimal("8.25"),
    # Deactivating a customer whose open balance is not zero is refused.
    "refuse_deactivate_with_balance": True,
    # A payment line applying more than the linked invoice's balance (or credit memo's remaining
    # credit) is refused; when off, the document's balance may go negative.
    "refuse_over_application": True,
    # A reference to an inactive list object is refused (610).
    "refuse_inactive_references": True,
    # Tax rounding: "total" rounds each rate's tax once over the document, "line" rounds per line.
    "tax_rounding": "total",
    # First number handed out when a document is auto-numbered.
    "first_doc_number": 1001,
    # Payment Line.LinkedTxn.TxnType naming a Purchase booked to Accounts Receivable -> the
    # Purchase.PaymentType values it may name (QBO's docs do not spell these names out).
    "payment_purchase_link_types": {"Check": ("Check",), "Expense": ("Cash", "CreditCard")},
    # A taxable sales document (Invoice, CreditMemo, SalesReceipt, RefundReceipt, Estimate) may
    # have at most this many lines (QBO's SubTotalLine not counted).
    "max_taxable_lines": 750,
    # Currencies a company has active (CompanyCurrency) as soon as multicurrency is turned on,
    # besides its home currency; () makes every foreign currency an explicit CompanyCurrency.
    "multicurrency_default_currencies": ("USD", "CAD", "EUR", "GBP", "AUD", "MXN", "INR", "JPY"),
}

# The ISO 4217 currencies the emulator knows (a CompanyCurrency can only be one of these).
CURRENCY_NAMES = {
    "USD": "United States Dollar",
    "CAD": "Canadian Dollar",
    "EUR": "Euro",
    "GBP": "British Pound Sterling",
    "AUD": "Australian Dollar",
    "MXN": "Mexican Peso",
    "INR": "Indian Rupee",
    "JPY": "Japanese Yen",
    "CHF": "Swiss Franc",
    "NZD": "New Zealand Dollar",
    "SEK": "Swedish Krona",
    "NOK": "Norwegian Krone",
    "DKK": "Danish Krone",
    "PLN": "Polish Zloty",
    "CZK": "Czech Koruna",
    "HUF": "Hungarian Forint",
    "CNY": "Chinese Yuan Renminbi",
    "HKD": "Hong Kong Dollar",
    "SGD": "Singapore Dollar",
    "ZAR": "South African Rand",
    "BRL": "Brazilian Real",
    "ILS": "Israeli New Shekel",
    "KRW": "South Korean Won",
    "TRY": "Turkish Lira",
    "AED": "UAE Dirham",
    "SAR": "Saudi Riyal",
    "THB": "Thai Baht",
    "PHP": "Philippine Peso",
    "MYR": "Malaysian Ringgit",
    "IDR": "Indonesian Rupiah",
}


def currency_ref(code):
    return {"value": code, "name": CURRENCY_NAMES.get(code, code)}


BUSINESS_MESSAGE = "A business validation error has occurred while processing your request"


def money(value):
    """Any JSON number or numeric string -> Decimal rounded half-up to cents."""
    return dec(value).quantize(CENT, rounding=ROUND_HALF_UP)


def dec(value):
    if value is None or value == "":
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise QboFault(
            "2010", "Request has invalid or unsupported property", f"Property value {value!r} is not a number"
        )


def num(d):
    """Decimal -> JSON number as QBO writes it (108.0, 12.5)."""
    return float(d)


def given(value):
    """python-quickbooks sends "" and 0 for fields the caller never set: treat them as absent."""
    return value not in (None, "", [], {})


def ref_value(ref):
    if isinstance(ref, dict):
        v = ref.get("value")
        return str(v) if given(v) else None
    if given(ref):
        return str(ref)
    return None


def prune(obj):
    """QBO returns only non-empty properties."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            v = prune(v)
            if v is None or v == "" or v == {} or (v == [] and k != "Line"):
                continue
            out[k] = v
        return out
    if isinstance(obj, list):
        return [prune(v) for v in obj]
    return obj


# ---- faults ---------------------------------------------------------------------------


def business_fault(detail, element=None):
    return QboFault("6000", BUSINESS_MESSAGE, "Business Validation Error: " + detail, element=element)


def required_fault(element):
    return QboFault(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {element} is missing in the request",
        element=element,
    )


def length_fault(element, limit, supplied):
    return QboFault(
        "2050",
        "String length is either shorter or longer than supported by specification",
        f"String length specified does not match the supported length. Min:0 Max:{limit} supplied length:{supplied}",
        element=element,
    )


def invalid_reference_fault(element, entity, value):
    return QboFault(
        "2500",
        "Invalid Reference Id",
        f"Invalid Reference Id : {entity} assigned is not valid (Id={value})",
        element=element,
    )


def inactive_reference_fault(element, entity, value):
    return QboFault(
        "610",
        "Object Not Found",
        "Object Not Found : Something you're trying to use has been made inactive. Check the "
        f"fields with accounts, customers, items, vendors or employees. ({entity} Id={value})",
        element=element,
    )


def invalid_value_fault(element, value, detail=None):
    return QboFault("2170", "Invalid Enumeration", detail or f"Invalid Enumeration : {value}", element=element)


# ---- company context ------------------------------------------------------------------


class Company:
    """What the rules need to know about the realm, read once per hook call."""

    def __init__(self, tx):
        self.tx = tx
        self.info = tx.company_info() or {}
        self.prefs = tx.preferences() or {}

    def pref(self, group, name, default=None):
        return (self.prefs.get(group) or {}).get(name, default)

    @property
    def country(self):
        return self.info.get("Country") or "US"

    @property
    def is_us(self):
        return self.country == "US"

    @property
    def home_currency(self):
        cur = self.pref("CurrencyPrefs", "HomeCurrency") or {}
        return ref_value(cur) or ("USD" if self.is_us else "CAD")

    @property
    def multicurrency(self):
        return bool(self.pref("CurrencyPrefs", "MultiCurrencyEnabled", False))

    @property
    def using_sales_tax(self):
        return bool(self.pref("TaxPrefs", "UsingSalesTax", True))

    @property
    def automated_sales_tax(self):
        return bool(self.pref("TaxPrefs", "PartnerTaxEnabled", False))

    @property
    def custom_txn_numbers(self):
        return bool(self.pref("SalesFormsPrefs", "CustomTxnNumbers", True))

    @property
    def allow_discount(self):
        return bool(self.pref("SalesFormsPrefs", "AllowDiscount", True))

    def account_by_subtype(self, subtype):
        for acc in self.tx.all("Account"):
            if acc.get("AccountSubType") == subtype and acc.get("Active", True):
                return acc
        return None
