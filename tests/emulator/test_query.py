"""The query language as python-quickbooks speaks it, and its edge cases."""

import json

import pytest
import requests
from quickbooks.exceptions import ValidationException
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item

US = "9130357766900001"
EMPTY = "9130357766900003"


@pytest.fixture
def empty_qb(emu, qb):
    """The empty company with customers C01..C07, C03 and C06 inactive."""
    client = qb(realm=EMPTY)
    for number in range(1, 8):
        body = {"DisplayName": "C%02d" % number, "Balance": 0}
        created = client.create_object("Customer", json.dumps(body))["Customer"]
        if number in (3, 6):
            client.update_object(
                "Customer",
                json.dumps({"Id": created["Id"], "SyncToken": created["SyncToken"], "sparse": True, "Active": False}),
            )
    return client


def names(rows):
    return [row.DisplayName for row in rows]


def test_select_all_returns_active_name_list_rows_only(empty_qb):
    assert names(Customer.all(qb=empty_qb)) == ["C01", "C02", "C04", "C05", "C07"]


def test_active_in_where_lifts_the_active_filter(empty_qb):
    assert names(Customer.where("Active = false", qb=empty_qb)) == ["C03", "C06"]
    assert len(Customer.where("Active IN (true, false)", qb=empty_qb)) == 7
    assert len(Customer.filter(Active=True, qb=empty_qb)) == 5


def test_order_by_both_spellings(empty_qb):
    assert names(Customer.all(order_by="DisplayName DESC", qb=empty_qb)) == ["C07", "C05", "C04", "C02", "C01"]
    assert names(Customer.where("", order_by="DisplayName DESC", qb=empty_qb))[0] == "C07"
    assert names(Customer.where("DisplayName LIKE 'C0%'", order_by="DisplayName ASC", qb=empty_qb))[0] == "C01"


def test_pagination_is_one_based(empty_qb):
    pages = [
        names(Customer.where("", order_by="DisplayName", start_position=start, max_results=2, qb=empty_qb))
        for start in (1, 3, 5, 7)
    ]
    assert pages == [["C01", "C02"], ["C04", "C05"], ["C07"], []]
    raw = empty_qb.query("SELECT * FROM Customer ORDERBY DisplayName STARTPOSITION 3 MAXRESULTS 2")
    assert raw["QueryResponse"]["startPosition"] == 3 and raw["QueryResponse"]["maxResults"] == 2


def test_default_page_is_100_and_1000_is_the_maximum(empty_qb):
    for number in range(8, 110):
        empty_qb.create_object("Customer", json.dumps({"DisplayName": "C%03d" % number}))
    assert len(empty_qb.query("SELECT * FROM Customer")["QueryResponse"]["Customer"]) == 100
    assert len(Customer.all(max_results=1000, qb=empty_qb)) == 107
    with pytest.raises(ValidationException) as error:
        Customer.all(max_results=1001, qb=empty_qb)
    assert error.value.error_code == 4001


def test_no_match_leaves_the_entity_key_out(empty_qb):
    answer = empty_qb.query("SELECT * FROM Customer WHERE DisplayName = 'Nobody'")
    assert "Customer" not in answer["QueryResponse"]
    assert Customer.filter(DisplayName="Nobody", qb=empty_qb) == []


def test_count(empty_qb):
    assert Customer.count(qb=empty_qb) == 5
    assert Customer.count("Active = false", qb=empty_qb) == 2


def test_count_response_shape(empty_qb):
    answer = empty_qb.query("SELECT count(*) FROM Customer WHERE DisplayName IN ('C01', 'C02', 'C03')")
    assert answer["QueryResponse"] == {"totalCount": 2}


def test_lowercase_in_from_choose(empty_qb):
    ids = [c.Id for c in Customer.all(qb=empty_qb)][:3]
    assert sorted(c.Id for c in Customer.choose(ids, qb=empty_qb)) == sorted(ids)


def test_quote_escapes(emu, qb):
    client = qb()
    assert names(Customer.filter(DisplayName="Amy's Bird Sanctuary", qb=client)) == ["Amy's Bird Sanctuary"]
    assert names(Customer.where(r"DisplayName = 'Bill\'s Windsurf Shop'", qb=client)) == ["Bill's Windsurf Shop"]


def test_like_is_percent_only_and_case_insensitive(emu, qb):
    client = qb()
    assert names(Customer.where("DisplayName LIKE 'cool%'", qb=client)) == ["Cool Cars"]
    assert names(Customer.where("DisplayName LIKE '%CARS'", qb=client)) == ["Cool Cars"]
    assert names(Customer.where("DisplayName LIKE 'Cool_Cars'", qb=client)) == []


