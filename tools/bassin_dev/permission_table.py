"""The user guide's table of permissions (docs/user-guide.md, "Who can do what"), rendered
from ``bassin_common.permissions`` so that it never says other than what the code checks."""

from __future__ import annotations

from pathlib import Path

from bassin_common.permissions import PERMISSIONS, SYSTEM, Permission
from bassin_dev.generate import REPO, Derived, replace_region

GUIDE = Path("docs/user-guide.md")
REGION = "permissions"


def _roles(roles: frozenset[str]) -> str:
    return ", ".join(sorted(roles - {SYSTEM})) or "—"


def row(permission: Permission) -> str:
    more = permission.grantable - permission.roles
    return (
        f"| {permission.action} (`{permission.name}`) | {_roles(permission.roles)} | {_roles(more)} "
        f"| {_roles(permission.required)} |"
    )


def table() -> str:
    lines = [
        "| permission (name) | default roles | may also be given to | always kept by |",
        "| --- | --- | --- | --- |",
        *(row(permission) for permission in PERMISSIONS),
    ]
    return "\n".join(lines) + "\n"


def derived_files() -> list[Derived]:
    text = (REPO / GUIDE).read_text()
    return [Derived(GUIDE, replace_region(text, REGION, table(), comment="<!--", closing=" -->"))]
