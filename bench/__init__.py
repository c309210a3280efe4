"""Benchmarks: ``make bench`` (``python -m bench``) writes var/bench/results.json.

Every figure is measured against a baseline in the same run, on the database
``DATABASE_URL`` points at (a throw-away test database is created and dropped).
"""
