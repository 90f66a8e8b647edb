"""The portals through the gateway (issue #27): a customer's portal account reads its own
pools, analyses, interventions and signed slips, contracts, invoices and their PDF, and
asks for a service — and nothing of another customer's, even by id (404); a manufacturer's
API key reads and answers its own brand's warranty returns only, and keeps its own webhook
endpoint and signing secret. Also the settings' list of question trees."""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta

from bassin_common.testing import wait_until
from bassin_gateway import identities
from conftest import PASSWORD, Company, Stack
from tests.e2e.test_billing import SETTINGS
from tests.e2e.test_sav_flow import (  # noqa: F401 (workshop: the fixture)
    SAV,
    TODAY,
    Workshop,
    intervene,
    invoices_of,
    open_ticket,
    workshop,
)

PORTAL = "/api/v1/portal"
PARTNER = "/api/v1/partner"


def portal_login(stack: Stack, company: Company, customer_id: str) -> Company:
    """A portal account of ``customer_id``, logged in: the caller as its browser is."""
    email = f"portail-{uuid.uuid4().hex[:8]}@example.fr"
    with stack.sessions() as session:
        identities.create_user(
            session, company.tenant_id, email, PASSWORD, "Client", ("customer",), uuid.UUID(customer_id)
        )
        session.commit()
    token = stack.client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).get_json()
    return Company(company.tenant_id, stack.client, token["access_token"])


def another_customer(company: Company) -> tuple[str, str]:
    """M. Martin, another customer of the company, and his pool."""
    customer = company.post(
        "/api/v1/customers/customers",
        json={
            "kind": "private",
            "first_name": "Paul",
            "last_name": "Martin",
            "billing_address": {"line1": "1 rue Haute", "postcode": "30000", "city": "Nîmes"},
            "sites": [{"label": "Maison", "line1": "1 rue Haute", "postcode": "30000", "city": "Nîmes"}],
        },
    ).get_json()
    pool = company.post(
        "/api/v1/customers/pools",
        json={
            "site_id": customer["sites"][0]["id"],
            "shape": "rectangle",
            "length_m": "6",
            "width_m": "3",
            "mean_depth_m": "1.4",
            "coating": "liner",
            "filtration": "sand",
            "treatment": "chlorine",
            "safety_device": "alarm",
        },
    )
    assert pool.status_code == 201, pool.get_json()
    return customer["id"], pool.get_json()["id"]


