"""Shared mechanics of the Bassin services.

Importing this package first makes psycopg choose a wait function that cooperates
with eventlet: its default C implementation blocks the whole eventlet hub while a
query runs (see docs/adr/0001-runtime-and-service-shape.md). In a monkey-patched
process ``bassin_common.database`` then replaces it with a cheaper one that waits
through the hub (``bassin_common.green_wait``); the database provider asserts that at
start-up.

It also silences the deprecation notice eventlet prints on import: nameko 3 depends on
eventlet, the choice is recorded in that ADR, and the notice is no news to a user.
"""

import os
import warnings

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
