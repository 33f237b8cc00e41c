"""PostgreSQL access: engine, the per-request session, ORM tables and migrations."""
