"""The OAuth 2.0 server, driven through intuitlib (raw requests only for the browser pages)."""

import re
import threading
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from quickbooks import QuickBooks
from quickbooks.exceptions import AuthorizationException, QuickbooksException
from quickbooks.objects.company_info import CompanyInfo

CLIENT_ID = "emulator-client-id"
DEFAULT_REALM = "9130357766900001"
REDIRECT_URI = "http://localhost:8069/qbo/oauth/callback"


def approve(emu, client, realm=DEFAULT_REALM):
    """Approve through the authorize page's form, as a user would; returns the callback query."""
    url = client.get_authorization_url([Scopes.ACCOUNTING], state_token="st-123")
    page = requests.get(url, timeout=30)
    assert page.status_code == 200
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text))
    fields.update(realm_id=realm, decision="approve")
    answer = requests.post(emu.base_url + "/connect/oauth2", data=fields, allow_redirects=False, timeout=30)
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


def connected_qb(emu, client, realm=DEFAULT_REALM):
    qb = QuickBooks(auth_client=client, refresh_token=client.refresh_token, company_id=realm, minorversion=75)
    qb.api_url_v3 = qb.sandbox_api_url_v3 = emu.base_url + "/v3"
    return qb


def test_discovery_points_back_at_the_emulator(emu, auth_client):
    client = auth_client()
    assert client.token_endpoint == emu.base_url + "/oauth2/v1/tokens/bearer"
    assert client.auth_endpoint == emu.base_url + "/connect/oauth2"
    assert client.revoke_endpoint == emu.base_url + "/v2/oauth2/tokens/revoke"
    sandbox = requests.get(emu.base_url + "/.well-known/openid_sandbox_configuration", timeout=30).json()
    assert sandbox["token_endpoint"] == client.token_endpoint


def test_full_dance_from_authorize_page_to_api_call(emu, auth_client):
    client = auth_client()
    page = requests.get(client.get_authorization_url([Scopes.ACCOUNTING], state_token="s1"), timeout=30)
    assert "Emulator App" in page.text
    assert "Sandbox Company US" in page.text and "Sandbox Company CA" in page.text
    assert 'value="approve"' in page.text and 'value="deny"' in page.text

    callback = approve(emu, client, realm="9130357766900002")
    assert callback["state"] == "st-123"
    assert callback["realmId"] == "9130357766900002"
    client.get_bearer_token(callback["code"], realm_id=callback["realmId"])
    assert client.access_token and client.refresh_token
    assert client.expires_in == 3600
    assert client.x_refresh_token_expires_in == 100 * 86400

    info = CompanyInfo.get(callback["realmId"], qb=connected_qb(emu, client, callback["realmId"]))
    assert info.CompanyName == "Sandbox Company CA"


def test_deny_redirects_with_access_denied(emu, auth_client):
    client = auth_client()
    url = client.get_authorization_url([Scopes.ACCOUNTING], state_token="s2")
    params = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    answer = requests.post(
        emu.base_url + "/connect/oauth2", data={**params, "decision": "deny"}, allow_redirects=False, timeout=30
    )
    assert answer.status_code == 302
    query = parse_qs(urlparse(answer.headers["Location"]).query)
    assert query == {"error": ["access_denied"], "state": ["s2"]}


