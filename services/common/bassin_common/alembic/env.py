"""The alembic environment of every Bassin database (see bassin_common.migrations)."""

from bassin_common.migrations import run_env

run_env()
