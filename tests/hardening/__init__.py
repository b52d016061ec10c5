"""Helpers for the hardening e2e tests: command discovery, option values, database snapshots, checks."""
