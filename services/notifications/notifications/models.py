"""notifications tables. Every tenant-owned model mixes in ``TenantScoped``."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
