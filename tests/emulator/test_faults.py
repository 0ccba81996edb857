"""Limits (429 ThrottleExceeded) and injected faults, as python-quickbooks sees them."""

import functools
import json
import threading
import time

import pytest
import requests
from intuitlib.exceptions import AuthClientError
from quickbooks.exceptions import QuickbooksException, SevereException, ValidationException
from quickbooks.objects.company_info import CompanyInfo
from quickbooks.objects.customer import Customer

US = "9130357766900001"
EMPTY = "9130357766900003"


def with_timeout(client, seconds):
    """python-quickbooks sets no timeout; a careful caller adds one on the session."""
    client.session.request = functools.partial(client.session.request, timeout=seconds)
    return client


def customers(control, realm=EMPTY):
    return control("GET", "%s/Customer?count=1" % realm)["count"]


def raw_get(emu, client, path="companyinfo/" + US):
    return requests.get(
        emu.base_url + "/v3/company/%s/%s" % (US, path),
        params={"minorversion": 75},
        headers={"Authorization": "Bearer " + client.session.access_token},
        timeout=30,
    )


def test_requests_per_minute_limit_is_429_3001(emu, qb, control):
    control("PATCH", "config", json={"requests_per_minute": 3})
    client = qb()
    for _ in range(3):
        CompanyInfo.get(US, qb=client)
    with pytest.raises(ValidationException) as error:
        CompanyInfo.get(US, qb=client)
    assert error.value.error_code == 3001
    answer = raw_get(emu, client)
    assert answer.status_code == 429
    assert answer.json()["Fault"]["Error"][0]["Message"] == "message=ThrottleExceeded; errorCode=003001; statusCode=429"
    # the limit is per company
    CompanyInfo.get(EMPTY, qb=qb(realm=EMPTY))
    assert control("GET", "stats")["realms"][US]["throttled"] == 2


def test_throttle_can_answer_in_xml(emu, qb, control):
    control("PATCH", "config", json={"requests_per_minute": 1, "throttle_format": "xml"})
    client = qb()
    CompanyInfo.get(US, qb=client)
    with pytest.raises(QuickbooksException) as error:
        CompanyInfo.get(US, qb=client)
    assert error.value.error_code == 10000  # python-quickbooks cannot read XML
    answer = raw_get(emu, client)
    assert answer.status_code == 429 and answer.headers["Content-Type"].startswith("application/xml")
    assert '<Error code="3001">' in answer.text


def test_throttle_sends_retry_after_only_when_configured(emu, qb, control):
    control("PATCH", "config", json={"requests_per_minute": 1})
    client = qb()
    CompanyInfo.get(US, qb=client)
    assert "Retry-After" not in raw_get(emu, client).headers
    control("PATCH", "config", json={"throttle_retry_after": 7})
    answer = raw_get(emu, client)
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "7"


def test_limits_switch_off(emu, qb, control):
    control("PATCH", "config", json={"requests_per_minute": 1, "limits_enabled": False})
    client = qb()
    for _ in range(3):
        CompanyInfo.get(US, qb=client)


def test_concurrent_requests_limit(emu, qb, control):
    control("PATCH", "config", json={"concurrent_requests": 1, "fault_injection": {"latency_ms": [400, 400]}})
    client = qb()
    statuses = []

    def call():
        statuses.append(raw_get(emu, client).status_code)

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 429]


def test_batch_calls_per_minute(emu, qb, control):
    control("PATCH", "config", json={"batch_calls_per_minute": 2})
    client = qb()
    body = json.dumps({"BatchItemRequest": [{"bId": "1", "Query": "SELECT * FROM Term"}]})
    client.batch_operation(body)
    client.batch_operation(body)
    with pytest.raises(ValidationException) as error:
        client.batch_operation(body)
    assert error.value.error_code == 3001
    CompanyInfo.get(US, qb=client)  # other calls still pass


def test_injected_500(emu, qb, control):
    control("POST", "faults", json={"kind": "500", "count": 1})
    client = qb()
    with pytest.raises(SevereException) as error:
        CompanyInfo.get(US, qb=client)
    assert error.value.error_code == 10000
    assert CompanyInfo.get(US, qb=client).CompanyName  # one-shot


def test_injected_503_is_not_json(emu, qb, control):
    control("POST", "faults", json={"kind": "503", "count": 2})
    client = qb()
    with pytest.raises(QuickbooksException) as error:
        CompanyInfo.get(US, qb=client)
    assert "Error reading json response" in error.value.message
    assert raw_get(emu, client).status_code == 503
    assert raw_get(emu, client).status_code == 200


def test_injected_429(emu, qb, control):
    control("POST", "faults", json={"kind": "429"})
    with pytest.raises(ValidationException) as error:
        CompanyInfo.get(US, qb=qb())
    assert error.value.error_code == 3001


def test_scripted_fault_matches_its_filter_only(emu, qb, control):
    control("POST", "faults", json={"kind": "500", "entity": "Invoice", "method": "POST"})
    client = qb()
    CompanyInfo.get(US, qb=client)
    Customer.all(qb=client)
    assert control("GET", "faults")["scripted"][0]["remaining"] == 1


def test_a_fault_after_the_previous_is_armed_once_that_one_is_used_up(emu, qb, control):
    control("POST", "faults", json={"kind": "500", "entity": "CompanyInfo"})
    control("POST", "faults", json={"kind": "500", "path": "/query", "after_previous": True})
    client = qb()
    Customer.all(qb=client)  # a query before the first fault: not armed yet
    assert [rule["armed"] for rule in control("GET", "faults")["scripted"]] == [True, False]
    with pytest.raises(SevereException):
        CompanyInfo.get(US, qb=client)
    with pytest.raises(SevereException):
        Customer.all(qb=client)
    Customer.all(qb=client)
    assert control("GET", "faults")["scripted"] == []


