"""Pseudonyms for evaluation exports: stable per person and server, meaningless without the secret key.

A person appears as ``P-`` followed by the first 12 hexadecimal characters (lower case) of

    HMAC-SHA256(key = BLETHER_EXPORT_KEY encoded as UTF-8 text (not hex-decoded),
                message = f"{guild_id}:{user_id}" encoded as ASCII)

where guild_id and user_id are the Discord server and user ids written in decimal without leading zeros,
e.g. the message ``123456789012345678:234567890123456789``. The same key always gives the same pseudonym, so
exports made at different times join up; a different key gives unrelated pseudonyms; and without the key
nobody can tell whose pseudonym is whose (not even by trying every member's id). 48 bits make a collision
among a programme's participants vanishingly unlikely; exports still check for one.
"""

import hashlib
import hmac

from bot.core.evaluation.errors import MissingExportKeyError
from bot.core.keys import key_weakness

PREFIX = "P-"
LENGTH = 12


def pseudonym_message(guild_id: int, user_id: int) -> bytes:
    """Return the exact bytes that are signed for a person: b"<guild_id>:<user_id>"."""
    return f"{int(guild_id)}:{int(user_id)}".encode("ascii")


def pseudonym(key: str, guild_id: int, user_id: int) -> str:
    """Return a person's pseudonym, e.g. "P-3f2a9c0b1d4e" (see the module docstring for the exact recipe)."""
    digest = hmac.new(key.encode("utf-8"), pseudonym_message(guild_id, user_id), hashlib.sha256).hexdigest()
    return PREFIX + digest[:LENGTH]


def check_export_key(key: str | None) -> str:
    """Return the key stripped of surrounding spaces, or raise MissingExportKeyError (unset or too easy to guess)."""
    cleaned = (key or "").strip()
    if not cleaned:
        raise MissingExportKeyError()
    weakness = key_weakness(cleaned)
    if weakness is not None:
        raise MissingExportKeyError(weakness=weakness)
    return cleaned


class Pseudonymiser:
    """Turn one server's user ids into pseudonyms with one key (memoised; refuses collisions)."""

    def __init__(self, key: str, guild_id: int) -> None:
        self._key = check_export_key(key)
        self._guild_id = guild_id
        self._seen: dict[int, str] = {}
        self._owners: dict[str, int] = {}

    def __call__(self, user_id: int | None) -> str | None:
        """Return the pseudonym of user_id (None stays None)."""
        if user_id is None:
            return None
        found = self._seen.get(user_id)
        if found is not None:
            return found
        value = pseudonym(self._key, self._guild_id, user_id)
        owner = self._owners.setdefault(value, user_id)
        if owner != user_id:  # 2^-48 per pair: practically never, but never silently merge two people
            raise RuntimeError("two people got the same pseudonym; rotate BLETHER_EXPORT_KEY")
        self._seen[user_id] = value
        return value
