"""The worksites service of Bassin (see ../README.md)."""
