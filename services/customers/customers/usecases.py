"""customers use cases, each given the unit of work it runs in (which commits when they return)."""