def test_timeout_is_seen_as_a_timeout_and_nothing_happens(emu, qb, control):
    control("PATCH", "config", json={"timeout_hold_seconds": 1.0})
    control("POST", "faults", json={"kind": "timeout", "method": "POST"})
    client = with_timeout(qb(realm=EMPTY), 0.3)
    before = customers(control)
    customer = Customer()
    customer.DisplayName = "Timed Out"
    with pytest.raises(requests.exceptions.Timeout):
        customer.save(qb=client)
    time.sleep(1.0)
    assert customers(control) == before
    dropped = [r for r in control("GET", "requests")["requests"] if r.get("dropped")]
    assert [r["dropped"] for r in dropped] == ["timeout"]


def test_reset_is_a_connection_error_and_nothing_happens(emu, qb, control):
    control("POST", "faults", json={"kind": "reset", "method": "POST"})
    client = qb(realm=EMPTY)
    before = customers(control)
    customer = Customer()
    customer.DisplayName = "Never Created"
    with pytest.raises(requests.exceptions.ConnectionError):
        customer.save(qb=client)
    assert customers(control) == before
    assert customer.save(qb=client).Id  # the connection pool recovers


def test_drop_after_commit_creates_the_object_without_answering(emu, qb, control):
    control("POST", "faults", json={"kind": "drop_after_commit", "method": "POST"})
    client = qb(realm=EMPTY)
    before = customers(control)
    customer = Customer()
    customer.DisplayName = "Created In The Dark"
    with pytest.raises(requests.exceptions.ConnectionError):
        customer.save(qb=client, request_id="dark-1")
    assert customers(control) == before + 1
    # the retry with the same requestid gets the original answer, not a duplicate
    saved = customer.save(qb=client, request_id="dark-1")
    assert saved.DisplayName == "Created In The Dark"
    assert customers(control) == before + 1
    assert Customer.filter(DisplayName="Created In The Dark", qb=client)[0].Id == saved.Id


def test_random_injection_is_deterministic_under_a_seed(emu, qb, control):
    settings = {"seed": 7, "rates": {"500": 0.3, "429": 0.2}, "paths": ["/companyinfo/"]}

    def run():
        control("PATCH", "config", json={"fault_injection": settings, "limits_enabled": False})
        client = qb()
        return [raw_get(emu, client).status_code for _ in range(25)]

    first = run()
    control("POST", "reset")
    second = run()
    assert first == second
    assert {200, 500, 429} <= set(first)


def test_latency_injection(emu, qb, control):
    control("PATCH", "config", json={"fault_injection": {"latency_ms": [250, 250]}})
    client = qb()
    started = time.monotonic()
    CompanyInfo.get(US, qb=client)
    assert time.monotonic() - started >= 0.25


def test_delete_faults_clears_scripted_and_random(emu, qb, control):
    control("POST", "faults", json={"kind": "500", "count": 5})
    control("PATCH", "config", json={"fault_injection": {"rates": {"503": 1.0}}})
    state = control("DELETE", "faults")
    assert state == {"scripted": [], "random": {}}
    CompanyInfo.get(US, qb=qb())


def test_unknown_fault_kind_is_refused(emu):
    answer = requests.post(emu.base_url + "/_emulator/faults", json={"kind": "meteor"}, timeout=30)
    assert answer.status_code == 400


def test_refresh_answer_lost_after_commit_kills_the_old_token(emu, auth_client, control):
    """The classic dead connection: QBO rotated the refresh token but the answer never arrived."""
    tokens = control("POST", "mint", json={"realm_id": US})
    client = auth_client()
    control("POST", "faults", json={"kind": "drop_after_commit", "path": "/oauth2/v1/tokens/bearer"})
    with pytest.raises(requests.exceptions.ConnectionError):
        client.refresh(refresh_token=tokens["refresh_token"])
    assert control("GET", "stats")["realms"][US]["token_refreshes"] == 1
    with pytest.raises(AuthClientError) as error:
        client.refresh(refresh_token=tokens["refresh_token"])
    assert error.value.response.json()["error"] == "invalid_grant"


def test_token_endpoint_can_answer_503(emu, auth_client, control):
    tokens = control("POST", "mint", json={"realm_id": US})
    control("POST", "faults", json={"kind": "503", "path": "/oauth2/v1/tokens/bearer"})
    client = auth_client()
    with pytest.raises(AuthClientError) as error:
        client.refresh(refresh_token=tokens["refresh_token"])
    assert error.value.status_code == 503
    client.refresh(refresh_token=tokens["refresh_token"])  # nothing happened the first time
    assert client.refresh_token != tokens["refresh_token"]


def test_stats_tell_the_limits_429s_from_injected_ones(emu, qb, control):
    """A client pacing itself brings rate_limited to 0; injected 429s are the test's, not its."""
    control("PATCH", "config", json={"requests_per_minute": 2})
    client = qb()
    control("POST", "faults", json={"kind": "429", "count": 1, "realm": US})
    with pytest.raises(ValidationException):
        CompanyInfo.get(US, qb=client)  # injected: answered before the limits count the call
    CompanyInfo.get(US, qb=client)
    CompanyInfo.get(US, qb=client)
    with pytest.raises(ValidationException):
        CompanyInfo.get(US, qb=client)  # the limit's own
    stats = control("GET", "stats")["realms"][US]
    assert (stats["throttled"], stats["rate_limited"], stats["injected"]) == (2, 1, 1)
