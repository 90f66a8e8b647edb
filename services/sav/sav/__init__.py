"""The sav service of Bassin (see ../README.md)."""
