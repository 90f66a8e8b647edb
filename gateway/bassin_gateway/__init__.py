"""The HTTP gateway: authenticates callers, resolves their tenant and role, and calls
the services by RPC in parallel. It owns the identities (tenants and users)."""

import bassin_common  # noqa: F401  (first: makes psycopg cooperate with eventlet)
