"""Batch and change data capture through python-quickbooks' own helpers."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from quickbooks.batch import batch_create, batch_delete, batch_update
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import ValidationException
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.term import Term

US = "9130357766900001"
EMPTY = "9130357766900003"


def customer(name):
    obj = Customer()
    obj.DisplayName = name
    return obj


def emulator_now(control):
    return datetime.fromisoformat(control("GET", "clock")["now"])


def test_batch_of_30_creates_all(emu, qb, control):
    client = qb(realm=EMPTY)
    result = batch_create([customer("Batch %02d" % n) for n in range(30)], qb=client)
    assert len(result.successes) == 30 and result.faults == []
    assert sorted(c.DisplayName for c in result.successes) == ["Batch %02d" % n for n in range(30)]
    assert control("GET", "%s/Customer?count=1" % EMPTY)["count"] == 30


def test_batch_of_31_is_refused_whole(emu, qb, control):
    client = qb(realm=EMPTY)
    items = [{"bId": str(n), "operation": "create", "Customer": {"DisplayName": "Too Many %d" % n}} for n in range(31)]
    with pytest.raises(ValidationException) as error:
        client.batch_operation(json.dumps({"BatchItemRequest": items}))
    assert "at most 30" in error.value.detail
    assert control("GET", "%s/Customer?count=1" % EMPTY)["count"] == 0


def test_batch_items_fail_independently(emu, qb, control):
    client = qb(realm=EMPTY)
    existing = customer("Taken Name").save(qb=client)
    result = batch_create([customer("Fresh Name"), customer("Taken Name"), customer("Bad:Name")], qb=client)
    assert [c.DisplayName for c in result.successes] == ["Fresh Name"]
    codes = sorted(fault.Error[0].code for fault in result.faults)
    assert len(codes) == 2 and "6240" in codes
    assert control("GET", "%s/Customer?count=1" % EMPTY)["count"] == 2
    # update with a stale SyncToken fails alone
    fresh = Customer.get(existing.Id, qb=client)
    fresh.Notes = "moved on"
    fresh.save(qb=client)
    existing.Notes = "stale"
    other = Customer.filter(DisplayName="Fresh Name", qb=client)[0]
    other.Notes = "fine"
    result = batch_update([existing, other], qb=client)
    assert [c.Notes for c in result.successes] == ["fine"]
    assert result.faults[0].Error[0].code == "5010"


def test_batch_answers_carry_bid_and_query_items(emu, qb):
    client = qb()
    answer = client.batch_operation(
        json.dumps(
            {
                "BatchItemRequest": [
                    {"bId": "q1", "Query": "SELECT * FROM Term"},
                    {"bId": "q2", "Query": "SELECT * FROM Nothing"},
                    {"bId": "c1", "operation": "create", "Term": {"Name": "Net 99", "DueDays": 99}},
                ]
            }
        )
    )
    by_id = {item["bId"]: item for item in answer["BatchItemResponse"]}
    assert set(by_id) == {"q1", "q2", "c1"}
    assert by_id["q1"]["QueryResponse"]["Term"]
    assert by_id["q2"]["Fault"]["Error"][0]["code"] == "4001"
    assert by_id["c1"]["Term"]["Name"] == "Net 99"
    assert Term.filter(Name="Net 99", qb=client)


def test_batch_delete(emu, qb):
    client = qb()
    invoice = Invoice.all(qb=client)[-1]
    result = batch_delete([invoice], qb=client)
    assert result.faults == [] and len(result.batch_responses) == 1
    assert Invoice.filter(Id=invoice.Id, qb=client) == []


def test_cdc_reports_changes_and_deletions(emu, qb, control):
    client = qb()
    control("POST", "clock", json={"advance_seconds": 60})  # the seed is older than `since`
    since = emulator_now(control) - timedelta(seconds=1)
    created = customer("CDC New").save(qb=client)
    invoice = Invoice.all(qb=client)[0]
    invoice.delete(qb=client)
    answer = change_data_capture([Customer, Invoice], since, qb=client)
    changed = {c.DisplayName: c.Id for c in answer.Customer}
    assert changed["CDC New"] == created.Id
    # besides the new one, at most the invoice's customer (its balance moved)
    assert set(changed) - {"CDC New", invoice.CustomerRef.name} == set()
    deleted = answer.Invoice[0]
    assert deleted.Id == invoice.Id and deleted.status == "Deleted"
    raw = client.change_data_capture("Customer,Invoice,Term", since.strftime("%Y-%m-%dT%H:%M:%S"))
    query_responses = raw["CDCResponse"][0]["QueryResponse"]
    assert query_responses[1]["Invoice"][0] == {
        "status": "Deleted",
        "Id": invoice.Id,
        "MetaData": {"LastUpdatedTime": deleted.MetaData.LastUpdatedTime},
    }
    assert query_responses[2] == {}  # nothing changed for Term


def test_cdc_reaches_30_days_back_only(emu, qb, control):
    client = qb()
    now = emulator_now(control)
    change_data_capture([Customer], now - timedelta(days=29, hours=23), qb=client)
    with pytest.raises(ValidationException) as error:
        change_data_capture([Customer], now - timedelta(days=30, minutes=1), qb=client)
    assert "30 days" in error.value.detail


def test_cdc_caps_the_number_of_objects(emu, qb, control):
    control("PATCH", "config", json={"cdc_max_objects": 5})
    client = qb(realm=EMPTY)
    control("POST", "clock", json={"advance_seconds": 60})
    since = emulator_now(control) - timedelta(seconds=1)
    batch_create([customer("Capped %d" % n) for n in range(8)], qb=client)
    answer = change_data_capture([Customer], since.astimezone(timezone.utc), qb=client)
    assert len(answer.Customer) == 5
