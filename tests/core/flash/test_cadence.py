"""Cadence parsing and next dates in the programme's time zone, across daylight-saving changes."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.flash.cadence import parse_cadence
from bot.core.flash.errors import InvalidCadenceError

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("first Monday of the month at 09:00", "first Monday of the month at 09:00"),
        ("  Last FRIDAY of each month at 4pm ", "last Friday of the month at 16:00"),
        ("second tues of every month at 9.30", "second Tuesday of the month at 09:30"),
        ("4th Wednesday of the month at 18:00", "fourth Wednesday of the month at 18:00"),
        ("day 1 of the month at 9:00", "day 1 of the month at 09:00"),
        ("last day of the month at 12:00", "last day of the month at 12:00"),
        ("every Thursday at 18:30", "every Thursday at 18:30"),
        ("every mondays at 12am", "every Monday at 00:00"),
    ],
)
def test_cadences_are_read_into_a_canonical_wording(text: str, canonical: str) -> None:
    """Several natural forms are understood and shown back the same way."""
    assert parse_cadence(text).text == canonical


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("", "empty"),
        ("fifth Monday of the month at 09:00", "first, second, third, fourth or last"),
        ("first Funday of the month at 09:00", "not a day of the week"),
        ("day 31 of the month at 09:00", "1 to 28"),
        ("every Monday at 25:00", "00:00 to 23:59"),
        ("every Monday at 9", "hours and minutes"),
        ("whenever we feel like it", "first Monday of the month at 09:00"),
    ],
)
def test_unreadable_cadences_say_what_is_wrong(text: str, detail: str) -> None:
    """A cadence that cannot be read is refused with the problem and working examples."""
    with pytest.raises(InvalidCadenceError) as caught:
        parse_cadence(text)
    assert detail in str(caught.value)
    assert "every Monday at 09:00" in str(caught.value)


def test_first_monday_stays_at_nine_local_across_the_spring_change() -> None:
    """09:00 in London is 09:00 GMT before 29 March 2026 and 09:00 BST (08:00 UTC) after."""
    cadence = parse_cadence("first Monday of the month at 09:00")
    dates = cadence.upcoming(datetime(2026, 1, 20, tzinfo=UTC), LONDON, 4)
    assert dates == (
        datetime(2026, 2, 2, 9, 0, tzinfo=UTC),
        datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        datetime(2026, 4, 6, 8, 0, tzinfo=UTC),
        datetime(2026, 5, 4, 8, 0, tzinfo=UTC),
    )
    assert all(d.astimezone(LONDON).hour == 9 for d in dates)


def test_weekly_dates_cross_the_autumn_change_at_the_same_local_time() -> None:
    """Every Sunday at 09:00 across 25 October 2026 (BST -> GMT)."""
    cadence = parse_cadence("every Sunday at 09:00")
    dates = cadence.upcoming(datetime(2026, 10, 12, tzinfo=UTC), LONDON, 3)
    assert [d.astimezone(LONDON).strftime("%d %H:%M %Z") for d in dates] == [
        "18 09:00 BST",
        "25 09:00 GMT",
        "01 09:00 GMT",
    ]


def test_next_date_is_strictly_after_the_given_time() -> None:
    """At exactly a publication time, the next date is the following one."""
    cadence = parse_cadence("day 1 of the month at 09:00")
    first = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
    assert cadence.next_after(first, LONDON) == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
