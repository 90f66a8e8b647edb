"""The till through the gateway (#22): split payments with change, a cart priced as it
fills, discounts and the customer's account as the company's permission table allows
them, a customer from the customers service's events, numbered tickets."""

from __future__ import annotations

import uuid
from typing import Any

from conftest import Company, Stack, known_customer

SALES, PRICING = "/api/v1/pos/sales", "/api/v1/pos/carts/pricing"


def paid(company: Company, *amounts: str, method: str = "card", quantity: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "lines": [{"article_id": company.article["id"], "quantity": quantity}],
        "payments": [{"method": method, "amount": amount} for amount in amounts],
        **extra,
    }


def test_an_exchange_split_payment_with_a_voucher_and_cash_change(stack: Stack) -> None:
    company = stack.new_company()
    first = company.post(SALES, json=paid(company, "79.80", quantity=2)).get_json()
    # One galet comes back: given back as a voucher (an exchange), spent on the next sale.
    returned = {"lines": [{"position": 1, "quantity": 1}], "reason": "Échange"}
    returned["payments"] = [{"method": "voucher", "amount": "39.90"}]
    refund = company.post(f"{SALES}/{first['id']}/refunds", json=returned).get_json()
    [voucher] = [p["reference"] for p in refund["payments"]]
    payload = paid(company, quantity=3)  # 119.70
    payload["payments"] = [
        {"method": "cheque", "amount": "50.00", "reference": "CHQ 0001234"},
        {"method": "voucher", "amount": "20.00", "reference": voucher},
        {"method": "cash", "amount": "60.00"},
    ]
    second = company.post(SALES, json=payload)
    assert second.status_code == 201, second.get_json()
    sale = second.get_json()
    assert (sale["total"], sale["change_given"], sale["vat_total"]) == ("119.70", "10.30", "19.95")
    assert sale["vat_lines"] == [{"rate": "20.00", "base": "99.75", "vat": "19.95", "total": "119.70"}]
    assert [first["number"], refund["number"], sale["number"]] == [1, 2, 3]
    assert company.get(f"{SALES}/{sale['id']}").get_json() == sale
    spent = company.post(SALES, json=payload)  # 19.90 left on the voucher
    assert spent.status_code == 422
    assert spent.get_json()["errors"] == {"payments[1].reference": ["only 19.90 left on this voucher"]}

    short = company.post(SALES, json=paid(company, "30.00", "5.00"))
    assert short.status_code == 422 and list(short.get_json()["errors"]) == ["payments"]
    card_over = company.post(SALES, json=paid(company, "45.00"))
    assert card_over.status_code == 422 and "only cash" in card_over.get_json()["errors"]["payments"][0]


def test_a_cart_is_priced_as_it_fills(stack: Stack) -> None:
    company = stack.new_company()
    cart = {
        "lines": [{"article_id": company.article["id"], "quantity": 2, "discount_percent": "5.00"}],
        "discount_amount": "1.81",
        "payments": [{"method": "cash", "amount": "100.00"}],
    }
    priced = company.post(PRICING, json=cart)
    assert priced.status_code == 200, priced.get_json()
    assert {k: priced.get_json()[k] for k in ("subtotal", "total", "due", "change", "paid_in_full")} == {
        "subtotal": "75.81",
        "total": "74.00",
        "due": "0.00",
        "change": "26.00",
        "paid_in_full": True,
    }
    assert company.every(SALES) == []


