"""Fixtures shared by every emulator test (protocol and accounting): an in-process emulator on
loopback and python-quickbooks / intuitlib clients pointed at it."""

import os

import pytest
import requests
from intuitlib.client import AuthClient
from quickbooks import QuickBooks
from quickbooks.objects.customer import Customer

from qbo_emulator import Emulator, EmulatorConfig
from qbo_emulator.accounting.testing import find

DEFAULT_REALM = "9130357766900001"
CLIENT_ID = "emulator-client-id"
CLIENT_SECRET = "emulator-client-secret"
REDIRECT_URI = "http://localhost:8069/qbo/oauth/callback"

# python-quickbooks' OAuth2Session (oauthlib) refuses plain http unless told otherwise; the
# emulator is plain http on loopback, so every client pointed at it needs this.
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
# the libraries' requests sessions honour proxy variables; loopback must never go through one
os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"]))


@pytest.fixture(scope="session")
def emulator():
    instance = Emulator(EmulatorConfig(db_path=":memory:"))
    instance.start(host="127.0.0.1", port=0)
    yield instance
    instance.stop()


@pytest.fixture
def emu(emulator):
    """The shared emulator, reset to its seed (tokens, logs, faults, clock, config) first."""
    requests.post(emulator.base_url + "/_emulator/reset", timeout=30).raise_for_status()
    yield emulator


@pytest.fixture
def auth_client(emulator):
    def factory(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT_URI):
        return AuthClient(
            client_id, client_secret, redirect_uri, environment=emulator.base_url + "/.well-known/openid_configuration"
        )

    return factory


@pytest.fixture
def qb(emulator, auth_client):
    def factory(realm=DEFAULT_REALM, **kwargs):
        client = auth_client()
        answer = requests.post(
            emulator.base_url + "/_emulator/mint", json={"client_id": client.client_id, "realm_id": realm}, timeout=30
        )
        answer.raise_for_status()
        tokens = answer.json()
        client.access_token = tokens["access_token"]
        client.refresh_token = tokens["refresh_token"]
        client.realm_id = realm
        kwargs.setdefault("minorversion", 75)
        kwargs.setdefault("company_id", realm)
        client_qb = QuickBooks(auth_client=client, refresh_token=tokens["refresh_token"], **kwargs)
        client_qb.api_url_v3 = client_qb.sandbox_api_url_v3 = emulator.base_url + "/v3"
        return client_qb

    return factory


@pytest.fixture
def client(emu, qb):
    """The US sandbox company (the default realm); test_accounting_sales_ca overrides it with CA."""
    return qb()


@pytest.fixture
def cool(client):
    """Cool Cars, the seed's US customer that owes 105 on invoice 1003."""
    return find(Customer, client, DisplayName="Cool Cars")


@pytest.fixture
def multicurrency_client(emu, qb, control):
    """A new US company with multicurrency on (EUR among its currencies)."""
    return qb(control("POST", "companies", json={"template": "us", "multicurrency": True})["realm_id"])


@pytest.fixture
def control(emulator):
    """Call the inspection API: control("POST", "clock", json={...}) -> decoded JSON."""

    def call(method, path, **kwargs):
        answer = requests.request(method, emulator.base_url + "/_emulator/" + path, timeout=30, **kwargs)
        answer.raise_for_status()
        return answer.json()

    return call
