"""Reference and demo data of the contract: jurisdictions, demo accounts, programmes, budgets,
rule sets, the demo agency and experts. Seeded by ``manage.py seed_demo``; the test suite and
the benchmarks seed it too. Nothing in the product imports this app."""
