"""Storage: engine and sessions, the UTC column type, ORM models and repositories."""
