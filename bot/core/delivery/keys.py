"""The one format of delivery dedupe keys (and of the times delivery payloads compare against).

A key is its parts joined by ":" — the kind or a prefix naming it first, then ids and times. A moment is
written as whole Unix seconds (UTC), a calendar day as YYYY-MM-DD, everything else as str(). Every feature
builds its keys here, so one moment always reads the same in every key and payload, e.g.
``session_reminder:12:60:1767637800`` or ``reflection_card:12:1767643200``.
"""

from datetime import date, datetime

KeyPart = str | int | datetime | date


def key_time(when: datetime) -> int:
    """Return a moment as whole Unix seconds, as keys and payloads store it (refuses naive datetimes)."""
    if when.tzinfo is None:
        raise ValueError("delivery keys take aware datetimes")
    return int(when.timestamp())


def _part(part: KeyPart) -> str:
    if isinstance(part, datetime):
        return str(key_time(part))
    if isinstance(part, date):
        return part.isoformat()
    return str(part)


def delivery_key(*parts: KeyPart) -> str:
    """Return the dedupe key made of parts (see the module docstring); at most 200 characters."""
    if not parts:
        raise ValueError("a delivery key has at least one part")
    key = ":".join(_part(p) for p in parts)
    if len(key) > 200:
        raise ValueError("a delivery key is at most 200 characters")
    return key
