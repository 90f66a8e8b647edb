"""Wire formats of the sav RPC API (what the gateway sends and receives)."""
