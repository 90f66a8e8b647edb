"""A package of templates for the document tests (on pytest's pythonpath)."""