def test_discounts_and_the_customer_account_follow_the_companys_table(stack: Stack) -> None:
    company = stack.new_company()
    cashier = Company(company.tenant_id, stack.client, stack.new_user(company.tenant_id, ("cashier",)))
    generous = paid(company, "33.91")
    generous["lines"][0]["discount_percent"] = "15.00"
    assert cashier.post(SALES, json=generous).status_code == 403  # beyond the 10 % a cashier may give
    assert company.post(SALES, json=generous).status_code == 201  # the manager may

    customer = known_customer(stack, company)
    on_account = paid(company, "39.90", method="account", customer_id=customer)
    assert cashier.post(SALES, json=on_account).status_code == 403
    table = {"sell_on_account": ["manager", "office", "cashier"], "refund_sales": ["manager", "office", "cashier"]}
    assert company.edit("/api/v1/permissions", json={"permissions": table}).status_code == 200
    allowed = cashier.post(SALES, json=on_account)
    assert allowed.status_code == 201, allowed.get_json()
    assert (allowed.get_json()["customer_id"], allowed.get_json()["payments"][0]["method"]) == (customer, "account")
    assert cashier.post(SALES, json=generous).status_code == 201

    anonymous = paid(company, "39.90", method="account")
    refused = company.post(SALES, json=anonymous)
    assert refused.status_code == 422 and list(refused.get_json()["errors"]) == ["payments[0].method"]
    stranger = company.post(SALES, json={**paid(company, "39.90"), "customer_id": str(uuid.uuid4())})
    assert stranger.status_code == 422 and list(stranger.get_json()["errors"]) == ["customer_id"]


SESSIONS = "/api/v1/pos/cash-sessions"


def test_a_day_with_a_refund_closes_with_a_variance_and_an_intact_journal(stack: Stack) -> None:
    company = stack.new_company()
    cashier = Company(company.tenant_id, stack.client, stack.new_user(company.tenant_id, ("cashier",)))
    opened = cashier.post(SESSIONS, json={"opening_float": "120.00"})
    assert opened.status_code == 201, opened.get_json()
    session = opened.get_json()
    assert opened.headers["Location"].endswith(f"{SESSIONS}/{session['id']}")
    assert cashier.post(SESSIONS, json={"opening_float": "50.00"}).status_code == 409

    sale = cashier.post(SALES, json=paid(company, "100.00", method="cash", quantity=2)).get_json()  # 79.80
    cashier.post(SALES, json=paid(company, "39.90"))
    returning = {"lines": [{"position": 1, "quantity": 1}], "payments": [{"method": "cash", "amount": "39.90"}]}
    returning["reason"] = "Produit non ouvert"
    # A cashier may not refund by default.
    assert cashier.post(f"{SALES}/{sale['id']}/refunds", json=returning).status_code == 403
    no_key = company.post(f"{SALES}/{sale['id']}/refunds", json=returning, headers={"Idempotency-Key": None})
    assert no_key.status_code == 400
    key = {"Idempotency-Key": str(uuid.uuid4())}
    refunded = company.post(f"{SALES}/{sale['id']}/refunds", json=returning, headers=key)
    assert refunded.status_code == 201, refunded.get_json()
    again = company.post(f"{SALES}/{sale['id']}/refunds", json=returning, headers=key)  # a retry: the same refund
    assert again.get_json()["id"] == refunded.get_json()["id"]
    refund = company.get(refunded.headers["Location"]).get_json()
    assert (refund["number"], refund["total"], refund["sale_id"]) == (3, "39.90", sale["id"])

    counted = {"counted": [{"method": "cash", "amount": "159.50"}, {"method": "card", "amount": "39.90"}]}
    closed = cashier.post(f"{SESSIONS}/{session['id']}/closing", json=counted)
    assert closed.status_code == 200, closed.get_json()
    report = closed.get_json()
    assert report["z_report"]["net_total"] == "79.80"  # 79.80 + 39.90 - 39.90
    assert report["expected"] == [{"method": "card", "amount": "39.90"}, {"method": "cash", "amount": "159.90"}]
    assert (report["variance_total"], report["status"]) == ("-0.40", "closed")
    assert company.get(f"{SESSIONS}/{session['id']}").get_json() == report
    assert [s["id"] for s in company.every(SESSIONS)] == [session["id"]]

    assert cashier.get("/api/v1/pos/journal/verification").status_code == 403
    checked = company.get("/api/v1/pos/journal/verification").get_json()
    assert checked["intact"] is True
    assert [(s["location_id"], s["tickets"]) for s in checked["shops"]] == [(company.shop["id"], 3)]
