"""Shared fixtures. Real databases only: PostgreSQL and MariaDB on this machine (see docs/architecture.md)."""
