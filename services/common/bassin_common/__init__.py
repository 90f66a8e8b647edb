"""Shared mechanics of the Bassin services.

Importing this package first makes psycopg choose a wait function that cooperates
with eventlet: its default C implementation blocks the whole eventlet hub while a
query runs (see docs/adr/0001-runtime.md). The database provider asserts it at start-up.
"""

import os

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
