"""Computed amounts of sales documents: line checks, discount, subtotal, sales tax / GST."""

from decimal import Decimal, ROUND_HALF_UP

from .common import CENT, OPTIONS, QboFault, business_fault, dec, given, money, num, ref_value, required_fault
from .validation import US_PSEUDO_TAX_CODES, lookup

TAX_MODES = ("TaxExcluded", "TaxInclusive", "NotApplicable")


def _split(total, weights):
    """Split a cent amount over weights; the last share takes the rounding remainder."""
    shares, acc, wsum = [], Decimal(0), sum(weights)
    for i, w in enumerate(weights):
        if i == len(weights) - 1:
            shares.append(total - acc)
        else:
            s = (total * w / wsum).quantize(CENT, ROUND_HALF_UP) if wsum else Decimal(0)
            shares.append(s)
            acc += s
    return shares


def code_rates(tx, code_id):
    """[(TaxRate, Decimal percent)] of a TaxCode's sales rates."""
    code = tx.get("TaxCode", code_id) or {}
    out = []
    for detail in (code.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []:
        rate = tx.get("TaxRate", ref_value(detail.get("TaxRateRef")))
        if rate:
            out.append((rate, dec(rate.get("RateValue"))))
    return out


def _check_line_amount(detail, gross):
    qty, price = dec(detail.get("Qty")), dec(detail.get("UnitPrice"))
    if qty and price and money(qty * price) != gross:
        raise QboFault(
            "6070",
            "Amount calculation incorrect in the request",
            f"Amount is not equal to UnitPrice * Qty. Supplied value:{gross}",
            element="Line.Amount",
        )


def _line_tax_code(company, detail, mode):
    """The tax code a sales line is taxed under (US: TAX/NON; elsewhere a TaxCode id)."""
    code = ref_value(detail.get("TaxCodeRef"))
    if company.is_us:
        if code is None:
            item = company.tx.get("Item", ref_value(detail.get("ItemRef"))) or {}
            item_code = ref_value(item.get("SalesTaxCodeRef"))
            code = item_code if item_code in US_PSEUDO_TAX_CODES else ("TAX" if item.get("Taxable") else "NON")
            detail["TaxCodeRef"] = {"value": code}
        elif code not in US_PSEUDO_TAX_CODES:
            raise QboFault(
                "6100",
                "Invalid Line TaxCode in the request",
                f"Valid Line TaxCodes for US should be TAX or NON. Supplied value:{code}",
                element="Line.SalesItemLineDetail.TaxCodeRef",
            )
        return code
    if code is None and mode != "NotApplicable":
        raise business_fault(
            "Make sure all your transactions have a GST/HST rate before you save. "
            "A TaxCodeRef is required on every sales line.",
            element="Line.SalesItemLineDetail.TaxCodeRef",
        )
    return code


def compute_sales(company, doc, existing=None):
    """Normalise the lines of a sales document and fill Line subtotals, TxnTaxDetail and TotalAmt."""
    tx = company.tx
    mode = doc.get("GlobalTaxCalculation") if given(doc.get("GlobalTaxCalculation")) else "TaxExcluded"
    if company.is_us:
        doc.pop("GlobalTaxCalculation", None)  # a US concept it is not; python-quickbooks always sends it
        mode = "TaxExcluded"
    elif mode not in TAX_MODES:
        raise QboFault("2170", "Invalid Enumeration", f"Invalid Enumeration : {mode}", element="GlobalTaxCalculation")
    else:
        doc["GlobalTaxCalculation"] = mode
    inclusive = mode == "TaxInclusive"

    items, discounts = [], []
    for line in doc.get("Line") or []:
        kind = line.get("DetailType")
        if not given(kind):
            raise required_fault("Line.DetailType")
        if kind == "SubTotalLineDetail":
            continue  # regenerated below
        if kind == "SalesItemLineDetail":
            detail = line.get(kind) or {}
            line[kind] = detail
            if not ref_value(detail.get("ItemRef")):
                raise required_fault("Line.SalesItemLineDetail.ItemRef")
            item = lookup(tx, "Item", detail["ItemRef"], "ItemRef")
            if item.get("Type") == "Category":
                raise business_fault("A category cannot be used on a transaction line.", element="ItemRef")
            gross = (
                money(detail.get("TaxInclusiveAmt"))
                if inclusive and dec(detail.get("TaxInclusiveAmt"))
                else money(line.get("Amount"))
            )
            for key in ("Qty", "UnitPrice"):
                if isinstance(detail.get(key), str) and detail[key]:
                    detail[key] = num(dec(detail[key]))  # python-quickbooks sends Decimals as strings
            _check_line_amount(detail, gross)
            items.append((line, detail, gross, _line_tax_code(company, detail, mode)))
        elif kind == "DiscountLineDetail":
            discounts.append(line)
        else:
            line["Amount"] = num(money(line.get("Amount")))  # description/group lines: not summed

    # Discounts apply to the sum of the sales lines (QBO's "discount on subtotal").
    subtotal_basis = sum((g for _, _, g, _ in items), Decimal(0))
    discount_total = Decimal(0)
    for line in discounts:
        if not company.allow_discount:
            raise business_fault(
                "Discounts are turned off (Preferences.SalesFormsPrefs.AllowDiscount).",
                element="Line.DiscountLineDetail",
            )
        detail = line.get("DiscountLineDetail") or {}
        line["DiscountLineDetail"] = detail
        if detail.get("PercentBased") and dec(detail.get("DiscountPercent")):
            amount = money(subtotal_basis * dec(detail["DiscountPercent"]) / 100)
        elif dec(line.get("Amount")):
            amount = money(line["Amount"])
            detail["PercentBased"] = False
        else:
            raise QboFault(
                "6090",
                "Discount Line missing required info.",
                "Discount amount or percent should be provided.",
                element="Line.DiscountLineDetail",
            )
        line["Amount"] = num(amount)
        discount_total += amount
    if discount_total > subtotal_basis:
        raise business_fault("The discount is larger than the subtotal.", element="Line.DiscountLineDetail")

    # Tax base of each line: after its share of the discount, except US documents that tax
    # before discount (ApplyTaxAfterDiscount false, QBO's US default).
    discount_before_tax = not company.is_us or bool(doc.get("ApplyTaxAfterDiscount"))
    shares = (
        _split(discount_total, [g for _, _, g, _ in items])
        if items and discount_before_tax
        else [Decimal(0)] * len(items)
    )

    groups = {}  # tax code -> [(line, detail, gross, base)]
    for (line, detail, gross, code), share in zip(items, shares):
        groups.setdefault(code, []).append((line, detail, gross, gross - share))

    tax_lines, total_tax = _tax(company, doc, groups, inclusive, mode)

    # Sales lines: Amount is net of tax (TaxInclusiveAmt keeps the gross) for inclusive prices.
    subtotal = Decimal(0)
    for code, members in groups.items():
        rate = sum((r for _, r in _rates_for(company, doc, code)), Decimal(0)) if inclusive else 0
        grosses = [g for _, _, g, _ in members]
        # The tax carved out of the lines is split over them so that their nets add up exactly.
        carved = (
            _split(money(sum(grosses, Decimal(0)) * rate / (100 + rate)), grosses)
            if rate
            else [Decimal(0)] * len(members)
        )
        for (line, detail, gross, _), cut in zip(members, carved):
            net = gross - cut
            line["Amount"] = num(net)
            if inclusive:
                detail["TaxInclusiveAmt"] = num(gross)
            elif "TaxInclusiveAmt" in detail:
                detail.pop("TaxInclusiveAmt")
            subtotal += net

    ordered = [
        l for l in doc.get("Line") or [] if l.get("DetailType") not in ("SubTotalLineDetail", "DiscountLineDetail")
    ]
    ordered.append({"Amount": num(subtotal), "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
    ordered.extend(discounts)
    _number_lines(ordered)
    doc["Line"] = ordered

    override = _tax_override(doc, existing, total_tax, inclusive)
    if override is not None:
        if tax_lines:
            last = tax_lines[-1]
            last["Amount"] = num(money(last["Amount"]) + override - total_tax)
        total_tax = override

    gross_total = sum((g for _, _, g, _ in items), Decimal(0)) - discount_total
    if inclusive:
        total = gross_total
    else:
        total = subtotal - discount_total + total_tax
    if company.is_us and not company.using_sales_tax:
        doc.pop("TxnTaxDetail", None)
    else:
        ttd = doc.get("TxnTaxDetail") if isinstance(doc.get("TxnTaxDetail"), dict) else {}
        ttd = {k: v for k, v in ttd.items() if k == "TxnTaxCodeRef"}
        ttd["TotalTax"] = num(total_tax)
        ttd["TaxLine"] = tax_lines
        doc["TxnTaxDetail"] = ttd
    doc["TotalAmt"] = num(total)
    return total


def check_line_limit(company, doc):
    """QBO refuses a taxable sales document of more than OPTIONS["max_taxable_lines"] lines
    (every line the client sent counts, description lines included; QBO's SubTotalLine does not).
    Taxable: in the US, a line coded TAX while the company uses sales tax; elsewhere, any
    document whose GlobalTaxCalculation is not NotApplicable."""
    lines = [l for l in doc.get("Line") or [] if l.get("DetailType") != "SubTotalLineDetail"]
    limit = OPTIONS["max_taxable_lines"]
    if len(lines) <= limit:
        return
    if company.is_us:
        taxable = company.using_sales_tax and any(
            ref_value((l.get("SalesItemLineDetail") or {}).get("TaxCodeRef")) == "TAX"
            for l in lines
            if l.get("DetailType") == "SalesItemLineDetail"
        )
    else:
        taxable = doc.get("GlobalTaxCalculation") != "NotApplicable"
    if taxable:
        raise business_fault(
            f"A transaction with sales tax can have at most {limit} lines; this one has {len(lines)}.", element="Line"
        )


def _number_lines(lines):
    used = {str(l["Id"]) for l in lines if given(l.get("Id"))}
    nxt = 1
    for n, line in enumerate(lines, 1):
        if line.get("DetailType") == "SubTotalLineDetail":
            line.pop("Id", None)
            line.pop("LineNum", None)
            continue
        if not given(line.get("Id")):
            while str(nxt) in used:
                nxt += 1
            line["Id"] = str(nxt)
            used.add(line["Id"])
        line["LineNum"] = n


def _rates_for(company, doc, code):
    """Rates applying to a group of lines taxed under `code`."""
    if code is None:
        return []
    if company.is_us:
        if code != "TAX" or not company.using_sales_tax:
            return []
        if company.automated_sales_tax:
            return [(None, dec(OPTIONS["automated_sales_tax_rate"]))]
        ttd = doc.get("TxnTaxDetail") if isinstance(doc.get("TxnTaxDetail"), dict) else {}
        txn_code = ref_value(ttd.get("TxnTaxCodeRef"))
        if txn_code is None:
            cust = company.tx.get("Customer", ref_value(doc.get("CustomerRef"))) or {}
            txn_code = ref_value(cust.get("DefaultTaxCodeRef"))
            if txn_code in US_PSEUDO_TAX_CODES:
                txn_code = None
            if txn_code:
                doc.setdefault("TxnTaxDetail", {})["TxnTaxCodeRef"] = {"value": txn_code}
        return code_rates(company.tx, txn_code) if txn_code else []
    return code_rates(company.tx, code)


def _tax(company, doc, groups, inclusive, mode):
    """TaxLine per rate, rounded half-up once per rate over the document (or per line)."""
    if mode == "NotApplicable":
        return [], Decimal(0)
    by_rate = {}  # rate id -> [rate obj, percent, net, tax]
    per_line = OPTIONS["tax_rounding"] == "line"
    for code, members in groups.items():
        rates = _rates_for(company, doc, code)
        if not rates:
            continue
        combined = sum((r for _, r in rates), Decimal(0))
        bases = [b for _, _, _, b in members]
        if inclusive:
            gross = sum(bases, Decimal(0))
            tax_total = (
                sum((money(b * combined / (100 + combined)) for b in bases), Decimal(0))
                if per_line
                else money(gross * combined / (100 + combined))
            )
            net = gross - tax_total
            taxes = _split(tax_total, [r for _, r in rates]) if combined else [Decimal(0)] * len(rates)
        else:
            net = sum(bases, Decimal(0))
            taxes = [
                (sum((money(b * r / 100) for b in bases), Decimal(0)) if per_line else money(net * r / 100))
                for _, r in rates
            ]
        for (rate, pct), tax in zip(rates, taxes):
            key = rate["Id"] if rate else "AST"
            slot = by_rate.setdefault(key, [rate, pct, Decimal(0), Decimal(0)])
            slot[2] += net
            slot[3] += tax
    lines, total = [], Decimal(0)
    for rate, pct, net, tax in by_rate.values():
        detail = {"PercentBased": True, "TaxPercent": num(pct), "NetAmountTaxable": num(net)}
        if rate:
            detail["TaxRateRef"] = {"value": rate["Id"], "name": rate.get("Name")}
        lines.append({"Amount": num(tax), "DetailType": "TaxLineDetail", "TaxLineDetail": detail})
        total += tax
    return lines, total


def _tax_override(doc, existing, computed, inclusive):
    """QBO keeps a TotalTax the client sets. python-quickbooks always sends TotalTax (0 by
    default) and echoes the stored value on read-modify-write, so only a non-zero value that
    differs from both the stored and the computed tax counts as an override."""
    if inclusive:
        return None
    sent = (doc.get("TxnTaxDetail") or {}).get("TotalTax") if isinstance(doc.get("TxnTaxDetail"), dict) else None
    if not given(sent) or not dec(sent):
        return None
    sent = money(sent)
    stored = ((existing or {}).get("TxnTaxDetail") or {}).get("TotalTax")
    if sent == computed or (stored is not None and sent == money(stored)):
        return None
    return sent


def zero_amounts(doc):
    """What void leaves of a document: its lines and totals at zero."""
    for line in doc.get("Line") or []:
        line["Amount"] = 0.0
        detail = line.get(line.get("DetailType") or "")
        if isinstance(detail, dict):
            for key in ("Qty", "TaxInclusiveAmt"):
                if key in detail:
                    detail[key] = 0
    if isinstance(doc.get("TxnTaxDetail"), dict):
        doc["TxnTaxDetail"]["TotalTax"] = 0.0
        doc["TxnTaxDetail"].pop("TaxLine", None)
    for key in ("TotalAmt", "Balance", "HomeTotalAmt", "HomeBalance", "UnappliedAmt", "RemainingCredit"):
        if key in doc:
            doc[key] = 0.0
    doc["TotalAmt"] = 0.0
