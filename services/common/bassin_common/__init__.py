"""Shared mechanics of the Bassin services.

Importing this package first makes psycopg choose a wait function that cooperates
with eventlet: its default C implementation blocks the whole eventlet hub while a
query runs (see docs/adr/0001-runtime-and-service-shape.md). The database provider
asserts it at start-up.

It also silences the deprecation notice eventlet prints on import: nameko 3 depends on
eventlet, the choice is recorded in that ADR, and the notice is no news to a user.
"""

import os
import warnings

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
