"""The accounting half of the emulator: what QBO entities mean (contract in ../DESIGN.md)."""

import copy

from . import bill_payments, entities, links
from .amounts import zero_amounts
from .catalogue import ENTITIES, EntitySpec, entity_for_path
from .common import OPTIONS, Company, QboFault, business_fault, given, money, prune, ref_value, required_fault
from .seed import TEMPLATES, seed
from .validation import (
    check_lengths,
    check_name_characters,
    check_open_period,
    check_references,
    check_shape,
    check_unique_name,
    lookup,
)

__all__ = [
    "ENTITIES",
    "EntitySpec",
    "entity_for_path",
    "create",
    "update",
    "delete",
    "void",
    "create_tax_code",
    "seed",
    "TEMPLATES",
    "activate_default_currencies",
    "OPTIONS",
]

activate_default_currencies = entities.activate_default_currencies

# Envelope and protocol fields that are never part of what the rules store.
TRANSPORT_FIELDS = ("sparse", "domain", "status", "SyncToken", "MetaData", "time")
NAME_FIELD = {"Customer": "DisplayName", "Vendor": "DisplayName", "Employee": "DisplayName", "TaxAgency": "DisplayName"}


def _prepare(company, entity, doc, existing, options):
    """Run every rule for an entity; returns the linked documents whose balances may move."""
    preparer = entities.PREPARERS.get(entity)
    if preparer is None:
        raise QboFault("500", "Unsupported Operation", f"Operation create/update is not supported for {entity}.")
    check_shape(entity, doc)
    check_lengths(entity, doc)
    check_name_characters(entity, doc)
    if ENTITIES[entity].kind != "singleton":
        check_references(company, entity, doc)
    touched = preparer(company, entity, doc, existing, options)
    check_unique_name(company.tx, entity, doc)  # last: the name may have been derived above
    return touched


def _after(company, entity, stored, previous, touched):
    """Side effects once the object is stored: linked balances, customer balance, child names."""
    if entity == "BillPayment":
        bill_payments.refresh(company, touched)
    else:
        links.refresh(company, touched, [stored["Id"]] if stored and entity == "Payment" else ())
    if entity == "Preferences" and _multicurrency(stored) and not _multicurrency(previous):
        entities.activate_default_currencies(company.tx)
    field = NAME_FIELD.get(entity, "Name")
    if (
        previous
        and ENTITIES[entity].kind == "name_list"
        and previous.get("FullyQualifiedName") != stored.get("FullyQualifiedName")
    ):
        entities.cascade_names(company, entity, stored, field)
    if entity == "Customer" and previous and ref_value(previous.get("ParentRef")) != ref_value(stored.get("ParentRef")):
        carried = money(stored.get("BalanceWithJobs"))  # a job moving takes its balance along
        links.shift_customer(company, ref_value(previous.get("ParentRef")), -carried, own=False)
        links.shift_customer(company, ref_value(stored.get("ParentRef")), carried, own=False)


def _multicurrency(prefs):
    return bool(((prefs or {}).get("CurrencyPrefs") or {}).get("MultiCurrencyEnabled"))


def _refuse_read_only(spec):
    if spec.read_only:
        raise QboFault(
            "500", "Unsupported Operation", f"Operation is not supported for {spec.name}: use POST /taxservice/taxcode."
        )


def _strip(body):
    doc = copy.deepcopy(body or {})
    for key in TRANSPORT_FIELDS:
        doc.pop(key, None)
    return doc


def create(tx, entity, body, options):
    spec = ENTITIES[entity]
    _refuse_read_only(spec)
    company = Company(tx)
    doc = _strip(body)
    doc.pop("Id", None)
    touched = _prepare(company, entity, doc, None, options or {})
    stored = links.store(company, entity, prune(doc))
    _after(company, entity, stored, None, touched)
    return stored


def _deep_merge(base, patch):
    out = dict(base)
    for key, value in patch.items():
        out[key] = _deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def update(tx, entity, body, existing, sparse, options):
    spec = ENTITIES[entity]
    _refuse_read_only(spec)
    company = Company(tx)
    patch = _strip(body)
    links.refuse_if_deposited(company, entity, existing)
    if spec.kind == "singleton":
        doc = _deep_merge(existing, patch)  # preferences are written group by group
    elif sparse:
        doc = {**existing, **patch}  # top-level replace: Line is all-or-none, as QBO documents
    else:
        doc = patch
    doc["Id"] = existing["Id"]
    touched = _prepare(company, entity, doc, existing, options or {})
    stored = links.store(company, entity, prune(doc))
    _after(company, entity, stored, existing, touched)
    return stored


