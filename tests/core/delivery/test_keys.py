"""Every delivery key is built one way: parts joined by ":", moments as Unix seconds, days as ISO dates."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from bot.core.delivery.keys import delivery_key, key_time


def test_a_moment_reads_the_same_in_any_time_zone() -> None:
    """A moment becomes whole Unix seconds, whatever zone the datetime carries."""
    utc = datetime(2026, 1, 5, 18, 30, tzinfo=UTC)
    cet = utc.astimezone(timezone(timedelta(hours=1)))
    assert delivery_key("session_reminder", 12, 60, utc) == "session_reminder:12:60:1767637800"
    assert delivery_key("session_reminder", 12, 60, cet) == delivery_key("session_reminder", 12, 60, utc)
    assert key_time(cet) == 1767637800


def test_days_strings_and_numbers_are_written_as_they_are() -> None:
    """A calendar day is YYYY-MM-DD; ids and words go in unchanged."""
    assert delivery_key("retention_sweep", 4242, date(2026, 7, 2)) == "retention_sweep:4242:2026-07-02"
    assert delivery_key("notice", "mirror", 3, 0, "created") == "notice:mirror:3:0:created"


def test_naive_times_empty_and_overlong_keys_are_refused() -> None:
    """A naive datetime, no parts at all, or a key over 200 characters is a programming error."""
    with pytest.raises(ValueError):
        delivery_key("x", datetime(2026, 1, 5, 18, 30))
    with pytest.raises(ValueError):
        delivery_key()
    with pytest.raises(ValueError):
        delivery_key("x" * 201)
