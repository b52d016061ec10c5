"""Write reflection poll delivery keys and payload times as Unix seconds (the one delivery key format)

Revision ID: 0007_one_delivery_key_format
Revises: 0006_flash_floods
Create Date: 2026-12-01 10:00:00.000000

A data migration, no schema change. Until now the reflection poll's deliveries wrote times in their dedupe
keys and payloads as compact UTC stamps (20260105T120000Z) while every other feature wrote Unix seconds;
bot.core.delivery.keys now builds every key one way. Every row of the four reflection kinds is rewritten,
whatever its status: a sent card or nudge must keep the key the new code would build for it, or re-planning
a poll (at every start-up) would schedule it again under a key the engine has never seen.
"""

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0007_one_delivery_key_format"
down_revision: str | None = "0006_flash_floods"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("reflection_card", "reflection_nudge", "reflection_nudge_dm", "reflection_close")
PAYLOAD_TIMES = ("ends_at", "nudge_at", "closes_at")
_STAMP = re.compile(r"\d{8}T\d{6}Z")
_UNIX = re.compile(r"\d{9,11}")
_PREFIXES = tuple(f"{kind}:" for kind in KINDS)

deliveries = sa.table(
    "deliveries",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("dedupe_key", sa.String),
    sa.column("payload", sa.JSON),
)


def _to_unix(stamp: str) -> str:
    return str(int(datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()))


def _to_stamp(unix: str) -> str:
    return f"{datetime.fromtimestamp(int(unix), UTC):%Y%m%dT%H%M%SZ}"


def _key(key: str, pattern: re.Pattern[str], convert: Callable[[str], str]) -> str:
    """Convert the time parts of a reflection key (the id parts — session and user — stay as they are)."""
    kind, session_id, *rest = key.split(":")
    if kind == "reflection_nudge_dm" and len(rest) == 2:  # <time>:<user id>
        rest[0] = convert(rest[0]) if pattern.fullmatch(rest[0]) else rest[0]
        return ":".join([kind, session_id, *rest])
    converted = [convert(part) if pattern.fullmatch(part) else part for part in rest]
    return ":".join([kind, session_id, *converted])


def _rewrite(
    pattern: re.Pattern[str], convert: Callable[[str], str], payload_value: Callable[[object], object]
) -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(deliveries.c.id, deliveries.c.dedupe_key, deliveries.c.payload).where(deliveries.c.kind.in_(KINDS))
    ).all()
    for row in rows:
        key = row.dedupe_key
        new_key = _key(key, pattern, convert) if key.startswith(_PREFIXES) else key
        payload = dict(row.payload or {})
        new_payload = {k: payload_value(v) if k in PAYLOAD_TIMES else v for k, v in payload.items()}
        if new_key != key or new_payload != payload:
            connection.execute(
                sa.update(deliveries).where(deliveries.c.id == row.id).values(dedupe_key=new_key, payload=new_payload)
            )


def _payload_to_unix(value: object) -> object:
    return int(_to_unix(value)) if isinstance(value, str) and _STAMP.fullmatch(value) else value


def _payload_to_stamp(value: object) -> object:
    is_int = isinstance(value, int) and not isinstance(value, bool)
    return _to_stamp(str(value)) if is_int else value


def upgrade() -> None:
    """Rewrite the compact UTC stamps in reflection delivery keys and payloads as Unix seconds."""
    _rewrite(_STAMP, _to_unix, _payload_to_unix)


def downgrade() -> None:
    """Write them back as compact UTC stamps."""
    _rewrite(_UNIX, _to_stamp, _payload_to_stamp)
