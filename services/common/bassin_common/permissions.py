"""Who may do what: one table, with the platform's limits and each tenant's choices.

Roles (DESIGN.md): manager, office, sales, technician, cashier — the staff of a pool
company — then customer (the portal: its own data only) and partner (a manufacturer,
calling with an API key: its own brand only). Event handlers and scheduled jobs act as
``system``.

Each ``Permission`` is an action with three sets of roles:

- ``roles``: who may take it by default;
- ``grantable``: the most a tenant may allow — the platform's outer limit. Customer and
  partner are never grantable a staff action, nor staff a customer's or partner's;
- ``required``: roles a tenant cannot take it from (a manager keeps managing users, so a
  tenant cannot lock itself out).

A tenant's manager may set, per action, which roles hold it, between ``required`` and
``grantable`` (``validate_grants``). The gateway applies the tenant's table before it calls
a service; the service checks the outer limit again when the call arrives
(``RequestContext.require``), so a caller that reaches it by another path gets no further
than the platform allows (ADR 0009).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bassin_common.errors import ValidationFailed

MANAGER, OFFICE, SALES, TECHNICIAN, CASHIER = "manager", "office", "sales", "technician", "cashier"
CUSTOMER, PARTNER, SYSTEM = "customer", "partner", "system"

STAFF = frozenset({MANAGER, OFFICE, SALES, TECHNICIAN, CASHIER})
# Roles a person's account may hold: staff roles, or ``customer`` alone (a portal account).
# ``partner`` is held by API keys only; ``system`` by no one but the platform's own work.
USER_ROLES = (*sorted(STAFF), CUSTOMER)
# Roles a tenant's table may name: what it decides for its people and partners.
TENANT_ROLES = frozenset({*STAFF, CUSTOMER, PARTNER})


@dataclass(frozen=True)
class Permission:
    """An action, who may take it by default, and the platform's limits on a tenant's choice."""

    action: str  # what it allows, in words
    roles: frozenset[str]  # by default
    name: str = ""  # its key in the API and in a tenant's table
    grantable: frozenset[str] = field(default=frozenset())  # the most a tenant may allow (roles when empty)
    required: frozenset[str] = field(default=frozenset())  # roles a tenant cannot take it from

    def __post_init__(self) -> None:
        object.__setattr__(self, "grantable", self.grantable | self.roles)
        if not self.required <= self.roles:
            raise ValueError(f"{self.name}: a required role must hold it by default")
        if not self.grantable.isdisjoint(STAFF) and not self.grantable.isdisjoint({CUSTOMER, PARTNER}):
            raise ValueError(f"{self.name}: an action is for staff, or for the customer and partner roles, not both")

    def allows(self, roles: Iterable[str], granted: Iterable[str] | None = None) -> bool:
        """Whether ``roles`` may take this action: by the tenant's ``granted`` roles when it
        chose them, else by the default ones; never beyond the platform's limit."""
        holders = self.roles if granted is None else (frozenset(granted) & self.grantable) | self.required
        if SYSTEM in self.roles:
            holders = holders | {SYSTEM}
        return not holders.isdisjoint(roles)

    def within_limit(self, roles: Iterable[str]) -> bool:
        """Whether some tenant could let ``roles`` take this action: what services check."""
        return not self.grantable.isdisjoint(roles)

    def __str__(self) -> str:
        return f"{self.action} (roles: {', '.join(sorted(self.roles))})"


READ_BUSINESS_DATA = Permission(
    "read the company's data", STAFF | {SYSTEM}, name="read_business_data", required=frozenset({MANAGER})
)
RECORD_SALES = Permission(
    "record sales at the till",
    frozenset({CASHIER, MANAGER, OFFICE, SALES}),
    name="record_sales",
)
MANAGE_STOCK = Permission(
    "manage locations, suppliers, articles, thresholds and the supplier basket",
    frozenset({MANAGER, OFFICE}),
    name="manage_stock",
    # A tenant may let its sales people keep the catalogue, its technicians their van's stock.
    grantable=frozenset({SALES, TECHNICIAN}),
    required=frozenset({MANAGER}),
)
MANAGE_USERS = Permission(
    "manage users, their roles, partner API keys and the permission table",
    frozenset({MANAGER}),
    name="manage_users",
    required=frozenset({MANAGER}),
)

