"""The v3 protocol through python-quickbooks: envelope, CRUD, SyncToken, delete/void, requestid."""

import json

import pytest
import requests
from quickbooks.exceptions import (
    ObjectNotFoundException,
    QuickbooksException,
    UnsupportedException,
    ValidationException,
)
from quickbooks.objects.company_info import CompanyInfo
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.preferences import Preferences

US = "9130357766900001"
EMPTY = "9130357766900003"


def new_customer(qb, name, **fields):
    customer = Customer()
    customer.DisplayName = name
    for key, value in fields.items():
        setattr(customer, key, value)
    return customer.save(qb=qb)


def new_invoice(qb, amount=100):
    customer = Customer.filter(DisplayName="Cool Cars", qb=qb)[0]
    item = Item.filter(Name="Services", qb=qb)[0]
    line = SalesItemLine()
    line.Amount = amount
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = item.to_ref()
    line.SalesItemLineDetail.Qty = 1
    line.SalesItemLineDetail.UnitPrice = amount
    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line = [line]
    return invoice.save(qb=qb)


def count(control, realm, entity):
    return control("GET", "%s/%s?count=1" % (realm, entity))["count"]


def test_create_answers_the_qbo_envelope(emu, qb):
    client = qb()
    raw = client.create_object("Customer", json.dumps({"DisplayName": "Envelope Ltd", "CompanyName": ""}))
    assert set(raw) == {"Customer", "time"}
    customer = raw["Customer"]
    assert customer["Id"].isdigit() and customer["SyncToken"] == "0"
    assert set(customer["MetaData"]) >= {"CreateTime", "LastUpdatedTime"}
    assert "CompanyName" not in customer  # only non-empty properties come back


def test_read_and_missing_object(emu, qb):
    client = qb()
    created = new_customer(client, "Readable Inc")
    assert Customer.get(created.Id, qb=client).DisplayName == "Readable Inc"
    with pytest.raises(ObjectNotFoundException) as error:
        Customer.get("999999", qb=client)
    assert error.value.error_code == 610


def test_full_update_clears_omitted_fields_sparse_keeps_them(emu, qb):
    client = qb()
    created = new_customer(client, "Full Update Co", CompanyName="Full Update Company", Notes="keep me")
    full = {"Id": created.Id, "SyncToken": created.SyncToken, "DisplayName": "Full Update Co", "CompanyName": "Renamed"}
    updated = client.update_object("Customer", json.dumps(full))["Customer"]
    assert updated["SyncToken"] == "1" and updated["CompanyName"] == "Renamed"
    assert "Notes" not in updated
    sparse = {"Id": created.Id, "SyncToken": "1", "sparse": True, "Notes": "sparse note"}
    updated = client.update_object("Customer", json.dumps(sparse))["Customer"]
    assert updated["CompanyName"] == "Renamed" and updated["Notes"] == "sparse note"
    assert updated["SyncToken"] == "2"


def test_stale_sync_token_is_5010(emu, qb):
    client = qb()
    created = new_customer(client, "Stale Corp")
    fresh = Customer.get(created.Id, qb=client)
    fresh.Notes = "first writer"
    fresh.save(qb=client)
    created.Notes = "second writer, old SyncToken"
    with pytest.raises(QuickbooksException) as error:
        created.save(qb=client)
    assert error.value.error_code == 5010
    assert "Stale Object" in error.value.message
    assert Customer.get(created.Id, qb=client).Notes == "first writer"


def test_update_without_sync_token_is_2020(emu, qb):
    client = qb()
    created = new_customer(client, "No Token LLC")
    with pytest.raises(ValidationException) as error:
        client.update_object("Customer", json.dumps({"Id": created.Id, "DisplayName": "x", "sparse": True}))
    assert error.value.error_code == 2020


def test_delete_transaction_then_it_is_gone(emu, qb):
    client = qb()
    invoice = new_invoice(client)
    answer = invoice.delete(qb=client)
    assert answer["Invoice"] == {"status": "Deleted", "Id": invoice.Id}
    with pytest.raises(ObjectNotFoundException):
        Invoice.get(invoice.Id, qb=client)


def test_name_lists_are_not_deleted(emu, qb):
    client = qb()
    created = new_customer(client, "Undeletable")
    with pytest.raises(QuickbooksException) as error:
        client.delete_object("Customer", json.dumps({"Id": created.Id, "SyncToken": created.SyncToken}))
    assert error.value.error_code == 6000


def test_void_invoice_keeps_it_with_zero_amounts(emu, qb):
    client = qb()
    invoice = new_invoice(client, amount=250)
    assert invoice.TotalAmt == 250
    answer = invoice.void(qb=client)
    assert not answer["Invoice"].get("TotalAmt")
    voided = Invoice.get(invoice.Id, qb=client)
    assert voided.SyncToken == "1" and not voided.Balance
    assert "Voided" in (voided.PrivateNote or "")