def test_a_customer_reads_only_their_own_things_in_the_portal(stack: Stack, workshop: Workshop) -> None:  # noqa: F811
    company, file = workshop.company, workshop.file
    settings = company.get("/api/v1/pos/billing-settings")
    changed = company.put("/api/v1/pos/billing-settings", json=SETTINGS, headers={"If-Match": settings.headers["ETag"]})
    assert changed.status_code == 200, changed.get_json()
    done = intervene(workshop, open_ticket(company, serial_number="PAC-2019-77"), 9)
    (draft,) = wait_until(lambda: invoices_of(company, file.customer))
    company.post(f"/api/v1/pos/invoices/{draft['id']}/check")
    issued = company.post(f"/api/v1/pos/invoices/{draft['id']}/issue").get_json()
    analysis = company.post(
        f"/api/v1/customers/pools/{file.pool}/analyses",
        json={"ph": "7.9", "total_alkalinity": "100", "calcium_hardness": "200", "cyanuric_acid": "30"},
    )
    assert analysis.status_code == 201, analysis.get_json()
    other_id, other_pool = another_customer(company)

    mine, theirs = portal_login(stack, company, file.customer), portal_login(stack, company, other_id)

    own = mine.get(f"{PORTAL}/customer").get_json()
    assert own["id"] == file.customer and [p["id"] for p in own["pools"]] == [file.pool]
    assert len(own["pools"][0]["equipment"]) == 2
    analyses = mine.get(f"{PORTAL}/pools/{file.pool}/analyses")
    assert [a["id"] for a in analyses.get_json()["items"]] == [analysis.get_json()["id"]]
    assert theirs.get(f"{PORTAL}/pools/{file.pool}/analyses").status_code == 404
    assert mine.get(f"{PORTAL}/pools/{other_pool}/analyses").status_code == 404
    assert mine.get(f"{PORTAL}/contracts").get_json()["items"] == []

    interventions = mine.get(f"{PORTAL}/sav/interventions").get_json()["items"]
    assert [(i["id"], i["status"], i["signer_name"]) for i in interventions] == [
        (done["id"], "completed", "Mme Durand")
    ]
    assert theirs.get(f"{PORTAL}/sav/interventions").get_json()["items"] == []
    slip = mine.get(f"{PORTAL}/sav/interventions/{done['id']}/slip")
    assert slip.status_code == 200, slip.get_json()
    assert base64.b64decode(slip.get_json()["content"]).startswith(b"%PDF")
    assert theirs.get(f"{PORTAL}/sav/interventions/{done['id']}/slip").status_code == 404

    invoices = mine.get(f"{PORTAL}/billing/invoices").get_json()["items"]
    assert [(i["id"], i["number"]) for i in invoices] == [(issued["id"], issued["number"])]
    assert theirs.get(f"{PORTAL}/billing/invoices").get_json()["items"] == []
    pdf = mine.get(f"{PORTAL}/billing/invoices/{issued['id']}/pdf")
    assert pdf.status_code == 200 and pdf.get_json()["filename"] == f"{issued['number']}.pdf"
    assert theirs.get(f"{PORTAL}/billing/invoices/{issued['id']}/pdf").status_code == 404
    balance = mine.get(f"{PORTAL}/billing/balance").get_json()
    assert balance["balance"] == issued["total_incl_vat"]
    assert [o["id"] for o in balance["open_invoices"]] == [issued["id"]]

    asked = mine.post(f"{PORTAL}/sav/service-requests", json={"pool_id": file.pool, "description": "Eau verte."})
    assert asked.status_code == 201, asked.get_json()
    assert (asked.get_json()["channel"], asked.get_json()["customer_id"]) == ("portal", file.customer)
    tickets = mine.get(f"{PORTAL}/sav/tickets").get_json()["items"]
    assert tickets[0]["id"] == asked.get_json()["id"]
    for body in ({"pool_id": file.pool}, {"equipment_id": file.new_pump}):
        refused = theirs.post(f"{PORTAL}/sav/service-requests", json={**body, "description": "Pas à moi."})
        assert refused.status_code == 422 and list(refused.get_json()["errors"]) == list(body), refused.get_json()
    assert theirs.get(f"{PORTAL}/sav/tickets").get_json()["items"] == []

    # The company's own routes stay closed to a portal account.
    for url in (f"/api/v1/customers/customers/{file.customer}", f"{SAV}/tickets", "/api/v1/pos/invoices"):
        assert mine.get(url).status_code == 403