def _guard_existing(company, entity, existing):
    """What makes a transaction untouchable: closed books, or sitting on a deposit."""
    check_open_period(company, existing.get("TxnDate"))
    links.refuse_if_deposited(company, entity, existing)


def delete(tx, entity, existing):
    spec = ENTITIES[entity]
    if spec.kind != "transaction":
        raise business_fault(f"{entity} objects cannot be deleted; make them inactive (Active:false).")
    company = Company(tx)
    _guard_existing(company, entity, existing)
    touched = set(links.payment_links(existing)) if entity == "Payment" else bill_payments.touched_by(entity, existing)
    bill_payments.refuse_if_paid(company, entity, existing)
    if entity in links.APPLICABLE:
        links.release(company, entity, existing["Id"])
    links.remove(company, entity, existing["Id"])
    _after(company, entity, None, existing, touched)
    return {"status": "Deleted", "Id": existing["Id"]}


def void(tx, entity, existing):
    spec = ENTITIES[entity]
    if not spec.voidable:
        raise QboFault("500", "Unsupported Operation", f"Operation void is not supported for {entity}.")
    company = Company(tx)
    _guard_existing(company, entity, existing)
    doc = copy.deepcopy(existing)
    touched = set()
    if entity in links.APPLICABLE:
        links.release(company, entity, doc["Id"])
        doc = tx.get(entity, doc["Id"])  # release may have rewritten its LinkedTxn
        doc["LinkedTxn"] = [l for l in doc.get("LinkedTxn") or [] if l.get("TxnType") != "Payment"]
    if entity == "Payment":
        touched = set(links.payment_links(doc))
    zero_amounts(doc)
    doc["PrivateNote"] = "Voided"
    stored = links.store(company, entity, prune(doc))
    _after(company, entity, stored, existing, touched)
    return stored


def create_tax_code(tx, body):
    """POST /taxservice/taxcode: a TaxCode and its new TaxRate(s), answered in TaxService shape."""
    body = _strip(body)
    name = body.get("TaxCode")
    if not given(name):
        raise required_fault("TaxCode")
    details = body.get("TaxRateDetails") or []
    if not details:
        raise required_fault("TaxRateDetails")
    check_unique_name(tx, "TaxCode", {"Name": name}, element="TaxCode")
    rate_refs, answered = [], []
    for detail in details:
        if given(detail.get("TaxRateId")):
            rate = lookup(tx, "TaxRate", {"value": detail["TaxRateId"]}, "TaxRateId")
        else:
            for field in ("TaxRateName", "RateValue", "TaxAgencyId"):
                if not given(detail.get(field)) and detail.get(field) != 0:
                    raise required_fault(field)
            check_unique_name(tx, "TaxRate", {"Name": detail["TaxRateName"]}, element="TaxRateName")
            agency = lookup(tx, "TaxAgency", {"value": detail["TaxAgencyId"]}, "TaxAgencyId")
            applicable = detail.get("TaxApplicableOn") or "Sales"
            rate = tx.insert(
                "TaxRate",
                prune(
                    {
                        "Name": detail["TaxRateName"],
                        "Description": detail["TaxRateName"],
                        "RateValue": float(detail["RateValue"]),
                        "AgencyRef": {"value": agency["Id"], "name": agency.get("DisplayName")},
                        "SpecialTaxType": "NONE",
                        "DisplayType": "ReadOnly",
                        "Active": True,
                        "EffectiveTaxRate": [{"RateValue": float(detail["RateValue"])}],
                        "TaxApplicableOn": applicable,
                    }
                ),
            )
        rate_refs.append(
            {
                "TaxRateRef": {"value": rate["Id"], "name": rate["Name"]},
                "TaxTypeApplicable": "TaxOnAmount",
                "TaxOrder": 0,
            }
        )
        answered.append(
            {
                "TaxRateName": rate["Name"],
                "TaxRateId": rate["Id"],
                "RateValue": rate.get("RateValue"),
                "TaxAgencyId": ref_value(rate.get("AgencyRef")),
                "TaxApplicableOn": detail.get("TaxApplicableOn") or "Sales",
            }
        )
    code = tx.insert(
        "TaxCode",
        prune(
            {
                "Name": name,
                "Description": body.get("Description") or name,
                "Active": True,
                "Hidden": False,
                "Taxable": True,
                "TaxGroup": len(rate_refs) > 1,
                "SalesTaxRateList": {"TaxRateDetail": rate_refs},
                "PurchaseTaxRateList": {"TaxRateDetail": []},
            }
        ),
    )
    return {"TaxCode": code["Name"], "TaxCodeId": code["Id"], "TaxRateDetails": answered}
