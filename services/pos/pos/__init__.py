"""Point of sale: the till's sales, their lines and split payments."""

import bassin_common  # noqa: F401  (first: makes psycopg cooperate with eventlet)
