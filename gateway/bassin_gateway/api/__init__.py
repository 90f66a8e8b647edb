"""The REST API v1, one module per service; each defines its blueprint as ``routes``."""