def test_unknown_entity_is_a_400_fault(emu, qb):
    client = qb()
    with pytest.raises(UnsupportedException) as error:
        client.post("%s/company/%s/spaceship" % (client.api_url, US), json.dumps({"Name": "x"}))
    assert error.value.error_code == 500
    answer = requests.post(
        emu.base_url + "/v3/company/%s/spaceship" % US,
        data="{}",
        headers={"Authorization": "Bearer " + client.session.access_token},
        timeout=30,
    )
    assert answer.status_code == 400 and answer.json()["Fault"]["Error"][0]["code"] == "500"


def test_company_info_and_preferences(emu, qb):
    client = qb(realm=EMPTY)
    info = CompanyInfo.get(EMPTY, qb=client)
    assert info.CompanyName == "Empty Company US" and info.Country == "US"
    prefs = Preferences.get(qb=client)
    assert prefs.CurrencyPrefs.HomeCurrency.value == "USD"
    answer = client.update_object(
        "Preferences",
        json.dumps(
            {
                "Id": prefs.Id,
                "SyncToken": prefs.SyncToken,
                "sparse": True,
                "SalesFormsPrefs": {"CustomTxnNumbers": False},
            }
        ),
    )
    assert prefs.SalesFormsPrefs.CustomTxnNumbers is True  # seeded True, so False proves the write
    assert answer["Preferences"]["SalesFormsPrefs"]["CustomTxnNumbers"] is False
    assert Preferences.get(qb=client).SalesFormsPrefs.CustomTxnNumbers is False
    assert answer["Preferences"]["SyncToken"] == str(int(prefs.SyncToken) + 1)


def test_pdf_download(emu, qb):
    client = qb()
    invoice = new_invoice(client)
    pdf = invoice.download_pdf(qb=client)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    with pytest.raises(ObjectNotFoundException):
        client.download_pdf("Invoice", "999999")


def test_requestid_replays_the_first_answer_and_does_nothing(emu, qb, control):
    client = qb(realm=EMPTY)
    first = Customer()
    first.DisplayName = "Idempotent Ltd"
    before = count(control, EMPTY, "Customer")
    body = first.to_json()
    one = client.create_object("Customer", body, request_id="push-42")
    two = client.create_object("Customer", body, request_id="push-42")
    assert one == two
    assert count(control, EMPTY, "Customer") == before + 1
    log = [r for r in control("GET", "requests")["requests"] if r["requestid"] == "push-42"]
    assert [r.get("replayed", False) for r in log] == [False, True]
    # another id is another operation (and here a duplicate name)
    with pytest.raises(QuickbooksException) as error:
        client.create_object("Customer", body, request_id="push-43")
    assert error.value.error_code == 6240


def test_requestid_is_per_company(emu, qb, control):
    body = json.dumps({"DisplayName": "Per Realm Co"})
    before = {realm: count(control, realm, "Customer") for realm in (EMPTY, US)}
    qb(realm=EMPTY).create_object("Customer", body, request_id="same-id")
    qb(realm=US).create_object("Customer", body, request_id="same-id")
    assert {realm: count(control, realm, "Customer") for realm in (EMPTY, US)} == {
        realm: n + 1 for realm, n in before.items()
    }


def test_a_fault_is_not_remembered_for_the_requestid(emu, qb):
    client = qb(realm=EMPTY)
    with pytest.raises(ValidationException):
        client.create_object("Customer", json.dumps({"DisplayName": "bad:name"}), request_id="retry-me")
    good = client.create_object("Customer", json.dumps({"DisplayName": "Good Name"}), request_id="retry-me")
    assert good["Customer"]["DisplayName"] == "Good Name"


def test_requestid_longer_than_50_is_refused(emu, qb):
    client = qb(realm=EMPTY)
    with pytest.raises(ValidationException):
        client.create_object("Customer", json.dumps({"DisplayName": "Long Id"}), request_id="x" * 51)


def test_minorversion_is_recorded_as_sent(emu, qb, control):
    with pytest.warns(DeprecationWarning):
        client = qb(realm=EMPTY, minorversion=65)
    CompanyInfo.get(EMPTY, qb=client)
    qb(realm=EMPTY).query("SELECT * FROM Customer")
    sent = [r["minorversion"] for r in control("GET", "requests")["requests"] if r["path"].startswith("/v3/")]
    assert sent == ["65", "75"]


def test_query_by_get_parameter(emu, qb):
    client = qb()
    answer = client.get(
        "%s/company/%s/query" % (client.api_url, US),
        params={"query": "SELECT * FROM Customer WHERE DisplayName = 'Cool Cars'"},
    )
    assert [c["DisplayName"] for c in answer["QueryResponse"]["Customer"]] == ["Cool Cars"]


def test_every_response_has_an_intuit_tid(emu, qb):
    client = qb()
    answer = client.session.get("%s/company/%s/companyinfo/%s" % (client.api_url, US, US), params={"minorversion": 75})
    assert answer.headers["intuit_tid"]
    assert requests.get(emu.base_url + "/.well-known/openid_configuration", timeout=30).headers["intuit_tid"]
