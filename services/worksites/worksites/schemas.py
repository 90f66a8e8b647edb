"""Wire formats of the worksites RPC API (what the gateway sends and receives)."""
