"""The production topology on loopback (`nox -s stack`, `python -m tests.stack`).

    client ─> nginx ─┬─> API instance 1 (`python -m app api --workers 2`) ─┬─> PgBouncer ─> primary
                     └─> API instance 2 ──────────────────────────────────┴─> replica (public reads)
    job worker (`python -m app worker`) ─> primary (LISTEN: never through the pooler)
    mail sink (unless SMTP_URL is set) <─ job worker

launch.py starts and stops it (nginx.conf is its load balancer's configuration); checks.py
holds the contract to it (`python -m tests.stack --check`).
"""