# --- customers (the customer file, water care, contracts, the sales pipeline) ---------------
MANAGE_CUSTOMERS = Permission(
    "create and edit customer files: their sites, pools, equipment and maintenance contracts",
    frozenset({MANAGER, OFFICE, SALES}),
    name="manage_customers",
    # A tenant may let technicians fix a file on site, and the shop's cashiers create one.
    grantable=frozenset({TECHNICIAN, CASHIER}),
    required=frozenset({MANAGER}),
)
RECORD_WATER_ANALYSES = Permission(
    "record water analyses and read their recommendations",
    STAFF,
    name="record_water_analyses",
    required=frozenset({MANAGER}),
)
MANAGE_SALES_PIPELINE = Permission(
    "manage prospects, follow-ups, quotes and orders",
    frozenset({MANAGER, OFFICE, SALES}),
    name="manage_sales_pipeline",
    required=frozenset({MANAGER}),
)
EXPORT_OR_ERASE_PERSONAL_DATA = Permission(
    "export or erase everything about a customer (GDPR)",
    frozenset({MANAGER}),
    name="export_or_erase_personal_data",
    grantable=frozenset({OFFICE}),
    required=frozenset({MANAGER}),
)

# --- purchasing ------------------------------------------------------------------------------
MANAGE_PURCHASING = Permission(
    "import supplier price lists, validate the supplier basket and send purchase orders",
    frozenset({MANAGER, OFFICE}),
    name="manage_purchasing",
    grantable=frozenset({SALES}),
    required=frozenset({MANAGER}),
)
RECEIVE_AND_COUNT_STOCK = Permission(
    "receive deliveries, transfer stock between locations and count stock",
    frozenset({MANAGER, OFFICE}),
    name="receive_and_count_stock",
    grantable=frozenset({SALES, TECHNICIAN, CASHIER}),
    required=frozenset({MANAGER}),
)

# --- the till and billing --------------------------------------------------------------------
REFUND_SALES = Permission(
    "refund or exchange a sale, and give discounts beyond the till's limit",
    frozenset({MANAGER, OFFICE}),
    name="refund_sales",
    grantable=frozenset({CASHIER, SALES}),
    required=frozenset({MANAGER}),
)
SELL_ON_ACCOUNT = Permission(
    "put a sale on a customer's account instead of being paid at once",
    frozenset({MANAGER, OFFICE}),
    name="sell_on_account",
    grantable=frozenset({CASHIER, SALES}),
    required=frozenset({MANAGER}),
)
MANAGE_INVOICES = Permission(
    "draft, check, issue and send invoices and credit notes, and record payments",
    frozenset({MANAGER, OFFICE}),
    name="manage_invoices",
    grantable=frozenset({SALES}),
    required=frozenset({MANAGER}),
)
READ_FINANCIAL_REPORTS = Permission(
    "read sales statistics, margins, Z reports and export the accounts (FEC)",
    frozenset({MANAGER, OFFICE}),
    name="read_financial_reports",
    grantable=frozenset({SALES}),
    required=frozenset({MANAGER}),
)

# --- worksites -------------------------------------------------------------------------------
PLAN_WORKSITES = Permission(
    "manage pool types and construction templates, plan projects and crews, accept an auto-plan",
    frozenset({MANAGER, OFFICE}),
    name="plan_worksites",
    grantable=frozenset({SALES}),
    required=frozenset({MANAGER}),
)
RUN_WORKSITE_STEPS = Permission(
    "start and complete worksite steps, with notes, photos and the handover report",
    frozenset({MANAGER, TECHNICIAN}),
    name="run_worksite_steps",
    grantable=frozenset({OFFICE}),
    required=frozenset({MANAGER}),
)

# --- after-sales service ---------------------------------------------------------------------
MANAGE_SERVICE_TICKETS = Permission(
    "open and qualify after-sales tickets, schedule interventions and plan technicians' routes",
    frozenset({MANAGER, OFFICE, SALES, TECHNICIAN}),
    name="manage_service_tickets",
    grantable=frozenset({CASHIER}),
    required=frozenset({MANAGER}),
)
PERFORM_INTERVENTIONS = Permission(
    "carry out an intervention: checklist, report, parts from the van, the customer's signature",
    frozenset({MANAGER, TECHNICIAN}),
    name="perform_interventions",
    grantable=frozenset({OFFICE}),
    required=frozenset({MANAGER}),
)
MANAGE_WARRANTY_RETURNS = Permission(
    "create and follow manufacturer warranty returns",
    frozenset({MANAGER, OFFICE, TECHNICIAN}),
    name="manage_warranty_returns",
    required=frozenset({MANAGER}),
)

