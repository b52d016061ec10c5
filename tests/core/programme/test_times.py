"""Local times, reminder offsets and series rules, including both daylight-saving changes."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.core.programme.errors import (
    AmbiguousLocalTimeError,
    InvalidLocalTimeError,
    InvalidOffsetsError,
    InvalidSeriesRuleError,
    NonexistentLocalTimeError,
    UnknownTimezoneError,
    ZoneHintMismatchError,
)
from bot.core.programme.times import (
    canonical_timezone,
    format_offsets,
    localise,
    parse_local_datetime,
    parse_offsets,
    parse_series_rule,
    suggest_timezones,
)

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("7d,1d,1h", (10080, 1440, 60)),
        (" 1h , 7d ,1d ", (10080, 1440, 60)),
        ("1h30m", (90,)),
        ("30m;2h", (120, 30)),
        ("1d,24h", (1440,)),
        ("30d", (43200,)),
        ("none", ()),
        ("", ()),
    ],
)
def test_offsets_parse_into_minutes_largest_first(text: str, minutes: tuple[int, ...]) -> None:
    """Offsets in d/h/m read into distinct minutes, largest first; "none" means no reminders."""
    assert parse_offsets(text) == minutes


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("7d,1x,1h", '"1x" (part 2)'),
        ("7d,,1h", "Part 2 is empty"),
        ("0m", "zero"),
        ("31d", "more than 30 days"),
        ("1d,2d,3d,4d,5d,6d", "at most 5"),
        ("h", '"h" (part 1)'),
        ("1.5h", '"1.5h" (part 1)'),
    ],
)
def test_bad_offsets_say_which_part_is_wrong(text: str, wrong: str) -> None:
    """A malformed offset list names the wrong part."""
    with pytest.raises(InvalidOffsetsError) as caught:
        parse_offsets(text)
    assert wrong in str(caught.value) + " ".join(caught.value.problems)


def test_several_bad_offsets_are_all_listed() -> None:
    """Every wrong part is reported, not only the first."""
    with pytest.raises(InvalidOffsetsError) as caught:
        parse_offsets("1x,2y,1h")
    assert len(caught.value.problems) == 2


def test_offsets_format_back() -> None:
    """Minutes format back to the short form."""
    assert format_offsets((10080, 1440, 90)) == "7d,1d,1h30m"
    assert format_offsets(()) == "none"


def test_local_time_in_summer_and_winter_converts_to_utc() -> None:
    """18:30 London is 17:30 UTC in summer and 18:30 UTC in winter."""
    assert parse_local_datetime("2026-07-02 18:30", LONDON) == datetime(2026, 7, 2, 17, 30, tzinfo=UTC)
    assert parse_local_datetime("2026-12-03 18:30", LONDON) == datetime(2026, 12, 3, 18, 30, tzinfo=UTC)


def test_time_in_the_spring_gap_is_refused() -> None:
    """01:30 on the night the clocks go forward does not exist; the message names the gap."""
    with pytest.raises(NonexistentLocalTimeError) as caught:
        parse_local_datetime("2027-03-28 01:30", LONDON)
    assert "01:00 to 02:00" in str(caught.value)


def test_time_in_the_autumn_fold_asks_which_one() -> None:
    """01:30 on the night the clocks go back happens twice; the message offers both readings."""
    with pytest.raises(AmbiguousLocalTimeError) as caught:
        parse_local_datetime("2026-10-25 01:30", LONDON)
    message = str(caught.value)
    assert "2026-10-25 01:30 BST" in message and "2026-10-25 01:30 GMT" in message
    assert [o.abbreviation for o in caught.value.options] == ["BST", "GMT"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10-25 01:30 BST", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        ("2026-10-25 01:30 GMT", datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
        ("2026-10-25 01:30 +01:00", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        ("2026-10-25 01:30 +0000", datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
    ],
)
def test_a_hint_picks_one_side_of_the_fold(text: str, expected: datetime) -> None:
    """A zone abbreviation or UTC offset after the time picks the reading."""
    assert parse_local_datetime(text, LONDON) == expected


def test_a_hint_that_fits_neither_reading_is_refused() -> None:
    """CET is not a London reading."""
    with pytest.raises(ZoneHintMismatchError):
        parse_local_datetime("2026-10-25 01:30 CET", LONDON)


@pytest.mark.parametrize("text", ["tomorrow", "2026-13-01 10:00", "2026-02-30 10:00", "01/10/2026 18:30", "2026-10-01"])
def test_malformed_local_times_are_refused(text: str) -> None:
    """Anything but YYYY-MM-DD HH:MM (and real dates) is refused with the expected format."""
    with pytest.raises(InvalidLocalTimeError) as caught:
        parse_local_datetime(text, LONDON)
    assert "YYYY-MM-DD HH:MM" in str(caught.value)


def test_monthly_series_keeps_local_time_across_both_dst_changes() -> None:
    """First Thursdays Sept 2026 - June 2027 at 18:30 stay 18:30 London while UTC moves by an hour."""
    rule = parse_series_rule("first Thursday of each month at 18:30")
    days = rule.dates(date(2026, 9, 1), 10)
    assert days[0] == date(2026, 9, 3) and days[-1] == date(2027, 6, 3)
    starts = [localise(datetime.combine(d, rule.at), LONDON) for d in days]
    assert all(s.astimezone(LONDON).time() == time(18, 30) for s in starts)
    utc_hours = {d.month: s.hour for d, s in zip(days, starts, strict=True)}
    assert utc_hours[10] == 17 and utc_hours[11] == 18  # clocks go back on 25 Oct 2026
    assert utc_hours[3] == 18 and utc_hours[4] == 17  # clocks go forward on 28 Mar 2027


@pytest.mark.parametrize(
    ("text", "first_three"),
    [
        ("last Tuesday of each month at 19:00", [date(2026, 9, 29), date(2026, 10, 27), date(2026, 11, 24)]),
        ("second Monday of every month at 10:00", [date(2026, 9, 14), date(2026, 10, 12), date(2026, 11, 9)]),
        ("every 4 weeks on Wednesday at 10:00", [date(2026, 9, 2), date(2026, 9, 30), date(2026, 10, 28)]),
        ("every Wednesday at 6:30pm", [date(2026, 9, 2), date(2026, 9, 9), date(2026, 9, 16)]),
        ("every fortnight on Thursdays at 09:30", [date(2026, 9, 3), date(2026, 9, 17), date(2026, 10, 1)]),
    ],
)
def test_series_rules(text: str, first_three: list[date]) -> None:
    """Monthly nth/last-weekday and every-N-weeks rules produce the expected dates."""
    assert parse_series_rule(text).dates(date(2026, 9, 1), 3) == first_three


@pytest.mark.parametrize(
    "text",
    [
        "fifth Friday of each month at 18:00",
        "first Funday of each month at 18:00",
        "whenever",
        "first Thursday of each month at 18",
    ],
)
def test_unreadable_series_rules_show_examples(text: str) -> None:
    """An unreadable rule is refused with examples of rules that work."""
    with pytest.raises(InvalidSeriesRuleError) as caught:
        parse_series_rule(text)
    assert "first Thursday of each month at 18:30" in str(caught.value)


def test_timezone_names_are_checked_and_suggested() -> None:
    """Known zones come back canonical; unknown ones suggest close matches."""
    assert canonical_timezone("europe/london") == "Europe/London"
    with pytest.raises(UnknownTimezoneError) as caught:
        canonical_timezone("Europe/Lodnon")
    assert "Europe/London" in caught.value.suggestions
    assert suggest_timezones("lond")[0] == "Europe/London"
    assert "America/New_York" in suggest_timezones("new york")
    assert len(suggest_timezones("", limit=25)) == 25
    assert len(suggest_timezones("a", limit=25)) <= 25
