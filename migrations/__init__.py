"""Alembic migrations for Blether's database (one concern per revision)."""
