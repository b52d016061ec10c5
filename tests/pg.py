"""PostgreSQL helpers shared by the test fixtures and the benchmarks."""

from sqlalchemy.engine import make_url


async def pg_execute(url: str, sql: str) -> None:
    """Run one SQL statement on the PostgreSQL server of url (e.g. CREATE DATABASE, outside a transaction)."""
    import asyncpg  # only needed with PostgreSQL

    parsed = make_url(url)
    conn = await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=parsed.database or "postgres",
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()
