"""The seeded companies, shaped like Intuit's sandbox companies.

Everything after CompanyInfo and Preferences goes through the same `create` hook as API
writes, so the sample documents obey (and exercise) every rule."""

TEMPLATES = ("us", "ca", "empty", "us_sample")


def _preferences(currency, *, custom_numbers=True, track_departments=False, partner_tax=False):
    return {
        "AccountingInfoPrefs": {
            "FirstMonthOfFiscalYear": "January",
            "UseAccountNumbers": False,
            "TaxYearMonth": "January",
            "ClassTrackingPerTxn": False,
            "ClassTrackingPerTxnLine": False,
            "TrackDepartments": track_departments,
            "DepartmentTerminology": "Location",
            "CustomerTerminology": "Customers",
            "BookCloseDate": "",
        },
        "ProductAndServicesPrefs": {
            "ForSales": True,
            "ForPurchase": True,
            "QuantityWithPriceAndRate": True,
            "QuantityOnHand": True,
        },
        "SalesFormsPrefs": {
            "CustomTxnNumbers": custom_numbers,
            "AllowDiscount": True,
            "AllowDeposit": True,
            "AllowShipping": False,
            "AllowServiceDate": False,
            "AllowEstimates": True,
            "AutoApplyCredit": True,
            "AutoApplyPayments": True,
            "EmailCopyToCompany": False,
            "ETransactionEnabledStatus": "NotApplicable",
            "DefaultCustomerMessage": "Thank you for your business and have a great day!",
            "ETransactionPaymentEnabled": False,
            "ETransactionAttachPDF": False,
            "IPNSupportEnabled": False,
            "UsingPriceLevels": False,
            "UsingProgressInvoicing": False,
            "CustomField": [
                {
                    "CustomField": [
                        {"Name": "SalesFormsPrefs.UseSalesCustom1", "Type": "BooleanType", "BooleanValue": False},
                        {"Name": "SalesFormsPrefs.UseSalesCustom2", "Type": "BooleanType", "BooleanValue": False},
                        {"Name": "SalesFormsPrefs.UseSalesCustom3", "Type": "BooleanType", "BooleanValue": False},
                    ]
                }
            ],
        },
        "EmailMessagesPrefs": {
            "InvoiceMessage": {"Subject": "Invoice from Sandbox Company", "Message": "Your invoice is attached."},
            "EstimateMessage": {
                "Subject": "Estimate from Sandbox Company",
                "Message": "Please review the estimate below. Feel free to contact us if you have any questions.",
            },
            "SalesReceiptMessage": {
                "Subject": "Sales Receipt from Sandbox Company",
                "Message": "Your sales receipt is attached.\nThank you for your business.",
            },
            "StatementMessage": {
                "Subject": "Statement from Sandbox Company",
                "Message": "Your statement is attached. Please remit payment at your earliest convenience.",
            },
        },
        "VendorAndPurchasesPrefs": {
            "TrackingByCustomer": True,
            "BillableExpenseTracking": True,
            "POCustomField": [
                {
                    "CustomField": [
                        {"Name": "PurchasePrefs.UsePurchaseCustom1", "Type": "BooleanType", "BooleanValue": False},
                        {"Name": "PurchasePrefs.UsePurchaseCustom2", "Type": "BooleanType", "BooleanValue": False},
                        {"Name": "PurchasePrefs.UsePurchaseCustom3", "Type": "BooleanType", "BooleanValue": False},
                    ]
                }
            ],
        },
        "TimeTrackingPrefs": {
            "UseServices": True,
            "BillCustomers": True,
            "ShowBillRateToAll": False,
            "WorkWeekStartDate": "Monday",
            "MarkTimeEntriesBillable": True,
        },
        "TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": partner_tax},
        "CurrencyPrefs": {"HomeCurrency": {"value": currency}, "MultiCurrencyEnabled": False},
        "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": False},
        "OtherPrefs": {
            "NameValue": [
                {"Name": "SalesFormsPrefs.DefaultItem", "Value": "1"},
                {"Name": "DTXCopyMemo", "Value": "false"},
            ]
        },
    }


