"""Background work: mail sent by a worker process (`python -m app worker`), and periodic purges.

Jobs live in PostgreSQL (PgQueuer): a request enqueues them in its own transaction
(`app.jobs.queue`), so what it rolls back is never sent and what it commits always is.
"""