def test_a_manufacturer_sees_and_answers_only_its_brands_returns_and_rotates_its_secret(
    stack: Stack,
    workshop: Workshop,  # noqa: F811
) -> None:
    company, file = workshop.company, workshop.file
    zodiac_pump = company.post(
        f"/api/v1/customers/pools/{file.pool}/equipment",
        json={
            "category": "heat_pump",
            "brand": "Zodiac",
            "model": "Z550iQ",
            "serial_number": "PAC-2026-02",
            "installed_on": (TODAY - timedelta(days=30)).isoformat(),
            "warranty_months": 36,
        },
    ).get_json()["id"]
    wait_until(lambda: company.get(f"{SAV}/equipment/{zodiac_pump}").status_code == 200)
    returns = {}
    for brand, equipment in (("pentair", file.new_pump), ("zodiac", zodiac_pump)):
        ticket = open_ticket(company, equipment_id=equipment)
        rma = company.post(
            f"{SAV}/warranty-returns",
            json={
                "ticket_id": ticket["id"],
                "fault_description": "Ne démarre plus.",
                "error_code": "E07",
                "proof_of_purchase": "Facture FA-2026-00318",
            },
        )
        assert rma.status_code == 201, rma.get_json()
        returns[brand] = rma.get_json()["id"]

    def key(brand: str) -> Company:
        answer = company.post("/api/v1/partners/keys", json={"brand": brand, "name": f"SAV {brand}"}).get_json()
        return Company(company.tenant_id, stack.client, answer["key"])

    pentair, zodiac = key("pentair"), key("zodiac")
    assert [r["id"] for r in pentair.get(f"{PARTNER}/sav/warranty-returns").get_json()["items"]] == [returns["pentair"]]
    assert [r["id"] for r in zodiac.get(f"{PARTNER}/sav/warranty-returns").get_json()["items"]] == [returns["zodiac"]]
    listed = pentair.get(f"{PARTNER}/sav/warranty-returns/{returns['pentair']}").get_json()
    assert "Durand" not in str(listed)
    assert pentair.get(f"{PARTNER}/sav/warranty-returns/{returns['zodiac']}").status_code == 404
    answer = f"{PARTNER}/sav/warranty-returns/{returns['pentair']}/status-changes"
    accepted = pentair.post(answer, json={"status": "accepted", "note": "RMA 77-001"})
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted", accepted.get_json()
    assert pentair.post(answer, json={"status": "closed"}).status_code == 422  # the company closes it
    other = f"{PARTNER}/sav/warranty-returns/{returns['zodiac']}/status-changes"
    assert pentair.post(other, json={"status": "accepted"}).status_code == 404
    assert company.get(f"{SAV}/warranty-returns/{returns['zodiac']}").get_json()["status"] == "requested"
    assert company.get(f"{PARTNER}/sav/warranty-returns").status_code == 403  # staff: their own routes

    created = company.post(
        "/api/v1/notifications/partners",
        json={"brand": "pentair", "name": "Pentair", "webhook_url": "https://rma.pentair.example/bassin"},
    )
    assert created.status_code == 201, created.get_json()
    endpoint = pentair.get(f"{PARTNER}/notifications/endpoint").get_json()
    assert (endpoint["brand"], endpoint["webhook_url"]) == ("pentair", "https://rma.pentair.example/bassin")
    assert "secret" not in endpoint
    moved = pentair.put(f"{PARTNER}/notifications/endpoint", json={"webhook_url": "https://new.pentair.example/h"})
    assert moved.status_code == 200 and moved.get_json()["webhook_url"] == "https://new.pentair.example/h"
    refused = pentair.put(f"{PARTNER}/notifications/endpoint", json={"webhook_url": "ftp://x"})
    assert refused.status_code == 422
    rotated = pentair.post(f"{PARTNER}/notifications/endpoint/secret-rotation").get_json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created.get_json()["secret"]
    again = pentair.post(f"{PARTNER}/notifications/endpoint/secret-rotation").get_json()
    assert again["secret"] != rotated["secret"]
    assert zodiac.get(f"{PARTNER}/notifications/endpoint").status_code == 404  # no partner for zodiac here
    assert (
        company.get("/api/v1/notifications/partners")
        .get_json()["items"][0]["webhook_url"]
        .startswith("https://new.pentair")
    )


def test_the_question_trees_are_listed_for_the_settings(stack: Stack) -> None:
    company = stack.new_company()
    tree = {
        "category": "heat_pump",
        "questions": [
            {
                "key": "error_code_shown",
                "text": "L'afficheur indique-t-il un code erreur ?",
                "kind": "choice",
                "choices": [{"value": "yes"}, {"value": "no"}],
            }
        ],
    }
    created = company.post(f"{SAV}/question-trees", json=tree)
    assert created.status_code == 201, created.get_json()
    listed = company.get(f"{SAV}/question-trees").get_json()["items"]
    assert [(t["id"], t["category"]) for t in listed] == [(created.get_json()["id"], "heat_pump")]
    assert stack.new_company().get(f"{SAV}/question-trees").get_json()["items"] == []
