"""The seeded sandbox companies look like Intuit's: company, preferences, lists, sample documents."""

from quickbooks.objects.account import Account
from quickbooks.objects.company_info import CompanyInfo
from quickbooks.objects.customer import Customer
from quickbooks.objects.employee import Employee
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.payment import Payment
from quickbooks.objects.paymentmethod import PaymentMethod
from quickbooks.objects.preferences import Preferences
from quickbooks.objects.taxagency import TaxAgency
from quickbooks.objects.taxcode import TaxCode
from quickbooks.objects.taxrate import TaxRate
from quickbooks.objects.term import Term
from quickbooks.objects.trackingclass import Class
from quickbooks.objects.department import Department
from quickbooks.objects.vendor import Vendor

from qbo_emulator.accounting.testing import CA, EMPTY, US, find


def names(objects, field="Name"):
    return {getattr(o, field) for o in objects}


def test_us_company_and_preferences(emu, qb):
    client = qb(US)
    info = CompanyInfo.get(US, qb=client)
    assert (info.CompanyName, info.Country) == ("Sandbox Company US", "US")
    prefs = Preferences.get(qb=client)
    assert prefs.CurrencyPrefs.HomeCurrency.value == "USD"
    assert prefs.CurrencyPrefs.MultiCurrencyEnabled is False
    assert prefs.TaxPrefs.UsingSalesTax is True and prefs.TaxPrefs.PartnerTaxEnabled is False
    assert prefs.AccountingInfoPrefs.ClassTrackingPerTxn is False
    assert prefs.SalesFormsPrefs.CustomTxnNumbers is True and prefs.SalesFormsPrefs.AllowDiscount is True


def test_us_lists(emu, qb):
    client = qb(US)
    accounts = Account.all(qb=client, max_results=1000)
    by_type = {}
    for acc in accounts:
        by_type.setdefault(acc.AccountType, set()).add(acc.Name)
    assert {"Checking", "Savings"} <= by_type["Bank"]
    assert "Undeposited Funds" in by_type["Other Current Asset"]
    assert by_type["Accounts Receivable"] == {"Accounts Receivable (A/R)"}
    assert {"Sales of Product Income", "Services"} <= by_type["Income"]
    assert by_type["Cost of Goods Sold"] and by_type["Accounts Payable"] and by_type["Credit Card"]
    assert names(TaxCode.all(qb=client)) == {"TAX", "NON", "California", "Tucson"}
    assert names(TaxRate.all(qb=client)) == {"California", "AZ State tax", "Tucson City"}
    assert find(TaxRate, client, Name="California").RateValue == 8
    assert len(TaxAgency.all(qb=client)) == 2
    assert names(Term.all(qb=client)) == {"Net 30", "Net 15", "Due on receipt"}
    assert names(PaymentMethod.all(qb=client)) == {"Cash", "Check", "Visa", "MasterCard"}
    assert len(Class.all(qb=client)) == 2 and len(Department.all(qb=client)) == 2
    assert len(Vendor.all(qb=client)) == 2 and len(Employee.all(qb=client)) == 1
    items = Item.all(qb=client)
    assert {i.Type for i in items} == {"Service", "NonInventory", "Inventory"}
    assert all(i.IncomeAccountRef and i.Sku for i in items)


def test_us_customers_include_an_inactive_one_and_a_job(emu, qb):
    client = qb(US)
    active = Customer.all(qb=client)  # name lists answer active objects unless asked otherwise
    everyone = Customer.where("Active IN (true, false)", qb=client)
    inactive = [c for c in everyone if c.Active is False]
    assert len(inactive) == 1 and inactive[0].DisplayName == "Jeff's Jalopies"
    assert len(everyone) == len(active) + 1
    assert all(c.PrimaryEmailAddr for c in everyone)
    job = find(Customer, client, DisplayName="0969 Ocean View Road")
    assert job.Job is True and job.FullyQualifiedName == "Freeman Sporting Goods:0969 Ocean View Road"
    assert job.BillWithParent is True


def test_us_sample_invoices_paid_partial_open(emu, qb):
    client = qb(US)
    by_number = {i.DocNumber: i for i in Invoice.all(qb=client)}
    assert (by_number["1001"].TotalAmt, by_number["1001"].Balance) == (150, 0)
    assert (by_number["1002"].TotalAmt, by_number["1002"].Balance) == (397, 197)  # 275*8% tax = 22
    assert (by_number["1003"].TotalAmt, by_number["1003"].Balance) == (105, 105)
    assert [l.TxnType for l in by_number["1001"].LinkedTxn] == ["Payment"]
    assert len(Payment.all(qb=client)) == 2
    assert find(Customer, client, DisplayName="Bill's Windsurf Shop").Balance == 197


def test_ca_company_gst_hst(emu, qb):
    client = qb(CA)
    info = CompanyInfo.get(CA, qb=client)
    assert (info.CompanyName, info.Country) == ("Sandbox Company CA", "CA")
    assert Preferences.get(qb=client).CurrencyPrefs.HomeCurrency.value == "CAD"
    codes = names(TaxCode.all(qb=client))
    assert {"GST", "HST ON", "Exempt", "Zero-rated"} <= codes and "TAX" not in codes
    rates = {r.Name: r.RateValue for r in TaxRate.all(qb=client)}
    assert (rates["GST"], rates["HST ON"], rates["Exempt"], rates["Zero-rated"]) == (5, 13, 0, 0)
    assert "Canada Revenue Agency" in names(TaxAgency.all(qb=client), "DisplayName")
    assert len(Customer.all(qb=client)) >= 3 and len(Item.all(qb=client)) >= 3
    assert len(Term.all(qb=client)) == 3 and len(PaymentMethod.all(qb=client)) >= 4
    assert find(Invoice, client, DocNumber="1001").TotalAmt == 226  # 200 + 13% HST


def test_empty_company_has_only_the_minimum(emu, qb):
    client = qb(EMPTY)
    assert CompanyInfo.get(EMPTY, qb=client).CompanyName == "Empty Company US"
    assert {a.AccountType for a in Account.all(qb=client)} == {
        "Accounts Receivable",
        "Other Current Asset",
        "Income",
        "Bank",
    }
    assert names(TaxCode.all(qb=client)) == {"TAX", "NON"}
    for cls in (Customer, Item, Invoice, Payment, Vendor, Term):
        assert cls.all(qb=client) == [], cls.__name__
