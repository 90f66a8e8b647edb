"""The notifications service of Bassin (see ../README.md)."""
