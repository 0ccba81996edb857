"""The inspection and control API (/_emulator/...)."""

import json
from datetime import datetime

import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from quickbooks.exceptions import ObjectNotFoundException
from quickbooks.objects.company_info import CompanyInfo
from quickbooks.objects.customer import Customer
from quickbooks.objects.preferences import Preferences

US = "9130357766900001"
EMPTY = "9130357766900003"


def test_realms_are_the_default_seed(emu, control):
    realms = control("GET", "realms")["realms"]
    assert [(r["realm_id"], r["template"], r["CompanyName"], r["Country"], r["HomeCurrency"]) for r in realms] == [
        ("9130357766900001", "us", "Sandbox Company US", "US", "USD"),
        ("9130357766900002", "ca", "Sandbox Company CA", "CA", "CAD"),
        ("9130357766900003", "empty", "Empty Company US", "US", "USD"),
    ]


def test_new_company_is_usable_through_the_api(emu, control, qb):
    company = control(
        "POST",
        "companies",
        json={"template": "ca", "CompanyName": "Maple Test Inc", "HomeCurrency": "CAD", "multicurrency": True},
    )
    realm = company["realm_id"]
    assert company["template"] == "ca" and company["multicurrency"] is True
    client = qb(realm=realm)
    assert CompanyInfo.get(realm, qb=client).CompanyName == "Maple Test Inc"
    assert Preferences.get(qb=client).CurrencyPrefs.MultiCurrencyEnabled is True
    chosen = control("POST", "companies", json={"template": "empty", "realm_id": "4620816365000000001"})
    assert chosen["realm_id"] == "4620816365000000001"
    duplicate = requests.post(emu.base_url + "/_emulator/companies", json={"realm_id": realm}, timeout=30)
    assert duplicate.status_code == 400
    assert len(control("GET", "realms")["realms"]) == 5


def test_reset_drops_added_companies_tokens_and_data(emu, control, qb):
    client = qb(realm=EMPTY)
    client.create_object("Customer", json.dumps({"DisplayName": "Before Reset"}))
    control("POST", "companies", json={"template": "empty"})
    control("POST", "clock", json={"advance_seconds": 500})
    control("POST", "reset")
    assert len(control("GET", "realms")["realms"]) == 3
    assert control("GET", "%s/Customer?count=1" % EMPTY)["count"] == 0
    assert abs(control("GET", "clock")["offset_seconds"]) < 1
    assert control("GET", "requests")["requests"] == []
    answer = requests.get(
        emu.base_url + "/v3/company/%s/companyinfo/%s" % (EMPTY, EMPTY),
        headers={"Authorization": "Bearer " + client.session.access_token},
        timeout=30,
    )
    assert answer.status_code == 401


def test_registered_app_can_run_the_dance(emu, control):
    control(
        "POST",
        "apps",
        json={
            "client_id": "other-app",
            "client_secret": "s3cret",
            "name": "Other App",
            "redirect_uris": ["http://127.0.0.1:9999/cb"],
        },
    )
    client = AuthClient(
        "other-app",
        "s3cret",
        "http://127.0.0.1:9999/cb",
        environment=emu.base_url + "/.well-known/openid_configuration",
    )
    page = requests.get(client.get_authorization_url([Scopes.ACCOUNTING]), timeout=30)
    assert "Other App" in page.text
    answer = requests.post(
        client.get_authorization_url([Scopes.ACCOUNTING]).replace("/connect/oauth2?", "/connect/oauth2/approve?"),
        data={"realm_id": US},
        allow_redirects=False,
        timeout=30,
    )
    code = answer.headers["Location"].split("code=")[1].split("&")[0]
    client.get_bearer_token(code, realm_id=US)
    assert client.refresh_token
    assert "client_secret" not in json.dumps(control("GET", "config")["apps"])


def test_mint_connects_without_a_browser(emu, control):
    tokens = control("POST", "mint", json={"client_id": "emulator-client-id", "realm_id": US})
    assert tokens["realm_id"] == US and tokens["token_type"] == "bearer"
    answer = requests.post(emu.base_url + "/_emulator/mint", json={"realm_id": "404"}, timeout=30)
    assert answer.status_code == 400


def test_objects_listing_includes_inactive(emu, control, qb):
    client = qb(realm=EMPTY)
    created = client.create_object("Customer", json.dumps({"DisplayName": "Gone Quiet"}))["Customer"]
    client.update_object(
        "Customer", json.dumps({"Id": created["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    )
    assert Customer.all(qb=client) == []
    listing = control("GET", "%s/Customer" % EMPTY)
    assert listing["count"] == 1 and listing["objects"][0]["Active"] is False
    assert control("GET", "%s/Customer?count=1" % EMPTY) == {"count": 1}
    missing = requests.get(emu.base_url + "/_emulator/%s/Spaceship" % EMPTY, timeout=30)
    assert missing.status_code == 404


def test_clock_advance_and_set(emu, control):
    before = datetime.fromisoformat(control("GET", "clock")["now"])
    after = datetime.fromisoformat(control("POST", "clock", json={"advance_seconds": 7200})["now"])
    assert 7199 <= (after - before).total_seconds() <= 7202
    fixed = control("POST", "clock", json={"set": "2027-01-15T10:00:00Z"})
    assert fixed["now"].startswith("2027-01-15T10:00")


def test_request_log_and_stats(emu, control, qb):
    client = qb()
    CompanyInfo.get(US, qb=client)
    client.create_object("Customer", json.dumps({"DisplayName": "Logged"}), request_id="log-1")
    with pytest.raises(ObjectNotFoundException):
        Customer.get("999999", qb=client)
    log = [r for r in control("GET", "requests")["requests"] if r["path"].startswith("/v3/")]
    assert [(r["method"], r["entity"], r["operation"], r["status"], r["fault_code"]) for r in log] == [
        ("GET", "CompanyInfo", "read", 200, None),
        ("POST", "Customer", "write", 200, None),
        ("GET", "Customer", "read", 400, "610"),
    ]
    assert log[1]["requestid"] == "log-1" and all(r["realm"] == US for r in log)
    assert log[0]["seq"] < log[1]["seq"] < log[2]["seq"]
    assert control("GET", "requests", params={"since": log[1]["seq"]})["requests"][0]["seq"] == log[2]["seq"]
    assert control("GET", "stats")["realms"][US]["requests"] == 3
    control("DELETE", "requests")
    assert control("GET", "requests")["requests"] == []


def test_config_patch_validates(emu, control):
    assert control("PATCH", "config", json={"requests_per_minute": 7})["requests_per_minute"] == 7
    for bad in ({"refresh_rotation": "weekly"}, {"db_path": "/tmp/x"}, {"no_such_knob": 1}):
        answer = requests.patch(emu.base_url + "/_emulator/config", json=bad, timeout=30)
        assert answer.status_code == 400
    assert control("GET", "config")["refresh_rotation"] == "always"
    control("POST", "reset")
    assert control("GET", "config")["requests_per_minute"] == 500


def test_unknown_inspection_endpoint_is_404(emu):
    assert requests.get(emu.base_url + "/_emulator/nothing-here", timeout=30).status_code == 404
