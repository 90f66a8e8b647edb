"""The demo company (issue #29), as a newcomer gets it: ``./bassin start`` on this test's
databases and vhost loads it through every service's own RPCs, then the manager logs in
and finds a living business — customers, articles, stock, contracts, tickets, invoices.

The load time is printed (run with ``-s`` to see it); it is not asserted (no timed
assertions): docs/guide/demo.md keeps the figures measured.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bassin_dev import demo_data
from bassin_dev.started import StartedBassin

STARTED = re.compile(r"log in at (http://\S+)/connexion")
LOADED = re.compile(r"demo tenant loaded: (\d+) records in ([\d.]+) s")


@pytest.fixture
def start(process_environment: dict[str, str]) -> Iterator[type[StartedBassin]]:
    started: list[StartedBassin] = []
    # BASSIN_DEMO_LOG: a file to follow the start's output in while it runs.
    log = Path(os.environ["BASSIN_DEMO_LOG"]) if os.environ.get("BASSIN_DEMO_LOG") else None

    def make(*arguments: str, command: str = "start") -> StartedBassin:
        env = {**process_environment, "BASSIN_LOG_FORMAT": "text"}
        process = StartedBassin(env, *arguments, command=command, log=log)
        started.append(process)
        return process

    yield make  # type: ignore[misc]
    for process in started:
        process.stop()


def log_in(url: str, email: str) -> requests.Session:
    session = requests.Session()
    response = session.post(f"{url}/api/v1/auth/login", json={"email": email, "password": demo_data.PASSWORD})
    assert response.status_code == 200, response.text
    token = response.json().get("access_token")
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    return session


# The demo company's size in this test: by default the command's (a whole shop, 17,686 records:
# about 33 s on a quiet machine); BASSIN_DEMO_SCALE=0.1 loads a tenth through the same stages.
SCALE = os.environ.get("BASSIN_DEMO_SCALE")


def read(session: requests.Session, url: str, **params: object) -> dict:
    response = session.get(url, params=params)
    assert response.status_code == 200, (url, response.status_code, response.text[:2000])
    return response.json()


def test_the_demo_company_loads_through_the_services_and_is_alive_at_first_login(start) -> None:
    # Its own name: this process's databases may already hold the browser tests' piscines-demo.
    bassin = start(*(("--scale", SCALE) if SCALE else ()), "--company", "piscines-charge")
    url = bassin.wait_for(STARTED, timeout=3600).group(1)
    loaded = LOADED.search(bassin.output)
    assert loaded, bassin.output[-6000:]
    print(f"\ndemo company: {loaded.group(1)} records in {loaded.group(2)} s")
    if SCALE is None:  # a whole shop: 1,350 customers, 6,500 articles and all that follows
        assert int(loaded.group(1)) > 17_000, loaded.group(0)
    assert f"Demo login: gerant@piscines-charge.fr / {demo_data.PASSWORD}" in bassin.output

    manager = log_in(url, "gerant@piscines-charge.fr")
    customers = read(manager, f"{url}/api/v1/customers/customers", limit=50)
    assert len(customers["items"]) == 50
    # Imported with its pools and their equipment (customers.import_customers, ADR 0029).
    first = read(manager, f"{url}/api/v1/customers/customers/{customers['items'][0]['id']}")
    assert first["pools"] and first["pools"][0]["equipment"], first
    articles = read(manager, f"{url}/api/v1/inventory/articles", q="CHL-GAL-5KG")
    assert [a["sku"] for a in articles["items"]][:1] == ["CHL-GAL-5KG"]
    dashboard = read(manager, f"{url}/api/v1/dashboard")
    assert dashboard["till"]["sales"] > 0 and dashboard["supplier_basket"]["lines"], dashboard
    for email in ("caisse", "bureau", "commercial", "lucas", "karim", "chantier"):
        log_in(url, f"{email}@piscines-charge.fr")


def test_an_empty_company_has_its_logins_and_eight_articles_but_no_customers(start) -> None:
    bassin = start("--empty", "--company", "piscines-vide")  # this test's databases may hold the other
    url = bassin.wait_for(STARTED, timeout=3600).group(1)
    assert LOADED.search(bassin.output), bassin.output[-6000:]
    assert f"Demo login: gerant@piscines-vide.fr / {demo_data.PASSWORD}" in bassin.output
    manager = log_in(url, "gerant@piscines-vide.fr")
    assert read(manager, f"{url}/api/v1/customers/customers")["items"] == []
    articles = read(manager, f"{url}/api/v1/inventory/articles", limit=100)["items"]
    assert sorted(a["sku"] for a in articles) == sorted(sku for sku, *_ in demo_data.FIXED_ARTICLES)
    log_in(url, "caisse@piscines-vide.fr")


# The network's size: BASSIN_DEMO_NETWORK="50 1.0" loads 50 real-size companies (docs/guide/demo.md
# keeps the figures); by default three small ones, to prove the command and the companies' isolation.
NETWORK = os.environ.get("BASSIN_DEMO_NETWORK", "3 0.02").split()


def test_a_network_of_companies_loads_each_in_its_own_tenant(start) -> None:
    companies, scale = int(NETWORK[0]), NETWORK[1]
    bassin = start("--empty", "--companies", str(companies), "--scale", scale, "--exit", command="demo")
    assert bassin.process.wait(timeout=24 * 3600) == 0, bassin.output[-6000:]
    network = re.search(r"network of (\d+) companies loaded in ([\d.]+) s", bassin.output)
    assert network and int(network.group(1)) == companies, bassin.output[-6000:]
    print(f"\nnetwork: {companies} companies at scale {scale} in {network.group(2)} s")
    assert len(re.findall(r"network company piscines-reseau-\d\d loaded", bassin.output)) == companies
