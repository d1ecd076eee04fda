"""Alembic revisions of the app database, one small file per change."""
