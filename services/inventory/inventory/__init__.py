"""Inventory: catalogue, stock per location, the movements ledger and the supplier basket."""

import bassin_common  # noqa: F401  (first: makes psycopg cooperate with eventlet)
