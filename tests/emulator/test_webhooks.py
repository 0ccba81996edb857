"""Webhook notifications to a tiny loopback receiver, verified with python-quickbooks."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from quickbooks import QuickBooks
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice

US = "9130357766900001"
EMPTY = "9130357766900003"
VERIFIER = "verifier-token-123"


class Receiver:
    """Records every POST; answers the queued statuses first, then 200."""

    def __init__(self):
        self.received = []
        self.statuses = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"body": body.decode("utf-8"), "headers": dict(self.headers)})
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/qbo/webhook" % self.server.server_port
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def wait_for(self, count, timeout=5.0):
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.received) >= count, "expected %d notifications, got %d" % (count, len(self.received))
        return self.received


@pytest.fixture
def receiver(emu, control):
    instance = Receiver()
    control(
        "POST",
        "webhooks",
        json={
            "url": instance.url,
            "verifier_token": VERIFIER,
            "retry_schedule": [0.2, 0.2],
            "batch_window_seconds": 0.1,
        },
    )
    yield instance
    instance.server.shutdown()
    instance.server.server_close()


def create_customer(client, name):
    customer = Customer()
    customer.DisplayName = name
    return customer.save(qb=client)


def test_cloudevents_signed_and_accepted_by_python_quickbooks(receiver, qb):
    created = create_customer(qb(realm=EMPTY), "Hooked Inc")
    notification = receiver.wait_for(1)[0]
    signature = notification["headers"]["intuit-signature"]
    checker = QuickBooks(minorversion=75, verifier_token=VERIFIER)
    assert checker.validate_webhook_signature(notification["body"], signature)
    assert not checker.validate_webhook_signature(
        notification["body"].replace('"%s"' % created.Id, '"%s0"' % created.Id), signature
    )
    assert not checker.validate_webhook_signature(notification["body"], signature, verifier_token="other")
    events = json.loads(notification["body"])
    assert len(events) == 1
    event = events[0]
    assert event["specversion"] == "1.0" and event["id"]
    assert event["type"] == "qbo.customer.created.v1"
    assert event["intuitentityid"] == created.Id and event["intuitaccountid"] == EMPTY


def test_cloudevents_content_type(receiver, qb, control):
    assert receiver.wait_for(0) == []
    answer = control(
        "POST",
        "webhooks",
        json={"url": receiver.url, "verifier_token": VERIFIER, "content_type": "application/cloudevents+json"},
    )
    assert answer["content_type"] == "application/cloudevents+json"
    create_customer(qb(realm=EMPTY), "Typed Inc")
    notification = receiver.wait_for(1)[0]
    assert notification["headers"]["Content-Type"] == "application/cloudevents+json"
    assert json.loads(notification["body"])[0]["type"] == "qbo.customer.created.v1"
    # The legacy format stays plain JSON.
    control("POST", "webhooks", json={"url": receiver.url, "verifier_token": VERIFIER, "format": "legacy"})
    create_customer(qb(realm=EMPTY), "Plain Ltd")
    assert receiver.wait_for(2)[1]["headers"]["Content-Type"] == "application/json"


def test_changes_in_one_window_are_batched(receiver, qb, control):
    control("POST", "webhooks", json={"url": receiver.url, "verifier_token": VERIFIER, "batch_window_seconds": 0.5})
    client = qb(realm=EMPTY)
    first = create_customer(client, "One")
    second = create_customer(client, "Two")
    events = json.loads(receiver.wait_for(1)[0]["body"])
    assert [e["intuitentityid"] for e in events] == [first.Id, second.Id]


def test_legacy_format(receiver, qb, control):
    control("POST", "webhooks", json={"url": receiver.url, "verifier_token": VERIFIER, "format": "legacy"})
    client = qb(realm=EMPTY)
    created = create_customer(client, "Legacy Ltd")
    body = json.loads(receiver.wait_for(1)[0]["body"])
    notification = body["eventNotifications"][0]
    assert notification["realmId"] == EMPTY
    entity = notification["dataChangeEvent"]["entities"][0]
    assert (entity["name"], entity["id"], entity["operation"]) == ("Customer", created.Id, "Create")
    assert entity["lastUpdated"]


def test_update_and_no_event_for_a_failed_write(receiver, qb):
    client = qb(realm=EMPTY)
    created = create_customer(client, "Updated Co")
    receiver.wait_for(1)
    with pytest.raises(QuickbooksException):
        create_customer(client, "Updated Co")  # duplicate name: nothing committed, nothing sent
    created.Notes = "changed"
    created.save(qb=client)
    events = json.loads(receiver.wait_for(2)[1]["body"])
    assert [e["type"] for e in events] == ["qbo.customer.updated.v1"]


def test_void_and_delete_events(receiver, qb):
    client = qb(realm=US)
    voided, deleted = Invoice.all(qb=client)[1:3]
    voided.void(qb=client)
    deleted.delete(qb=client)
    deadline = time.monotonic() + 5
    types = set()
    while time.monotonic() < deadline and not {"qbo.invoice.voided.v1", "qbo.invoice.deleted.v1"} <= types:
        time.sleep(0.05)
        types = {(e["type"], e["intuitentityid"]) for n in receiver.received for e in json.loads(n["body"])}
        types = {t for t, i in types if i in (voided.Id, deleted.Id)}
    assert {"qbo.invoice.voided.v1", "qbo.invoice.deleted.v1"} <= types


def test_failed_delivery_is_retried(receiver, qb, control):
    receiver.statuses = [500]
    create_customer(qb(realm=EMPTY), "Retry Me")
    first, second = receiver.wait_for(2)
    assert first["body"] == second["body"]
    deadline = time.monotonic() + 5
    deliveries = []
    while len(deliveries) < 2 and time.monotonic() < deadline:  # the record follows the answer
        deliveries = control("GET", "webhooks/deliveries")["deliveries"]
    assert [(d["attempt"], d["status"]) for d in deliveries] == [(1, 500), (2, 200)]
    assert deliveries[0]["retry_in_seconds"] == 0.2


def test_only_loopback_targets(emu):
    answer = requests.post(
        emu.base_url + "/_emulator/webhooks", json={"url": "http://example.com/hook", "verifier_token": "x"}, timeout=30
    )
    assert answer.status_code == 400 and "loopback" in answer.json()["error"]


def events_of(receiver):
    return [e for n in receiver.received for e in json.loads(n["body"])]


def test_each_app_gets_its_companies_changes_signed_with_its_own_token(emu, qb, control):
    """Intuit configures webhooks per app: an app gets the changes of the companies it is
    connected to, at its own URL, signed with its own verifier token; retries repeat its event ids."""
    control(
        "POST",
        "apps",
        json={"client_id": "second-app", "client_secret": "second-secret", "redirect_uris": ["http://localhost/cb"]},
    )
    control("PATCH", "config", json={"webhook_batch_window_seconds": 0.1, "webhook_retry_schedule": [0.2]})
    first, second = Receiver(), Receiver()
    try:
        control("POST", "webhooks", json={"client_id": "emulator-client-id", "url": first.url, "verifier_token": "t1"})
        answer = control(
            "POST", "webhooks", json={"client_id": "second-app", "url": second.url, "verifier_token": "t2"}
        )
        assert set(answer["apps"]) == {"emulator-client-id", "second-app"}
        assert control("GET", "webhooks")["url"] == ""  # no emulator-wide URL: only the apps'
        # The default app is connected to both companies (qb mints for it); the second to EMPTY only.
        control("POST", "mint", json={"client_id": "second-app", "realm_id": EMPTY})
        us_client, empty_client = qb(realm=US), qb(realm=EMPTY)
        second.statuses = [500]  # its first delivery fails: retried with the same events
        create_customer(us_client, "Only For The First App")
        create_customer(empty_client, "For Both Apps")
        second.wait_for(2)
        deadline = time.monotonic() + 5
        while len(events_of(first)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # nothing more comes
        first_events, second_events = events_of(first), events_of(second)
        assert len(first_events) == 2
        assert sorted(e["intuitaccountid"] for e in first_events) == sorted([US, EMPTY])
        assert {e["intuitaccountid"] for e in second_events} == {EMPTY}
        for receiver, token in ((first, "t1"), (second, "t2")):
            for notification in receiver.received:
                assert QuickBooks().validate_webhook_signature(
                    notification["body"], notification["headers"]["intuit-signature"], token
                )
        # The second app's retry repeats the event id of the delivery that failed.
        assert len(second.received) == 2 and second.received[0]["body"] == second.received[1]["body"]
        deliveries = control("GET", "webhooks/deliveries")["deliveries"]
        assert {d["client_id"] for d in deliveries} == {"emulator-client-id", "second-app"}
        # An app's webhook removed: nothing more for it.
        control("POST", "webhooks", json={"client_id": "second-app", "url": ""})
        create_customer(empty_client, "After Removal")
        deadline = time.monotonic() + 5
        while len(events_of(first)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(events_of(first)) == 3
        time.sleep(0.5)
        assert len(second.received) == 2
    finally:
        for receiver in (first, second):
            receiver.server.shutdown()
            receiver.server.server_close()
