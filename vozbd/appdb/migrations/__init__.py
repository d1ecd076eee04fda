"""Alembic migrations of the app database (run by ``vozbd.appdb.migrate.upgrade``)."""
