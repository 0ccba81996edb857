"""What code written against a real Intuit sandbox meets (issue 10, item 9): Preferences as
QuickBooks answers them, include=invoiceLink, and the opt-in sample company seeded like Intuit's
sandbox companies."""

import json

import requests
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.payment import Payment
from quickbooks.objects.preferences import Preferences
from quickbooks.objects.taxcode import TaxCode

from qbo_emulator.accounting.testing import CA, EMPTY, US, find

SECTIONS = (
    "AccountingInfoPrefs",
    "ProductAndServicesPrefs",
    "SalesFormsPrefs",
    "EmailMessagesPrefs",
    "VendorAndPurchasesPrefs",
    "TimeTrackingPrefs",
    "TaxPrefs",
    "CurrencyPrefs",
    "ReportPrefs",
    "OtherPrefs",
)


def raw(emu, realm, path, params=None, method="GET", data=None):
    """A v3 call as a sandbox answers it (the JSON itself, not python-quickbooks' objects)."""
    token = requests.post(
        emu.base_url + "/_emulator/mint", json={"client_id": "emulator-client-id", "realm_id": realm}, timeout=30
    ).json()["access_token"]
    answer = requests.request(
        method,
        f"{emu.base_url}/v3/company/{realm}/{path}",
        params={"minorversion": 75, **(params or {})},
        data=data,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json", "Content-Type": "application/text"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_preferences_answered_with_their_id_and_every_section(emu, qb):
    for realm in (US, CA, EMPTY):
        prefs = raw(emu, realm, "preferences")["Preferences"]
        assert prefs["Id"] == "1"
        assert prefs["SyncToken"] == "0"
        assert {"CreateTime", "LastUpdatedTime"} <= set(prefs["MetaData"])
        assert set(SECTIONS) <= set(prefs), set(SECTIONS) - set(prefs)
        emails = prefs["EmailMessagesPrefs"]
        assert {"InvoiceMessage", "EstimateMessage", "SalesReceiptMessage", "StatementMessage"} <= set(emails)
        assert all({"Subject", "Message"} <= set(message) for message in emails.values())
        custom = prefs["SalesFormsPrefs"]["CustomField"][0]["CustomField"]
        assert [f["Name"] for f in custom] == [f"SalesFormsPrefs.UseSalesCustom{i}" for i in (1, 2, 3)]
        assert prefs["OtherPrefs"]["NameValue"]
    # The same object through a query, and through python-quickbooks.
    queried = raw(emu, US, "query", data="select * from Preferences", method="POST")["QueryResponse"]["Preferences"]
    assert queried[0]["Id"] == "1"
    prefs = Preferences.get(qb=qb(US))
    assert prefs.Id == "1" and prefs.SalesFormsPrefs.CustomTxnNumbers is True
    assert prefs.EmailMessagesPrefs.InvoiceMessage.Subject
    assert prefs.CurrencyPrefs.HomeCurrency.value == "USD"


def test_preferences_update_keeps_id_and_moves_sync_token(emu, qb):
    client = qb(EMPTY)
    prefs = Preferences.get(qb=client)
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
    )["Preferences"]
    assert (answer["Id"], answer["SyncToken"]) == ("1", "1")
    assert answer["EmailMessagesPrefs"]["StatementMessage"]["Subject"]


def test_seeded_ids_unchanged_by_the_preferences_id(emu, qb):
    """The default templates seed what they did: the sample invoice 1001 is still Id 54 in the US one."""
    invoices = raw(emu, US, "query", data="select * from Invoice where DocNumber = '1001'", method="POST")
    assert invoices["QueryResponse"]["Invoice"][0]["Id"] == "54"