def _insert_preferences(tx, prefs):
    """Preferences, with the Id QuickBooks gives them ("1", like CompanyInfo's). The Id the
    sequence would have given stays unused, so every object seeded after keeps its Id."""
    tx.skip_id()
    tx.insert("Preferences", {"Id": "1", **prefs})


def _company_info(name, country, addr, email):
    return {
        "CompanyName": name,
        "LegalName": name,
        "Country": country,
        "CompanyAddr": addr,
        "LegalAddr": addr,
        "CustomerCommunicationAddr": addr,
        "Email": {"Address": email},
        "CompanyStartDate": "2024-01-01",
        "FiscalYearStartMonth": "January",
        "SupportedLanguages": "en",
        "PrimaryPhone": {"FreeFormNumber": "(650) 944-4444"},
        "WebAddr": {},
        "NameValue": [
            {"Name": "NeoEnabled", "Value": "true"},
            {"Name": "IndustryType", "Value": "Landscaping Services"},
        ],
    }


class _Seeder:
    def __init__(self, tx):
        from . import create  # the package's hook; imported late to avoid a cycle

        self.tx, self._create, self.ids = tx, create, {}

    def add(self, entity, key=None, **obj):
        stored = self._create(self.tx, entity, obj, {})
        self.ids[key or obj.get("Name") or obj.get("DisplayName")] = stored
        return stored

    def ref(self, key, name_field=None):
        obj = self.ids[key]
        name = obj.get(name_field) if name_field else obj.get("DisplayName") or obj.get("Name")
        return {"value": obj["Id"], "name": name}

    def raw(self, entity, obj, key):
        stored = self.tx.insert(entity, obj)
        self.ids[key] = stored
        return stored


def _accounts(s, accounts):
    for name, kind, subtype in accounts:
        s.add("Account", Name=name, AccountType=kind, AccountSubType=subtype)


