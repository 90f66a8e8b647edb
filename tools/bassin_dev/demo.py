"""The demo tenant: a pool shop with a manager and a cashier, stock locations, suppliers and articles.

Loaded by ``./bassin start`` once (it is skipped when the tenant exists), through the
same RPC API the gateway uses, so the services' events flow as in real use.
"""

from __future__ import annotations

from dataclasses import dataclass

from nameko.standalone.rpc import ClusterRpcClient
from sqlalchemy import select

from bassin_common.config import Settings
from bassin_common.tenancy import RequestContext
from bassin_gateway import identities
from bassin_gateway.models import Tenant
from bassin_gateway.runtime import gateway_sessions

DEMO_SLUG = "piscines-demo"
DEMO_EMAIL = "gerant@piscines-demo.fr"
DEMO_PASSWORD = "bassin-demo-2026"
# The shop's cashier: the till and the stock, not the basket nor the thresholds.
DEMO_CASHIER_EMAIL = "caisse@piscines-demo.fr"

LOCATIONS = [
    {"code": "MAG", "name": "Magasin", "kind": "shop"},
    {"code": "DEP", "name": "Dépôt", "kind": "warehouse"},
    {"code": "VAN1", "name": "Camion de Lucas", "kind": "van"},
]
SUPPLIERS = ["HydroSud Distribution", "Aqua Équipements", "PoolTech France"]
# sku, name, supplier index, purchase, sale, shop stock / min / max
ARTICLES = [
    ("CHL-GAL-5KG", "Chlore lent galets 5 kg", 0, "24.00", "39.90", 40, 10, 60),
    ("CHL-CHOC-1KG", "Chlore choc granulés 1 kg", 0, "9.50", "16.90", 25, 8, 40),
    ("PH-MOINS-6KG", "pH moins poudre 6 kg", 0, "11.20", "19.90", 18, 6, 30),
    ("SEL-25KG", "Sel pour électrolyseur 25 kg", 0, "6.80", "12.50", 60, 20, 100),
    ("BAND-TEST-50", "Bandelettes d'analyse 5 en 1 (50)", 1, "5.10", "11.90", 30, 10, 50),
    ("CART-FIL-C100", "Cartouche de filtration C100", 1, "21.00", "42.00", 12, 4, 20),
    ("POMPE-0.75CV", "Pompe de filtration 0,75 CV", 2, "310.00", "529.00", 3, 1, 4),
    ("CELL-ELEC-T15", "Cellule d'électrolyseur T-15", 2, "390.00", "649.00", 2, 1, 3),
]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    created: bool


def load_demo(settings: Settings) -> DemoLogin:
    sessions = gateway_sessions(settings)
    with sessions() as session:
        if session.scalar(select(Tenant).where(Tenant.slug == DEMO_SLUG)):
            return DemoLogin(DEMO_EMAIL, DEMO_PASSWORD, created=False)
        tenant = identities.create_tenant(session, DEMO_SLUG, "Piscines Démo")
        user = identities.create_user(session, tenant.id, DEMO_EMAIL, DEMO_PASSWORD, "Claire Martin", ["manager"])
        identities.create_user(session, tenant.id, DEMO_CASHIER_EMAIL, DEMO_PASSWORD, "Lucie Roux", ["cashier"])
        context = RequestContext(tenant.id, str(user.id), frozenset({"manager"}), "demo-loader")
        rpc_client = ClusterRpcClient(context_data=context.to_context_data(), timeout=60, uri=settings.amqp_uri)
        with rpc_client as rpc:
            locations = [rpc.inventory.create_location(location) for location in LOCATIONS]
            suppliers = [rpc.inventory.create_supplier({"name": name}) for name in SUPPLIERS]
            shop, warehouse = locations[0], locations[1]
            for sku, name, supplier, purchase, sale, stock, minimum, maximum in ARTICLES:
                rpc.inventory.create_article(
                    {
                        "sku": sku,
                        "name": name,
                        "supplier_id": suppliers[supplier]["id"],
                        "purchase_price": purchase,
                        "sale_price": sale,
                        "stock": [
                            {"location_id": shop["id"], "quantity": stock, "minimum": minimum, "maximum": maximum},
                            {"location_id": warehouse["id"], "quantity": stock * 2},
                        ],
                    }
                )
        # Committed last: a failed load is retried whole on the next start.
        session.commit()
    sessions.kw["bind"].dispose()
    return DemoLogin(DEMO_EMAIL, DEMO_PASSWORD, created=True)
