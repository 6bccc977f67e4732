"""Schema migrations (alembic). The store applies them on open, under its lock."""
