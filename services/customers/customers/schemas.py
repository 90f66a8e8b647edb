"""Wire formats of the customers RPC API (what the gateway sends and receives)."""
