"""worksites rules, as plain Python: no database, no broker."""