def test_string_equality_and_in_ignore_case(emu, qb):
    client = qb()
    assert names(Customer.where("DisplayName = 'cool cars'", qb=client)) == ["Cool Cars"]
    assert names(Customer.where("DisplayName IN ('COOL CARS', 'nobody')", qb=client)) == ["Cool Cars"]
    # Case only: a different name is still not found.
    assert names(Customer.where("DisplayName = 'cool car'", qb=client)) == []


def test_select_star_sku_from_item(emu, qb):
    items = Item.all(qb=qb())
    assert "Services" in [item.Name for item in items]


def test_dotted_properties_and_references(emu, qb):
    client = qb()
    cool = Customer.filter(DisplayName="Cool Cars", qb=client)[0]
    invoices = Invoice.where("CustomerRef = '%s'" % cool.Id, qb=client)
    assert invoices and all(inv.CustomerRef.value == cool.Id for inv in invoices)
    stamp = max(inv.MetaData.LastUpdatedTime for inv in Invoice.all(qb=client))
    assert Invoice.where("MetaData.LastUpdatedTime <= '%s'" % stamp, qb=client)
    assert Invoice.where("MetaData.LastUpdatedTime > '%s'" % stamp, qb=client) == []
    assert Invoice.where("MetaData.LastUpdatedTime > '2000-01-01'", qb=client)


def test_email_address_filters_by_its_address_as_documented(emu, qb):
    """Intuit's documented form is `PrimaryEmailAddr = 'x@y'`; the dotted form works too."""
    client = qb()
    assert names(Customer.where("PrimaryEmailAddr = 'Cool_Cars@intuit.com'", qb=client)) == ["Cool Cars"]
    assert names(Customer.where("PrimaryEmailAddr.Address = 'Cool_Cars@intuit.com'", qb=client)) == ["Cool Cars"]
    assert names(Customer.where("PrimaryEmailAddr LIKE 'cool_cars@INTUIT.com'", qb=client)) == ["Cool Cars"]
    assert Customer.where("PrimaryEmailAddr = 'nobody@intuit.com'", qb=client) == []
    # An address (BillAddr) is not an email address: it is not compared as one.
    assert Customer.where("BillAddr = '65 Ocean Dr.'", qb=client) == []


def test_numeric_comparisons(emu, qb):
    client = qb()
    totals = sorted(inv.TotalAmt for inv in Invoice.all(qb=client))
    above = Invoice.where("TotalAmt > '%s'" % totals[0], qb=client)
    assert sorted(inv.TotalAmt for inv in above) == totals[1:]
    assert len(Invoice.where("TotalAmt >= '%s'" % totals[0], qb=client)) == len(totals)
    assert len(Invoice.where("TotalAmt < '%s'" % totals[-1], qb=client)) == len(totals) - 1


@pytest.mark.parametrize(
    "statement, code",
    [
        ("SELECT * FROM customer", 4001),  # entity names are case-sensitive
        ("SELECT * FROM Spaceship", 4001),
        ("SELECT FROM Customer", 4000),
        ("SELECT * FROM Customer WHERE DisplayName = 'a' OR DisplayName = 'b'", 4000),
        ("SELECT * FROM Customer WHERE DisplayName ~ 'a'", 4000),
        ("SELECT * FROM Customer WHERE DisplayName = 'unterminated", 4000),
        ("SELECT * FROM Customer STARTPOSITION 0", 4001),
        ("SELECT * FROM Customer GROUP BY DisplayName", 4000),
    ],
)
def test_bad_queries_are_faults(emu, qb, statement, code):
    with pytest.raises(ValidationException) as error:
        qb().query(statement)
    assert error.value.error_code == code
    if code == 4000:
        assert "QueryParserError" in error.value.detail


def test_bad_query_is_http_400_with_fault(emu, qb):
    client = qb()
    answer = requests.post(
        emu.base_url + "/v3/company/%s/query" % US,
        data="SELECT nonsense",
        headers={"Authorization": "Bearer " + client.session.access_token, "Content-Type": "application/text"},
        timeout=30,
    )
    assert answer.status_code == 400
    assert answer.json()["Fault"]["Error"][0]["Message"] == "Error parsing query"


def test_field_list_returns_those_fields_and_the_identity(empty_qb):
    rows = empty_qb.query("SELECT DisplayName FROM Customer WHERE DisplayName = 'C01'")["QueryResponse"]["Customer"]
    assert set(rows[0]) == {"DisplayName", "Id", "SyncToken", "MetaData"}


def test_count_of_nothing_is_zero(emu, qb):
    assert Invoice.count(qb=qb(realm=EMPTY)) == 0
