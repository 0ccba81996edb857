"""Multicurrency: off by default (foreign currencies refused), on for a company created with
it or switched on through Preferences; home amounts computed from ExchangeRate."""

from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.preferences import Preferences

from qbo_emulator.accounting.testing import US, customer, fault, find, invoice, item, payment, ref, sales_line, set_pref


def test_foreign_currency_refused_when_multicurrency_is_off(client, cool):
    with fault(6000, detail="Multicurrency"):
        invoice(client, cool, [sales_line(item(client, "Design"), qty=1, price=75)], CurrencyRef=ref("EUR"))
    inv = invoice(client, cool, [sales_line(item(client, "Design"), qty=1, price=75)])
    assert inv.CurrencyRef.value == "USD" and inv.HomeTotalAmt == 0  # not reported without multicurrency


def test_foreign_customer_invoice_and_payment(multicurrency_client):
    client = multicurrency_client
    euro = customer(client, "Euro Client GmbH", CurrencyRef=ref("EUR"))
    assert euro.CurrencyRef.value == "EUR"
    inv = invoice(
        client, euro, [sales_line(item(client, "Design"), qty=2, price=75)], CurrencyRef=ref("EUR"), ExchangeRate=1.1
    )
    assert (inv.TotalAmt, inv.HomeTotalAmt, inv.HomeBalance) == (150, 165, 165)
    payment(client, euro, 100, [(inv, 100)], CurrencyRef=ref("EUR"), ExchangeRate=1.1)
    inv = Invoice.get(inv.Id, qb=client)
    assert (inv.Balance, inv.HomeBalance) == (50, 55)
    with fault(6000, detail="customer's currency"):
        invoice(client, euro, [sales_line(item(client, "Design"), qty=1, price=75)], CurrencyRef=ref("USD"))


def test_customer_currency_cannot_change(multicurrency_client):
    client = multicurrency_client
    euro = customer(client, "Euro Client GmbH", CurrencyRef=ref("EUR"))
    euro.CurrencyRef = ref("GBP")
    with fault(6000, detail="cannot be changed"):
        euro.save(qb=client)
    euro.CurrencyRef, euro.Notes = None, "full update without CurrencyRef"
    assert euro.save(qb=client).CurrencyRef.value == "EUR"  # omitted is not a change
    cool = find(Customer, client, DisplayName="Cool Cars")  # created in the home currency
    cool.CurrencyRef = ref("EUR")
    with fault(6000):
        cool.save(qb=client)


def test_multicurrency_switched_on_through_preferences_stays_on(emu, qb):
    client = qb(US)
    set_pref(client, "CurrencyPrefs", "MultiCurrencyEnabled", True)
    assert customer(client, "Loonie Ltd", CurrencyRef=ref("CAD")).CurrencyRef.value == "CAD"
    prefs = Preferences.get(qb=client)
    prefs.CurrencyPrefs.MultiCurrencyEnabled = False
    with fault(6000):
        prefs.save(qb=client)
    prefs.CurrencyPrefs.MultiCurrencyEnabled = True
    prefs.CurrencyPrefs.HomeCurrency = ref("EUR")
    with fault(6000):
        prefs.save(qb=client)
