"""The customers service of Bassin (see ../README.md)."""
