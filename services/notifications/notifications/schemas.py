"""Wire formats of the notifications RPC API (what the gateway sends and receives)."""
