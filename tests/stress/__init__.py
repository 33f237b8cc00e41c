"""Load against the production wiring: a restartable PostgreSQL, the load itself, and scripts.

`python -m tests.stress.writes` and `python -m tests.stress.restart` run it at scale; the test
module `tests/test_production_wiring.py` runs the same pieces at a size a suite can afford.
"""
