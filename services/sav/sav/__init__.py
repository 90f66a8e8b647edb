"""After-sales service: tickets from equipment, warranty checks, technician agenda, interventions,
signed slips, manufacturer returns.
"""
