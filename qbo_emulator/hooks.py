"""The accounting hooks of DESIGN.md, with a store-as-is stand-in for any hook the accounting
package does not provide yet (so the protocol can run and be tested on its own)."""

import importlib
from dataclasses import dataclass

from .faults import QboFault

NAME_LISTS = ("Account", "Class", "Customer", "CustomerType", "Department", "Employee", "Item",
              "PaymentMethod", "TaxAgency", "Term", "Vendor")
TRANSACTIONS = ("Bill", "BillPayment", "CreditMemo", "Deposit", "Estimate", "Invoice",
                "JournalEntry", "Payment", "Purchase", "PurchaseOrder", "RefundReceipt",
                "SalesReceipt", "TimeActivity", "Transfer", "VendorCredit")
SINGLETONS = ("CompanyInfo", "Preferences")
READ_ONLY = ("TaxCode", "TaxRate")
VOIDABLE = ("Invoice", "Payment", "SalesReceipt", "CreditMemo", "RefundReceipt", "BillPayment")


@dataclass(frozen=True)
class StandInSpec:
    name: str
    path: str
    kind: str
    read_only: bool = False
    voidable: bool = False


def _stand_in_entities():
    specs = {}
    for kind, names in (("name_list", NAME_LISTS), ("transaction", TRANSACTIONS),
                        ("singleton", SINGLETONS), ("name_list", READ_ONLY)):
        for name in names:
            specs[name] = StandInSpec(name, name.lower(), kind, name in READ_ONLY, name in VOIDABLE)
    return specs


def _create(tx, entity, body, options):
    return tx.insert(entity, body)


def _update(tx, entity, body, existing, sparse, options):
    merged = {**existing, **body} if sparse else dict(body)
    merged.pop("sparse", None)
    return tx.update(entity, merged)


def _delete(tx, entity, existing):
    if entity in NAME_LISTS:
        raise QboFault("6000", "A business validation error has occurred while processing your request",
                       "Name list objects cannot be deleted; make them inactive.")
    tx.delete(entity, existing["Id"])
    return {"status": "Deleted", "Id": existing["Id"]}


def _void(tx, entity, existing):
    return tx.update(entity, {**existing, "PrivateNote": "Voided", "TotalAmt": 0, "Balance": 0})


def _create_tax_code(tx, body):
    return {"TaxCode": body.get("TaxCode"), "TaxCodeId": tx.insert("TaxCode", {"Name": body.get("TaxCode")})["Id"]}


def _seed(tx, template):
    tx.insert("CompanyInfo", {"CompanyName": "Company", "Country": "US"})
    tx.insert("Preferences", {"CurrencyPrefs": {"HomeCurrency": {"value": "USD"},
                                                "MultiCurrencyEnabled": False}})


def _entity_for_path(path):
    return next((spec for spec in ENTITIES.values() if spec.path == path.lower()), None)


def _load():
    try:
        module = importlib.import_module("qbo_emulator.accounting")
    except ImportError:
        module = None
    stand_ins = {"ENTITIES": _stand_in_entities(), "entity_for_path": _entity_for_path,
                 "create": _create, "update": _update, "delete": _delete, "void": _void,
                 "create_tax_code": _create_tax_code, "seed": _seed}
    return {name: getattr(module, name, default) for name, default in stand_ins.items()}


_HOOKS = _load()
ENTITIES = _HOOKS["ENTITIES"]
entity_for_path = _HOOKS["entity_for_path"]
create = _HOOKS["create"]
update = _HOOKS["update"]
delete = _HOOKS["delete"]
void = _HOOKS["void"]
create_tax_code = _HOOKS["create_tax_code"]
seed = _HOOKS["seed"]


def kind(spec):
    return getattr(spec, "kind", "transaction")


def entity_by_name(name):
    """Case-sensitive, as QBO's query language is."""
    return ENTITIES.get(name)