# --- notifications ---------------------------------------------------------------------------
MANAGE_ALERT_RULES = Permission(
    "edit the alert rules, message templates and partner deliveries (webhooks)",
    frozenset({MANAGER}),
    name="manage_alert_rules",
    grantable=frozenset({OFFICE}),
    required=frozenset({MANAGER}),
)

HANDLE_ACTIONS = Permission(
    "work through the actions inbox: mark an action done, snooze, dismiss or reassign it",
    STAFF,
    name="handle_actions",
    required=frozenset({MANAGER}),
)
RUN_SCHEDULED_JOBS = Permission(
    "run a scheduled scan now (follow-ups, seasonal campaigns); the scheduler runs them daily",
    frozenset({MANAGER, SYSTEM}),
    name="run_scheduled_jobs",
    grantable=frozenset({OFFICE}),
    required=frozenset({MANAGER}),
)

# --- customers' and partners' own accounts ---------------------------------------------------
READ_OWN_CUSTOMER_ACCOUNT = Permission(
    "read one's own customer account (the portal)", frozenset({CUSTOMER}), name="read_own_customer_account"
)
READ_OWN_PARTNER_ACCOUNT = Permission(
    "read one's own partner account (a manufacturer's API key)",
    frozenset({PARTNER}),
    name="read_own_partner_account",
)
READ_BRAND_WARRANTY_RETURNS = Permission(
    "read and answer the warranty returns of one's own brand (a manufacturer's API key)",
    frozenset({PARTNER}),
    name="read_brand_warranty_returns",
)
# The portals (issue #27): a manufacturer keeps its own delivery endpoint.
MANAGE_OWN_PARTNER_ENDPOINT = Permission(
    "set one's own webhook endpoint and rotate its signing secret (a manufacturer's API key)",
    frozenset({PARTNER}),
    name="manage_own_partner_endpoint",
)

PERMISSIONS: tuple[Permission, ...] = (
    READ_BUSINESS_DATA,
    RECORD_SALES,
    MANAGE_STOCK,
    MANAGE_USERS,
    MANAGE_CUSTOMERS,
    RECORD_WATER_ANALYSES,
    MANAGE_SALES_PIPELINE,
    EXPORT_OR_ERASE_PERSONAL_DATA,
    MANAGE_PURCHASING,
    RECEIVE_AND_COUNT_STOCK,
    REFUND_SALES,
    SELL_ON_ACCOUNT,
    MANAGE_INVOICES,
    READ_FINANCIAL_REPORTS,
    PLAN_WORKSITES,
    RUN_WORKSITE_STEPS,
    MANAGE_SERVICE_TICKETS,
    PERFORM_INTERVENTIONS,
    MANAGE_WARRANTY_RETURNS,
    MANAGE_ALERT_RULES,
    HANDLE_ACTIONS,
    RUN_SCHEDULED_JOBS,
    READ_OWN_CUSTOMER_ACCOUNT,
    READ_OWN_PARTNER_ACCOUNT,
    READ_BRAND_WARRANTY_RETURNS,
    MANAGE_OWN_PARTNER_ENDPOINT,
)
BY_NAME: dict[str, Permission] = {permission.name: permission for permission in PERMISSIONS}


def validate_grants(grants: Mapping[str, object]) -> dict[str, frozenset[str]]:
    """A tenant's table (``{action name: [roles]}``) checked against the platform's limits;
    ``ValidationFailed`` names each action at fault."""
    errors: dict[str, list[str]] = {}
    checked: dict[str, frozenset[str]] = {}
    for name, roles in grants.items():
        permission = BY_NAME.get(name)
        if permission is None:
            errors[name] = ["no such action"]
            continue
        if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
            errors[name] = ["a list of roles"]
            continue
        chosen = frozenset(roles)
        problems = []
        if unknown := sorted(chosen - TENANT_ROLES):
            problems.append(f"unknown role(s): {', '.join(unknown)}")
        if beyond := sorted((chosen & TENANT_ROLES) - permission.grantable):
            problems.append(f"the platform does not allow {', '.join(beyond)} to {permission.action}")
        if missing := sorted(permission.required - chosen):
            problems.append(f"{', '.join(missing)} always keep(s) this")
        if problems:
            errors[name] = problems
        else:
            checked[name] = chosen
    if errors:
        raise ValidationFailed(f"beyond the platform's limits: {', '.join(sorted(errors))}", errors)
    return checked
