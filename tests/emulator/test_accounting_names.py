"""Name-list rules: unique display names, forbidden characters, lengths, required fields,
sub-customers, deactivation instead of delete, a customer's currency fixed once set."""

import pytest
from quickbooks.objects.account import Account
from quickbooks.objects.customer import Customer
from quickbooks.objects.employee import Employee
from quickbooks.objects.item import Item
from quickbooks.objects.paymentmethod import PaymentMethod
from quickbooks.objects.term import Term
from quickbooks.objects.trackingclass import Class
from quickbooks.objects.vendor import Vendor

from qbo_emulator.accounting.testing import US, customer, fault, find, ref


@pytest.mark.parametrize("cls", [Customer, Vendor, Employee])
def test_display_name_unique_across_parties_including_inactive(emu, qb, cls):
    client = qb(US)
    (jeff,) = Customer.where("Active = false", qb=client)
    assert jeff.DisplayName == "Jeff's Jalopies"
    existing_id = jeff.Id
    doc = cls()
    doc.DisplayName = "jeff's jalopies"  # case does not make it a different name
    with fault(6240, detail=f"Id={existing_id}"):
        doc.save(qb=client)


def test_vendor_name_clashes_with_customer(emu, qb):
    client = qb(US)
    vendor = find(Vendor, client, DisplayName="Books by Bessie")
    with fault(6240, detail=f"Id={vendor.Id}"):
        customer(client, "Books by Bessie")


def test_renaming_onto_an_existing_name_is_refused(client, cool):
    cool.DisplayName = "Diego Rodriguez"
    with fault(6240):
        cool.save(qb=client)


@pytest.mark.parametrize("bad", ["Acme:East", "Acme\tEast", "Acme\nEast"])
def test_name_fields_refuse_colon_tab_newline(emu, qb, bad):
    with fault(2040):
        customer(qb(US), bad)


@pytest.mark.parametrize(
    "cls, field, limit, extra",
    [
        (Customer, "DisplayName", 500, {}),
        (Item, "Name", 100, {"Type": "NonInventory"}),
        (Item, "Sku", 100, {"Name": "Long sku", "Type": "NonInventory"}),
        (Term, "Name", 31, {"DueDays": 10}),
        (PaymentMethod, "Name", 31, {}),
    ],
)
def test_length_limits(emu, qb, cls, field, limit, extra):
    client = qb(US)
    doc = cls()
    for key, value in extra.items():
        setattr(doc, key, value)
    setattr(doc, field, "x" * limit)
    doc.save(qb=client)  # exactly at the limit: accepted
    doc = cls()
    for key, value in extra.items():
        setattr(doc, key, value + " 2" if key == "Name" else value)
    setattr(doc, field, "y" * (limit + 1))
    with fault(2050) as info:
        doc.save(qb=client)
    assert f"Max:{limit}" in info.value.detail


def test_customer_needs_some_name(emu, qb):
    with fault(6080):
        Customer().save(qb=qb(US))


def test_display_name_defaults_from_name_parts(emu, qb):
    doc = Customer()
    doc.GivenName, doc.FamilyName = "Ada", "Lovelace"
    assert doc.save(qb=qb(US)).DisplayName == "Ada Lovelace"


@pytest.mark.parametrize(
    "cls, fields, missing",
    [
        (Item, {"Name": "Consulting", "Type": "Service"}, "IncomeAccountRef"),
        (Item, {"Type": "NonInventory"}, "Name"),
        (Term, {"DueDays": 10}, "Name"),
        (PaymentMethod, {}, "Name"),
        (Class, {}, "Name"),
    ],
)
def test_required_fields(emu, qb, cls, fields, missing):
    doc = cls()
    for key, value in fields.items():
        setattr(doc, key, value)
    with fault(2020) as info:
        doc.save(qb=qb(US))
    assert missing in info.value.detail


def test_inventory_item_needs_asset_and_cogs_accounts(emu, qb):
    client = qb(US)
    doc = Item()
    doc.Name, doc.Type, doc.QtyOnHand, doc.InvStartDate = "Widget", "Inventory", 5, "2026-01-01"
    doc.IncomeAccountRef = find(Account, client, Name="Sales of Product Income").to_ref()
    with fault(2020) as info:
        doc.save(qb=client)
    assert "AssetAccountRef" in info.value.detail
    doc.AssetAccountRef = find(Account, client, Name="Inventory Asset").to_ref()
    doc.ExpenseAccountRef = find(Account, client, Name="Cost of Goods Sold").to_ref()
    assert doc.save(qb=client).TrackQtyOnHand is True


def test_item_with_income_account_and_sku(emu, qb):
    client = qb(US)
    income = find(Account, client, Name="Services")
    doc = Item()
    doc.Name, doc.Type, doc.Sku, doc.UnitPrice = "Consulting", "Service", "CONS-9", 120
    doc.IncomeAccountRef = income.to_ref()
    saved = doc.save(qb=client)
    assert (saved.FullyQualifiedName, saved.Sku, saved.Active) == ("Consulting", "CONS-9", True)
    again = Item()
    again.Name, again.Type = "consulting", "NonInventory"
    with fault(6240):
        again.save(qb=client)


def test_unknown_and_inactive_references(emu, qb):
    client = qb(US)
    with fault(2500):
        customer(client, "New One", SalesTermRef=ref("99999"))
    term = find(Term, client, Name="Net 15")
    term.Active = False
    term.save(qb=client)
    with fault(610):
        customer(client, "New Two", SalesTermRef=ref(term.Id))


def test_sub_customer_names_and_depth(emu, qb):
    client = qb(US)
    parent = find(Customer, client, DisplayName="Cool Cars")
    chain = [parent]
    for level in range(1, 5):
        chain.append(customer(client, f"Level {level}", ParentRef=chain[-1].to_ref(), Job=True))
    assert chain[-1].FullyQualifiedName == "Cool Cars:Level 1:Level 2:Level 3:Level 4"
    assert chain[-1].Job is True and chain[-1].ParentRef.value == chain[-2].Id
    with fault(6000):
        customer(client, "Level 5", ParentRef=chain[-1].to_ref(), Job=True)
    parent.DisplayName = "Cool Cars Inc"
    parent.save(qb=client)
    assert Customer.get(chain[2].Id, qb=client).FullyQualifiedName == "Cool Cars Inc:Level 1:Level 2"


def test_name_lists_are_deactivated_not_deleted(emu, qb):
    client = qb(US)
    vendor = find(Vendor, client, DisplayName="Books by Bessie")
    with fault(6000):
        client.delete_object("Vendor", vendor.to_json())
    vendor.Active = False
    assert vendor.save(qb=client).Active is False


def test_deactivating_a_customer_with_open_balance_is_refused(client, cool):  # invoice 1003 is open
    cool.Active = False
    with fault(6000, detail="balance"):
        cool.save(qb=client)
    amy = find(Customer, client, DisplayName="Amy's Bird Sanctuary")  # fully paid
    amy.Active = False
    assert amy.save(qb=client).Active is False


def test_customer_currency_is_home_and_fixed(client, cool):
    assert cool.CurrencyRef.value == "USD"
    cool.CurrencyRef = ref("EUR")
    with fault(6000):
        cool.save(qb=client)
    with fault(6000):
        customer(client, "Euro Client", CurrencyRef=ref("EUR"))  # multicurrency is off