def test_invoice_link_only_when_asked(emu, qb):
    client = qb(US)
    invoice = find(Invoice, client, DocNumber="1001")
    plain = raw(emu, US, f"invoice/{invoice.Id}")["Invoice"]
    assert "InvoiceLink" not in plain
    linked = raw(emu, US, f"invoice/{invoice.Id}", params={"include": "invoiceLink"})["Invoice"]
    assert linked["InvoiceLink"].startswith("https://connect.intuit.com/portal/app/CommerceNetwork/view/scs-v1-")
    assert (
        linked["InvoiceLink"]
        == raw(emu, US, f"invoice/{invoice.Id}", params={"include": "invoiceLink"})["Invoice"]["InvoiceLink"]
    ), "stable"
    assert {k: v for k, v in linked.items() if k != "InvoiceLink"} == plain
    # Queries too; an invoice without a BillEmail has no link to send.
    queried = raw(emu, US, "query", params={"include": "invoiceLink"}, data="select * from Invoice", method="POST")
    by_number = {i["DocNumber"]: i for i in queried["QueryResponse"]["Invoice"]}
    assert by_number["1001"]["InvoiceLink"] == linked["InvoiceLink"]
    not_asked = raw(emu, US, "query", data="select * from Invoice", method="POST")["QueryResponse"]["Invoice"]
    assert not any("InvoiceLink" in i for i in not_asked)
    customer = Customer()
    customer.DisplayName = "No Email Customer"
    customer.save(qb=client)
    no_email = Invoice()
    no_email.CustomerRef = customer.to_ref()
    no_email.Line = find(Invoice, client, DocNumber="1003").Line[:1]
    no_email.save(qb=client)
    answer = raw(emu, US, f"invoice/{no_email.Id}", params={"include": "invoiceLink"})["Invoice"]
    assert not (answer.get("BillEmail") or {}).get("Address")
    assert "InvoiceLink" not in answer
    # Other entities are left as they are.
    payment = Payment.all(qb=client)[0]
    assert "InvoiceLink" not in raw(emu, US, f"payment/{payment.Id}", params={"include": "invoiceLink"})["Payment"]


def test_us_sample_company_is_opt_in_and_like_intuits_sandbox(emu, qb, control):
    realm = control("POST", "companies", json={"template": "us_sample"})["realm_id"]
    assert control("GET", "config")  # the emulator still answers its configuration
    client = qb(realm)
    customers = {c.DisplayName for c in Customer.all(qb=client, max_results=1000)}
    assert {
        "Amy's Bird Sanctuary",
        "Bill's Windsurf Shop",
        "Cool Cars",
        "Kookies by Kathy",
        "Red Rock Diner",
        "Sushi by Katsuyuki",
        "Travis Waldron",
        "Barnett Design",
        "55 Twin Lane",
    } <= customers
    items = {i.Name for i in Item.all(qb=client, max_results=1000)}
    assert {"Design", "Gardening", "Hours", "Services", "Installation", "Trimming", "Soil", "Rock Fountain"} <= items
    assert {c.Name for c in TaxCode.all(qb=client)} >= {"TAX", "NON", "California", "Tucson"}
    invoices = {i.DocNumber: i for i in Invoice.all(qb=client, max_results=1000)}
    assert {"1001", "1002", "1003", "1004", "1005", "1006", "1007"} <= set(invoices)
    assert invoices["1004"].Balance == 0
    assert invoices["1006"].Balance == invoices["1006"].TotalAmt - 100
    payments = Payment.all(qb=client, max_results=1000)
    assert len(payments) == 5
    deposits = {p.PaymentRefNum: p.DepositToAccountRef.name for p in payments if p.PaymentRefNum}
    assert deposits["P1004"] == "Checking" and deposits["P1006"] == "Undeposited Funds"
    on_account = [p for p in payments if not p.Line]
    assert len(on_account) == 1 and on_account[0].UnappliedAmt == 50
    # The default US company seeds what it always did: none of the sample company's additions.
    us_customers = {c.DisplayName for c in Customer.all(qb=qb(US), max_results=1000)}
    assert "Kookies by Kathy" not in us_customers and "Amy's Bird Sanctuary" in us_customers
    assert len(Payment.all(qb=qb(US))) == 2
