"""The entity catalogue: which QBO entities exist, their URL segment and their kind."""

from dataclasses import dataclass


@dataclass(frozen=True)
class EntitySpec:
    name: str
    path: str
    kind: str  # "name_list" | "transaction" | "singleton"
    read_only: bool = False  # TaxCode/TaxRate: written only through taxservice/taxcode
    voidable: bool = False


def _spec(name, kind, **kw):
    return EntitySpec(name=name, path=name.lower(), kind=kind, **kw)


ENTITIES = {
    s.name: s
    for s in (
        _spec("CompanyInfo", "singleton"),
        _spec("Preferences", "singleton"),
        _spec("Account", "name_list"),
        _spec("Customer", "name_list"),
        _spec("Vendor", "name_list"),
        _spec("Employee", "name_list"),
        _spec("Item", "name_list"),
        _spec("Class", "name_list"),
        _spec("Department", "name_list"),
        _spec("Term", "name_list"),
        _spec("PaymentMethod", "name_list"),
        _spec("TaxCode", "name_list", read_only=True),
        _spec("TaxRate", "name_list", read_only=True),
        _spec("TaxAgency", "name_list"),
        _spec("CompanyCurrency", "name_list"),
        _spec("Invoice", "transaction", voidable=True),
        _spec("CreditMemo", "transaction", voidable=True),
        _spec("Payment", "transaction", voidable=True),
        _spec("SalesReceipt", "transaction", voidable=True),
        _spec("RefundReceipt", "transaction", voidable=True),
        _spec("Estimate", "transaction"),
        _spec("Bill", "transaction"),
        _spec("VendorCredit", "transaction"),
        _spec("Purchase", "transaction"),
        _spec("Deposit", "transaction"),
        _spec("JournalEntry", "transaction"),
        _spec("BillPayment", "transaction"),
    )
}

_BY_PATH = {s.path: s for s in ENTITIES.values()}


def entity_for_path(path):
    """URL segment (any case) -> EntitySpec, or None for an unknown entity."""
    return _BY_PATH.get((path or "").strip("/").lower())
