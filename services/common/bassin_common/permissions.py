"""Who may do what: one table, read by the gateway before it calls a service and by the
service again when the call arrives (a caller that reaches a service by another path
gets no further).

Roles (DESIGN.md): manager, office, sales, technician, cashier — the staff of a pool
company — then customer (the portal: its own data only) and partner (a manufacturer:
its own warranty returns only). Event handlers and scheduled jobs act as ``system``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MANAGER, OFFICE, SALES, TECHNICIAN, CASHIER = "manager", "office", "sales", "technician", "cashier"
CUSTOMER, PARTNER, SYSTEM = "customer", "partner", "system"

STAFF = frozenset({MANAGER, OFFICE, SALES, TECHNICIAN, CASHIER})
# Roles a person may hold; ``system`` is never given to a user.
USER_ROLES = (*sorted(STAFF), CUSTOMER, PARTNER)


@dataclass(frozen=True)
class Permission:
    """An action and the roles allowed to take it."""

    action: str
    roles: frozenset[str]

    def allows(self, roles: Iterable[str]) -> bool:
        return not self.roles.isdisjoint(roles)

    def __str__(self) -> str:
        return f"{self.action} (roles: {', '.join(sorted(self.roles))})"


READ_BUSINESS_DATA = Permission("read the company's data", STAFF | {SYSTEM})
RECORD_SALES = Permission("record sales at the till", frozenset({CASHIER, MANAGER, OFFICE, SALES}))
MANAGE_STOCK = Permission(
    "manage locations, suppliers, articles, thresholds and the supplier basket", frozenset({MANAGER, OFFICE})
)

PERMISSIONS: tuple[Permission, ...] = (READ_BUSINESS_DATA, RECORD_SALES, MANAGE_STOCK)
