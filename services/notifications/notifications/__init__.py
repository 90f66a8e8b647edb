"""Alerts and actions for staff, rules, e-mail/SMS delivery, and the Celery scheduler for time-based
triggers.
"""
