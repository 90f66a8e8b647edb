"""Customer file: customers, contacts, sites, pools, equipment, water analyses, maintenance contracts,
leads to quotes to orders.
"""