def test_non_interactive_approve(emu, auth_client):
    client = auth_client()
    url = client.get_authorization_url([Scopes.ACCOUNTING], state_token="s3")
    answer = requests.post(
        url.replace("/connect/oauth2?", "/connect/oauth2/approve?"),
        data={"realm_id": DEFAULT_REALM},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302
    query = parse_qs(urlparse(answer.headers["Location"]).query)
    client.get_bearer_token(query["code"][0], realm_id=query["realmId"][0])
    assert client.refresh_token


@pytest.mark.parametrize(
    "params",
    [
        {"client_id": "nobody", "redirect_uri": REDIRECT_URI},
        {"client_id": CLIENT_ID, "redirect_uri": "http://localhost:8069/evil"},
    ],
)
def test_unknown_client_or_redirect_gets_an_error_page_never_a_redirect(emu, params):
    query = {**params, "response_type": "code", "scope": Scopes.ACCOUNTING.value, "state": "x"}
    page = requests.get(emu.base_url + "/connect/oauth2", params=query, allow_redirects=False, timeout=30)
    assert page.status_code == 400 and "Location" not in page.headers
    answer = requests.post(
        emu.base_url + "/connect/oauth2/approve",
        params=query,
        data={"realm_id": DEFAULT_REALM},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 400 and "Location" not in answer.headers


def test_authorization_code_is_single_use(emu, auth_client):
    client = auth_client()
    code = approve(emu, client)["code"]
    client.get_bearer_token(code, realm_id=DEFAULT_REALM)
    with pytest.raises(AuthClientError) as error:
        auth_client().get_bearer_token(code, realm_id=DEFAULT_REALM)
    assert error.value.status_code == 400
    assert error.value.response.json()["error"] == "invalid_grant"
    assert error.value.intuit_tid


def test_authorization_code_expires(emu, auth_client, control):
    client = auth_client()
    code = approve(emu, client)["code"]
    control("POST", "clock", json={"advance_seconds": 301})
    with pytest.raises(AuthClientError) as error:
        client.get_bearer_token(code, realm_id=DEFAULT_REALM)
    assert error.value.response.json()["error"] == "invalid_grant"


def test_code_needs_the_same_redirect_uri(emu, auth_client):
    code = approve(emu, auth_client())["code"]
    other = auth_client(redirect_uri="http://127.0.0.1:8069/qbo/oauth/callback")
    with pytest.raises(AuthClientError) as error:
        other.get_bearer_token(code, realm_id=DEFAULT_REALM)
    assert error.value.response.json()["error"] == "invalid_grant"


def test_refresh_rotates_and_the_old_token_dies_at_once(emu, auth_client, control):
    client = auth_client()
    client.get_bearer_token(approve(emu, client)["code"], realm_id=DEFAULT_REALM)
    first = client.refresh_token
    client.refresh()
    assert client.refresh_token != first
    with pytest.raises(AuthClientError) as error:
        auth_client().refresh(refresh_token=first)
    assert error.value.status_code == 400
    assert error.value.response.json() == {"error": "invalid_grant", "error_description": "Token invalid"}
    stats = control("GET", "stats")["realms"][DEFAULT_REALM]
    assert (stats["token_refreshes"], stats["token_refresh_failures"]) == (1, 1)
    grants = [r["grant_type"] for r in control("GET", "requests")["requests"] if r["grant_type"]]
    assert grants == ["authorization_code", "refresh_token", "refresh_token"]


def test_superseded_refresh_token_lives_through_the_grace(emu, auth_client, control):
    control("PATCH", "config", json={"refresh_grace_seconds": 60})
    client = auth_client()
    client.get_bearer_token(approve(emu, client)["code"], realm_id=DEFAULT_REALM)
    first = client.refresh_token
    client.refresh()
    auth_client().refresh(refresh_token=first)
    control("POST", "clock", json={"advance_seconds": 61})
    with pytest.raises(AuthClientError):
        auth_client().refresh(refresh_token=first)


def test_daily_rotation_keeps_the_token_for_24_hours(emu, auth_client, control):
    control("PATCH", "config", json={"refresh_rotation": "daily"})
    client = auth_client()
    client.get_bearer_token(approve(emu, client)["code"], realm_id=DEFAULT_REALM)
    first, first_access = client.refresh_token, client.access_token
    client.refresh()
    assert client.refresh_token == first and client.access_token != first_access
    control("POST", "clock", json={"advance_seconds": 86401})
    client.refresh()
    assert client.refresh_token != first


def test_refresh_token_expires_after_its_rolling_life(emu, auth_client, control):
    client = auth_client()
    client.get_bearer_token(approve(emu, client)["code"], realm_id=DEFAULT_REALM)
    control("POST", "clock", json={"advance_seconds": 100 * 86400 + 1})
    with pytest.raises(AuthClientError) as error:
        client.refresh()
    assert error.value.response.json()["error"] == "invalid_grant"


def test_hard_expiry_only_on_request(emu, auth_client):
    client = auth_client()
    client.get_bearer_token(approve(emu, client)["code"], realm_id=DEFAULT_REALM)
    assert not hasattr(client, "x_refresh_token_hard_expires_in")
    client.headers["x-include-refresh-token-hard-expires-in"] = "true"
    client.refresh()
    assert 5 * 365 * 86400 - 60 < client.x_refresh_token_hard_expires_in <= 5 * 365 * 86400


def test_wrong_client_secret_is_invalid_client(emu, auth_client):
    client = auth_client()
    code = approve(emu, client)["code"]
    with pytest.raises(AuthClientError) as error:
        auth_client(client_secret="wrong").get_bearer_token(code, realm_id=DEFAULT_REALM)
    assert error.value.status_code == 401
    assert error.value.response.json() == {"error": "invalid_client"}


def test_revoke_kills_access_and_refresh_tokens(emu, auth_client):
    client = auth_client()
    client.get_bearer_token(approve(emu, client)["code"], realm_id=DEFAULT_REALM)
    qb = connected_qb(emu, client)
    assert CompanyInfo.get(DEFAULT_REALM, qb=qb).CompanyName == "Sandbox Company US"
    assert client.revoke(token=client.refresh_token) is True
    with pytest.raises(AuthorizationException):
        CompanyInfo.get(DEFAULT_REALM, qb=qb)
    with pytest.raises(AuthClientError) as error:
        client.refresh()
    assert error.value.response.json()["error"] == "invalid_grant"


def test_expired_access_token_is_401_then_refresh_recovers(emu, auth_client, control):
    client = auth_client()
    client.get_bearer_token(approve(emu, client)["code"], realm_id=DEFAULT_REALM)
    qb = connected_qb(emu, client)
    control("POST", "clock", json={"advance_seconds": 3601})
    with pytest.raises(AuthorizationException) as error:
        CompanyInfo.get(DEFAULT_REALM, qb=qb)
    assert error.value.error_code == 401
    body = error.value.detail
    assert '"code": "3200"' in body and "Token expired" in body and "AuthenticationFailed" in body
    client.refresh()
    assert CompanyInfo.get(DEFAULT_REALM, qb=connected_qb(emu, client)).CompanyName


def test_token_of_another_company_is_403_3100(emu, qb):
    other = qb(realm=DEFAULT_REALM)
    other.company_id = "9130357766900002"
    with pytest.raises(QuickbooksException) as error:
        CompanyInfo.get("9130357766900002", qb=other)
    assert "403" in error.value.message
    answer = requests.get(
        emu.base_url + "/v3/company/9130357766900002/companyinfo/9130357766900002",
        headers={"Authorization": "Bearer " + other.session.access_token},
        timeout=30,
    )
    assert answer.status_code == 403
    assert answer.json()["fault"]["error"][0]["code"] == "3100"
    assert answer.headers["intuit_tid"]


def test_missing_token_is_401_in_the_gateway_shape(emu):
    answer = requests.get(
        emu.base_url + "/v3/company/%s/companyinfo/%s" % (DEFAULT_REALM, DEFAULT_REALM),
        params={"minorversion": 75},
        timeout=30,
    )
    assert answer.status_code == 401
    fault = answer.json()["fault"]
    assert fault["type"] == "AUTHENTICATION"
    assert fault["error"][0]["message"] == "message=AuthenticationFailed; errorCode=003200; statusCode=401"


def test_two_concurrent_refreshes_of_one_token_one_wins(emu, auth_client, control):
    client = auth_client()
    client.get_bearer_token(approve(emu, client)["code"], realm_id=DEFAULT_REALM)
    token = client.refresh_token
    outcomes = []

    def refresh():
        try:
            auth_client().refresh(refresh_token=token)
            outcomes.append("ok")
        except AuthClientError as error:
            outcomes.append(error.response.json()["error"])

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["invalid_grant", "ok"]
    stats = control("GET", "stats")["realms"][DEFAULT_REALM]
    assert (stats["token_refreshes"], stats["token_refresh_failures"]) == (1, 1)


def test_another_app_cannot_revoke_our_connection(emu, auth_client, control):
    control(
        "POST", "apps", json={"client_id": "intruder", "client_secret": "x", "redirect_uris": ["http://127.0.0.1:1/cb"]}
    )
    client = auth_client()
    client.get_bearer_token(approve(emu, client)["code"], realm_id=DEFAULT_REALM)
    assert auth_client(client_id="intruder", client_secret="x").revoke(token=client.refresh_token)
    client.refresh()
    assert CompanyInfo.get(DEFAULT_REALM, qb=connected_qb(emu, client)).CompanyName