def _tax_code(s, name, rate_names, description=None):
    """A TaxCode pointing at already inserted TaxRates (the shape taxservice produces)."""
    return s.raw(
        "TaxCode",
        {
            "Name": name,
            "Description": description or name,
            "Active": True,
            "Hidden": False,
            "Taxable": True,
            "TaxGroup": len(rate_names) > 1,
            "SalesTaxRateList": {
                "TaxRateDetail": [
                    {"TaxRateRef": s.ref("rate:" + r, "Name"), "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0}
                    for r in rate_names
                ]
            },
            "PurchaseTaxRateList": {"TaxRateDetail": []},
        },
        "code:" + name,
    )


def _tax_rate(s, name, value, agency):
    return s.raw(
        "TaxRate",
        {
            "Name": name,
            "Description": name,
            "RateValue": value,
            "Active": True,
            "AgencyRef": s.ref(agency),
            "SpecialTaxType": "NONE",
            "DisplayType": "ReadOnly",
            "EffectiveTaxRate": [{"RateValue": value}],
        },
        "rate:" + name,
    )


def _us_pseudo_codes(s):
    # US companies answer TaxCode queries with the two pseudo codes, whose Ids are their names.
    s.raw(
        "TaxCode",
        {
            "Id": "TAX",
            "Name": "TAX",
            "Description": "TAX",
            "Active": True,
            "Hidden": False,
            "Taxable": True,
            "TaxGroup": False,
        },
        "code:TAX",
    )
    s.raw(
        "TaxCode",
        {
            "Id": "NON",
            "Name": "NON",
            "Description": "NON",
            "Active": True,
            "Hidden": False,
            "Taxable": False,
            "TaxGroup": False,
        },
        "code:NON",
    )


def _addr(line1, city, sub, postal, country):
    return {"Line1": line1, "City": city, "CountrySubDivisionCode": sub, "PostalCode": postal, "Country": country}


def _line(s, item, qty, price, tax_code=None):
    detail = {"ItemRef": s.ref(item), "Qty": qty, "UnitPrice": price}
    if tax_code:
        detail["TaxCodeRef"] = {"value": tax_code}
    return {"Amount": round(qty * price, 2), "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}


def _lists(s, terms, methods):
    for name, days in terms:
        s.add("Term", Name=name, DueDays=days)
    for name, kind in methods:
        s.add("PaymentMethod", Name=name, Type=kind)


def seed_us(s):
    tx = s.tx
    tx.insert(
        "CompanyInfo",
        _company_info(
            "Sandbox Company US",
            "US",
            _addr("123 Sierra Way", "San Pablo", "CA", "87999", "US"),
            "noreply@quickbooks.com",
        ),
    )
    _insert_preferences(tx, _preferences("USD", track_departments=True))
    _us_pseudo_codes(s)
    _accounts(
        s,
        [
            ("Checking", "Bank", "Checking"),
            ("Savings", "Bank", "Savings"),
            ("Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
            ("Inventory Asset", "Other Current Asset", "Inventory"),
            ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
            ("Sales of Product Income", "Income", "SalesOfProductIncome"),
            ("Services", "Income", "ServiceFeeIncome"),
            ("Landscaping Services", "Income", "ServiceFeeIncome"),
            ("Discounts given", "Income", "DiscountsRefundsGiven"),
            ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
            ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable"),
            ("Mastercard", "Credit Card", "CreditCard"),
            ("Board of Equalization Payable", "Other Current Liability", "SalesTaxPayable"),
            ("Opening Balance Equity", "Equity", "OpeningBalanceEquity"),
            ("Advertising", "Expense", "AdvertisingPromotional"),
        ],
    )
    s.add("TaxAgency", DisplayName="California Department of Tax and Fee Administration")
    s.add("TaxAgency", DisplayName="Arizona Dept. of Revenue")
    _tax_rate(s, "California", 8, "California Department of Tax and Fee Administration")
    _tax_rate(s, "AZ State tax", 7.1, "Arizona Dept. of Revenue")
    _tax_rate(s, "Tucson City", 2, "Arizona Dept. of Revenue")
    _tax_code(s, "California", ["California"])
    _tax_code(s, "Tucson", ["AZ State tax", "Tucson City"])
    _lists(
        s,
        [("Net 30", 30), ("Net 15", 15), ("Due on receipt", 0)],
        [
            ("Cash", "NON_CREDIT_CARD"),
            ("Check", "NON_CREDIT_CARD"),
            ("Visa", "CREDIT_CARD"),
            ("MasterCard", "CREDIT_CARD"),
        ],
    )
    for name in ("Landscaping", "Maintenance"):
        s.add("Class", Name=name)
    for name in ("Garden Services", "Retail Store"):
        s.add("Department", Name=name)
    customers = [
        (
            "Amy's Bird Sanctuary",
            "Amy",
            "Lauterbach",
            "Birds@Intuit.com",
            ("4581 Finch St.", "Bayshore", "CA", "94326"),
        ),
        (
            "Bill's Windsurf Shop",
            "Bill",
            "Lucchini",
            "Surf@Intuit.com",
            ("12 Ocean Dr.", "Half Moon Bay", "CA", "94213"),
        ),
        ("Cool Cars", "Grace", "Pariente", "Cool_Cars@intuit.com", ("65 Ocean Dr.", "Half Moon Bay", "CA", "94213")),
        ("Diego Rodriguez", "Diego", "Rodriguez", "Diego@Rodriguez.com", ("321 Channing", "Palo Alto", "CA", "94303")),
        (
            "Freeman Sporting Goods",
            "Kirby",
            "Freeman",
            "Sporting_goods@intuit.com",
            ("370 Easy St.", "Middlefield", "CA", "94482"),
        ),
        (
            "Weiskopf Consulting",
            "Nicola",
            "Weiskopf",
            "Consulting@intuit.com",
            ("45612 Main St.", "Bayshore", "CA", "94326"),
        ),
    ]
    for display, given_name, family, email, (line1, city, sub, postal) in customers:
        s.add(
            "Customer",
            DisplayName=display,
            GivenName=given_name,
            FamilyName=family,
            CompanyName=display,
            PrimaryEmailAddr={"Address": email},
            BillAddr=_addr(line1, city, sub, postal, "US"),
            ShipAddr=_addr(line1, city, sub, postal, "US"),
            SalesTermRef=s.ref("Net 30"),
            PrimaryPhone={"FreeFormNumber": "(650) 555-3311"},
        )
    s.add(
        "Customer",
        key="0969 Ocean View Road",
        DisplayName="0969 Ocean View Road",
        ParentRef=s.ref("Freeman Sporting Goods"),
        Job=True,
        BillWithParent=True,
        PrimaryEmailAddr={"Address": "Sporting_goods@intuit.com"},
    )
    s.add(
        "Customer",
        DisplayName="Jeff's Jalopies",
        GivenName="Jeff",
        FamilyName="Chin",
        PrimaryEmailAddr={"Address": "Jalopies@intuit.com"},
        Active=False,
    )
    s.add(
        "Vendor",
        DisplayName="Norton Lumber and Building Materials",
        CompanyName="Norton Lumber",
        PrimaryEmailAddr={"Address": "Materials@intuit.com"},
    )
    s.add("Vendor", DisplayName="Books by Bessie", PrimaryEmailAddr={"Address": "Books@Intuit.com"})
    s.add("Employee", DisplayName="Emily Platt", GivenName="Emily", FamilyName="Platt")
    services, product = s.ref("Services"), s.ref("Sales of Product Income")
    s.add("Item", Name="Services", Type="Service", IncomeAccountRef=services, UnitPrice=0, Sku="SVC")
    s.add(
        "Item",
        Name="Design",
        Type="Service",
        IncomeAccountRef=services,
        UnitPrice=75,
        Sku="DSGN-01",
        Description="Custom Design",
    )
    s.add(
        "Item",
        Name="Gardening",
        Type="Service",
        IncomeAccountRef=s.ref("Landscaping Services"),
        UnitPrice=25,
        Sku="GRDN-01",
        Description="Weekly Gardening Service",
    )
    s.add(
        "Item",
        Name="Pest Control",
        Type="Service",
        IncomeAccountRef=s.ref("Landscaping Services"),
        UnitPrice=35,
        Sku="PEST-01",
        Description="Pest Control Services",
    )
    s.add(
        "Item",
        Name="Rock Fountain",
        Type="NonInventory",
        IncomeAccountRef=product,
        UnitPrice=275,
        Sku="RF-100",
        Taxable=True,
        SalesTaxCodeRef={"value": "TAX"},
        Description="Rock Fountain",
    )
    s.add(
        "Item",
        Name="Sprinkler Heads",
        Type="NonInventory",
        IncomeAccountRef=product,
        UnitPrice=2,
        Sku="SH-200",
        Taxable=True,
        SalesTaxCodeRef={"value": "TAX"},
        Description="Sprinkler Heads",
    )
    s.add(
        "Item",
        Name="Pump",
        Type="Inventory",
        IncomeAccountRef=product,
        UnitPrice=15,
        Sku="PMP-300",
        Taxable=True,
        AssetAccountRef=s.ref("Inventory Asset"),
        ExpenseAccountRef=s.ref("Cost of Goods Sold"),
        QtyOnHand=25,
        InvStartDate="2024-01-01",
        Description="Fountain Pump",
    )
    paid = s.add(
        "Invoice",
        key="inv-paid",
        DocNumber="1001",
        CustomerRef=s.ref("Amy's Bird Sanctuary"),
        Line=[_line(s, "Design", 2, 75)],
    )
    partial = s.add(
        "Invoice",
        key="inv-partial",
        DocNumber="1002",
        CustomerRef=s.ref("Bill's Windsurf Shop"),
        Line=[_line(s, "Rock Fountain", 1, 275, "TAX"), _line(s, "Gardening", 4, 25, "NON")],
        TxnTaxDetail={"TxnTaxCodeRef": s.ref("code:California", "Name")},
    )
    s.add(
        "Invoice",
        key="inv-open",
        DocNumber="1003",
        CustomerRef=s.ref("Cool Cars"),
        Line=[_line(s, "Pest Control", 3, 35)],
    )
    for invoice, amount, method in ((paid, 150, "Check"), (partial, 200, "Visa")):
        s.add(
            "Payment",
            key=f"pay-{invoice['Id']}",
            CustomerRef=invoice["CustomerRef"],
            TotalAmt=amount,
            PaymentMethodRef=s.ref(method),
            PaymentRefNum=f"P{invoice['DocNumber']}",
            Line=[{"Amount": amount, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
        )


def seed_ca(s):
    tx = s.tx
    tx.insert(
        "CompanyInfo",
        _company_info(
            "Sandbox Company CA",
            "CA",
            _addr("100 King St W", "Toronto", "ON", "M5X 1A9", "CA"),
            "noreply@quickbooks.ca",
        ),
    )
    _insert_preferences(tx, _preferences("CAD"))
    _accounts(
        s,
        [
            ("Chequing", "Bank", "Checking"),
            ("Savings", "Bank", "Savings"),
            ("Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
            ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
            ("Sales", "Income", "SalesOfProductIncome"),
            ("Services", "Income", "ServiceFeeIncome"),
            ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
            ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable"),
            ("GST/HST Payable", "Other Current Liability", "GlobalTaxPayable"),
            ("Visa", "Credit Card", "CreditCard"),
        ],
    )
    s.add("TaxAgency", DisplayName="Canada Revenue Agency")
    s.add("TaxAgency", DisplayName="Ministry of Finance (BC)")
    for name, value, agency in (
        ("GST", 5, "Canada Revenue Agency"),
        ("HST ON", 13, "Canada Revenue Agency"),
        ("Exempt", 0, "Canada Revenue Agency"),
        ("Zero-rated", 0, "Canada Revenue Agency"),
        ("PST BC", 7, "Ministry of Finance (BC)"),
    ):
        _tax_rate(s, name, value, agency)
    for name, rates in (
        ("GST", ["GST"]),
        ("HST ON", ["HST ON"]),
        ("Exempt", ["Exempt"]),
        ("Zero-rated", ["Zero-rated"]),
        ("GST/PST BC", ["GST", "PST BC"]),
    ):
        _tax_code(s, name, rates)
    _lists(
        s,
        [("Net 30", 30), ("Net 15", 15), ("Due on receipt", 0)],
        [
            ("Cash", "NON_CREDIT_CARD"),
            ("Cheque", "NON_CREDIT_CARD"),
            ("Visa", "CREDIT_CARD"),
            ("MasterCard", "CREDIT_CARD"),
            ("Interac", "NON_CREDIT_CARD"),
        ],
    )
    for display, email, (line1, city, sub, postal) in (
        ("Maple Leaf Landscaping", "info@mapleleaf.ca", ("12 Bay St", "Toronto", "ON", "M5J 2N8")),
        ("Rocky Mountain Outfitters", "sales@rockymtn.ca", ("88 Robson St", "Vancouver", "BC", "V6B 2B2")),
        ("Halifax Harbour Supplies", "orders@hhs.ca", ("5 Water St", "Halifax", "NS", "B3J 1A1")),
    ):
        s.add(
            "Customer",
            DisplayName=display,
            CompanyName=display,
            PrimaryEmailAddr={"Address": email},
            BillAddr=_addr(line1, city, sub, postal, "CA"),
            SalesTermRef=s.ref("Net 30"),
        )
    s.add("Vendor", DisplayName="Northern Supply Co", PrimaryEmailAddr={"Address": "ap@northern.ca"})
    s.add(
        "Item",
        Name="Consulting",
        Type="Service",
        IncomeAccountRef=s.ref("Services"),
        UnitPrice=100,
        Sku="CONS-01",
        SalesTaxCodeRef=s.ref("code:HST ON", "Name"),
    )
    s.add(
        "Item",
        Name="Snow Removal",
        Type="Service",
        IncomeAccountRef=s.ref("Services"),
        UnitPrice=60,
        Sku="SNOW-01",
        SalesTaxCodeRef=s.ref("code:GST", "Name"),
    )
    s.add(
        "Item",
        Name="Maple Syrup",
        Type="NonInventory",
        IncomeAccountRef=s.ref("Sales"),
        UnitPrice=12.5,
        Sku="SYR-500",
        SalesTaxCodeRef=s.ref("code:Zero-rated", "Name"),
    )
    s.add(
        "Invoice",
        key="ca-inv",
        DocNumber="1001",
        CustomerRef=s.ref("Maple Leaf Landscaping"),
        Line=[_line(s, "Consulting", 2, 100, s.ids["code:HST ON"]["Id"])],
    )


def seed_empty(s):
    tx = s.tx
    tx.insert(
        "CompanyInfo",
        _company_info(
            "Empty Company US", "US", _addr("1 Main St", "Mountain View", "CA", "94043", "US"), "noreply@quickbooks.com"
        ),
    )
    _insert_preferences(tx, _preferences("USD"))
    _us_pseudo_codes(s)
    _accounts(
        s,
        [
            ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
            ("Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
            ("Sales of Product Income", "Income", "SalesOfProductIncome"),
            ("Checking", "Bank", "Checking"),
        ],
    )


# Intuit's US sandbox companies (Craig's Design and Landscaping Services): what "us" seeds, and the
# rest of their sample customers, items, vendors, invoices and payments.
SAMPLE_CUSTOMERS = [
    ("Dukes Basketball Camp", "Peter", "Dukes", "Dukes_bball@intuit.com", ("25 Court St.", "Tucson", "AZ", "85719")),
    ("Dylan Sollfrank", "Dylan", "Sollfrank", None, None),
    (
        "Geeta Kalapatapu",
        "Geeta",
        "Kalapatapu",
        "Geeta@Kalapatapu.com",
        ("1987 Main St.", "Middlefield", "CA", "94303"),
    ),
    (
        "Gevelber Photography",
        "Lisa",
        "Gevelber",
        "Photography@intuit.com",
        ("1103 Cooper St.", "Menlo Park", "CA", "94304"),
    ),
    ("John Melton", "John", "Melton", "John@Melton.com", ("85 Pine St.", "Menlo Park", "CA", "94304")),
    ("Kate Whelan", "Kate", "Whelan", "Kate@Whelan.com", ("45 First St.", "Menlo Park", "CA", "94304")),
    (
        "Kookies by Kathy",
        "Kathy",
        "Kuplis",
        "qbwebsamplecompany@yahoo.com",
        ("789 Sugar Lane", "Middlefield", "CA", "94303"),
    ),
    ("Mark Cho", "Mark", "Cho", "Mark@Cho.com", ("36 Willow Rd", "Menlo Park", "CA", "94304")),
    (
        "Paulsen Medical Supplies",
        "Kathy",
        "Paulsen",
        "Medical@intuit.com",
        ("900 Main St.", "Middlefield", "CA", "94303"),
    ),
    ("Pye's Cakes", "Karen", "Pye", "pyescakes@intuit.com", ("350 Mountain View Dr.", "South Orange", "NJ", "07079")),
    ("Rago Travel Agency", "Nicola", "Rago", "Rago_Travel@intuit.com", ("753 Cedar Rd.", "Bayshore", "CA", "94326")),
    (
        "Red Rock Diner",
        "Stephanie",
        "Martini",
        "qbwebsamplecompany@yahoo.com",
        ("500 Red Rock Rd.", "Bayshore", "CA", "94326"),
    ),
    (
        "Rondonuwu Fruit and Vegi",
        "Tony",
        "Rondonuwu",
        "Tony@Rondonuwu.com",
        ("847 California Ave.", "San Jose", "CA", "95021"),
    ),
    ("Shara Barnett", "Shara", "Barnett", "Design@intuit.com", ("19 Main St.", "Middlefield", "CA", "94303")),
    (
        "Sonnenschein Family Store",
        "Russ",
        "Sonnenschein",
        "Familiystore@intuit.com",
        ("5647 Cypress Hill Ave.", "Middlefield", "CA", "94303"),
    ),
    ("Sushi by Katsuyuki", "Katsuyuki", "Yanagawa", "Sushi@intuit.com", ("898 Elm St.", "Maplewood", "NJ", "07040")),
    ("Travis Waldron", "Travis", "Waldron", "Travis@Waldron.com", ("78 First St.", "Monlo Park", "CA", "94304")),
    ("Video Games by Dan", "Dan", "Miller", "Videogames@intuit.com", ("1614 Main St.", "Middlefield", "CA", "94303")),
    (
        "Wedding Planning by Whitney",
        "Whitney",
        "Windsor",
        "Dream_Wedding@intuit.com",
        ("135 Broadway", "Menlo Park", "CA", "94304"),
    ),
]
SAMPLE_SERVICES = [
    ("Hours", 0, "HRS-01", None, "Services"),
    ("Installation", 50, "INST-01", "Installation of landscape design", "Landscaping Services"),
    ("Trimming", 35, "TRIM-01", "Tree and Shrub Trimming", "Landscaping Services"),
    ("Maintenance & Repair", 0, "MNT-01", "Maintenance & Repair", "Landscaping Services"),
    ("Refunds & Allowances", 0, "REF-01", "Income due to refunds or allowances", "Services"),
]
SAMPLE_PRODUCTS = [
    ("Concrete", 0, "CNC-01", "Concrete for fountain installation"),
    ("Lighting", 0, "LGT-01", "Garden Lighting"),
    ("Rocks", 0, "RCK-01", "Garden Rocks"),
    ("Sod", 0, "SOD-01", "Sod"),
    ("Soil", 10, "SOIL-01", "2 cubic ft. bag"),
    ("Sprinkler Pipes", 4, "SP-01", "Sprinkler Pipes"),
]
SAMPLE_VENDORS = [
    ("Bob's Burger Joint", None),
    ("Brosnahan Insurance Agency", "Brosnahan@intuit.com"),
    ("Cal Telephone", None),
    ("Computers by Jenni", "Msfixit@Intuit.com"),
    ("Hicks Hardware", None),
    ("Lee Advertising", None),
    ("PG&E", "utilities@noemail.com"),
    ("Tania's Nursery", "plantqueen@taniasnursery.com"),
]


def _account_ref(s, name):
    """An account by its name (the seeder's keys are names, and an item may share an account's)."""
    account = next(a for a in s.tx.all("Account") if a["Name"] == name)
    return {"value": account["Id"], "name": account["Name"]}


def seed_us_sample(s):
    """Like Intuit's US sandbox companies: "us" and the rest of their sample data. Opt-in
    (add_company(template="us_sample")): the other templates seed what they always did."""
    seed_us(s)
    for display, given_name, family, email, addr in SAMPLE_CUSTOMERS:
        values = {"DisplayName": display, "GivenName": given_name, "FamilyName": family}
        if email:
            values["PrimaryEmailAddr"] = {"Address": email}
        if addr:
            values["BillAddr"] = _addr(*addr, "US")
        s.add("Customer", **values)
    s.add(
        "Customer",
        DisplayName="Barnett Design",
        CompanyName="Barnett Design",
        ParentRef=s.ref("Shara Barnett"),
        Job=True,
        BillWithParent=True,
        PrimaryEmailAddr={"Address": "Design@intuit.com"},
    )
    s.add(
        "Customer",
        DisplayName="55 Twin Lane",
        ParentRef=s.ref("Freeman Sporting Goods"),
        Job=True,
        BillWithParent=True,
        PrimaryEmailAddr={"Address": "Sporting_goods@intuit.com"},
    )
    for name, price, sku, description, income in SAMPLE_SERVICES:
        s.add(
            "Item",
            Name=name,
            Type="Service",
            IncomeAccountRef=_account_ref(s, income),
            UnitPrice=price,
            Sku=sku,
            **({"Description": description} if description else {}),
        )
    for name, price, sku, description in SAMPLE_PRODUCTS:
        s.add(
            "Item",
            Name=name,
            Type="NonInventory",
            IncomeAccountRef=_account_ref(s, "Sales of Product Income"),
            UnitPrice=price,
            Sku=sku,
            Taxable=True,
            SalesTaxCodeRef={"value": "TAX"},
            Description=description,
        )
    for name, email in SAMPLE_VENDORS:
        s.add("Vendor", DisplayName=name, **({"PrimaryEmailAddr": {"Address": email}} if email else {}))
    tax = {"TxnTaxCodeRef": s.ref("code:California", "Name")}
    invoices = [
        ("1004", "Travis Waldron", [_line(s, "Gardening", 4, 25, "NON"), _line(s, "Trimming", 2, 35, "NON")], None),
        ("1005", "Kookies by Kathy", [_line(s, "Hours", 5, 0, "NON"), _line(s, "Soil", 4, 10, "TAX")], tax),
        ("1006", "Red Rock Diner", [_line(s, "Installation", 3, 50, "NON")], None),
        ("1007", "Geeta Kalapatapu", [_line(s, "Design", 4, 75, "NON"), _line(s, "Rocks", 1, 0, "TAX")], tax),
        ("1008", "Sushi by Katsuyuki", [_line(s, "Pest Control", 2, 35, "NON")], None),
        ("1009", "Dukes Basketball Camp", [_line(s, "Sprinkler Pipes", 10, 4, "TAX")], tax),
        (
            "1010",
            "0969 Ocean View Road",
            [_line(s, "Maintenance & Repair", 1, 0, "NON"), _line(s, "Pump", 2, 15, "TAX")],
            tax,
        ),
    ]
    stored = {}
    for number, customer, lines, tax_detail in invoices:
        values = {"DocNumber": number, "CustomerRef": s.ref(customer), "Line": lines}
        email = (s.ids[customer].get("PrimaryEmailAddr") or {}).get("Address")
        if email:
            values["BillEmail"] = {"Address": email}
        if tax_detail:
            values["TxnTaxDetail"] = tax_detail
        stored[number] = s.add("Invoice", key="inv-" + number, **values)
    checking = _account_ref(s, "Checking")
    # Paid in full (deposited to Checking), paid in part (waiting in Undeposited Funds), and a
    # payment received on account, applied to nothing.
    for number, amount, method, deposit in (("1004", 170, "Check", checking), ("1006", 100, "Cash", None)):
        invoice = stored[number]
        s.add(
            "Payment",
            key="pay-" + number,
            CustomerRef=invoice["CustomerRef"],
            TotalAmt=amount,
            PaymentMethodRef=s.ref(method),
            PaymentRefNum="P" + number,
            Line=[{"Amount": amount, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
            **({"DepositToAccountRef": deposit} if deposit else {}),
        )
    s.add(
        "Payment",
        key="pay-on-account",
        CustomerRef=s.ref("Red Rock Diner"),
        TotalAmt=50,
        PaymentMethodRef=s.ref("Cash"),
        Line=[],
    )


def seed(tx, template):
    builders = {"us": seed_us, "ca": seed_ca, "empty": seed_empty, "us_sample": seed_us_sample}
    if template not in builders:
        raise ValueError(f"unknown seed template {template!r}; one of {', '.join(TEMPLATES)}")
    builders[template](_Seeder(tx))
