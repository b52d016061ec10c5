"""Publication cadence: read "first Monday of the month at 09:00" and compute the next dates.

The dates come from APScheduler's CronTrigger, used only as a calculator (never a job store): it works in
the programme's time zone, so 09:00 stays 09:00 local time across daylight-saving changes.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.core.flash.errors import InvalidCadenceError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_ALIASES = {name[:3]: name for name in WEEKDAYS} | {"tues": "tuesday", "thurs": "thursday", "weds": "wednesday"}
_ORDINALS = {
    "first": "1st",
    "1st": "1st",
    "second": "2nd",
    "2nd": "2nd",
    "third": "3rd",
    "3rd": "3rd",
    "fourth": "4th",
    "4th": "4th",
    "last": "last",
}
_ORDINAL_WORDS = {"1st": "first", "2nd": "second", "3rd": "third", "4th": "fourth", "last": "last"}
_MONTH = r"(?:of\s+)?(?:the|each|every)\s+month"
_TIME = r"at\s+(?P<time>\S+(?:\s*[ap]\.?m\.?)?)"
_NTH_WEEKDAY = re.compile(rf"^(?:the\s+)?(?P<ord>\w+)\s+(?P<day>[a-z]+)\s+{_MONTH}\s+{_TIME}$")
_DAY_N = re.compile(rf"^(?:on\s+)?day\s+(?P<n>\d{{1,2}})\s+{_MONTH}\s+{_TIME}$")
_LAST_DAY = re.compile(rf"^(?:on\s+)?(?:the\s+)?last\s+day\s+{_MONTH}\s+{_TIME}$")
_EVERY = re.compile(rf"^every\s+(?P<day>[a-z]+)\s+{_TIME}$")
_CLOCK = re.compile(r"^(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?P<ampm>[ap])?\.?(?:m\.?)?$")


def _weekday(word: str, text: str) -> str:
    word = word.lower()
    for form in (word, word.removesuffix("s")):
        name = form if form in WEEKDAYS else _WEEKDAY_ALIASES.get(form)
        if name is not None:
            return name
    raise InvalidCadenceError(text, f'"{word}" is not a day of the week.')


def _clock(value: str, text: str) -> tuple[int, int]:
    match = _CLOCK.match(value.strip().lower())
    if match is None:
        raise InvalidCadenceError(text, f'"{value}" is not a time like 09:00.')
    hour, minute = int(match.group("h")), int(match.group("m") or 0)
    ampm = match.group("ampm")
    if ampm is not None:
        if not 1 <= hour <= 12:
            raise InvalidCadenceError(text, f'"{value}" is not a time of day.')
        hour = hour % 12 + (12 if ampm == "p" else 0)
    elif match.group("m") is None:
        raise InvalidCadenceError(text, f'"{value}" is not a time like 09:00 (hours and minutes).')
    if hour > 23 or minute > 59:
        raise InvalidCadenceError(text, f'"{value}" is not a time of day (00:00 to 23:59).')
    return hour, minute


@dataclass(frozen=True, slots=True)
class Cadence:
    """A parsed publication cadence; text is its canonical wording (stored, and shown back to people)."""

    text: str
    day: str | None
    day_of_week: str | None
    hour: int
    minute: int

    def trigger(self, zone: ZoneInfo) -> CronTrigger:
        """Return the CronTrigger that computes this cadence's dates in zone."""
        return CronTrigger(
            day=self.day, day_of_week=self.day_of_week, hour=self.hour, minute=self.minute, timezone=zone
        )

    def next_after(self, when: datetime, zone: ZoneInfo) -> datetime:
        """Return the first date strictly after when, as aware UTC."""
        fire = self.trigger(zone).get_next_fire_time(None, when.astimezone(zone) + timedelta(seconds=1))
        if fire is None:  # a cron rule with a day field always fires again; this is a safety net
            raise InvalidCadenceError(self.text, "It never happens.")
        return fire.astimezone(UTC)

    def upcoming(self, when: datetime, zone: ZoneInfo, count: int = 3) -> tuple[datetime, ...]:
        """Return the next count dates strictly after when, as aware UTC."""
        dates: list[datetime] = []
        cursor = when
        for _ in range(count):
            cursor = self.next_after(cursor, zone)
            dates.append(cursor)
        return tuple(dates)


def parse_cadence(text: str) -> Cadence:
    """Read a cadence in one of these forms (case and extra spaces do not matter):

    "first|second|third|fourth|last <weekday> of the month at HH:MM", "day N of the month at HH:MM",
    "last day of the month at HH:MM", "every <weekday> at HH:MM" (12-hour times such as 9am also work).

    Raises:
        InvalidCadenceError: with what was wrong and examples that work.
    """
    original = (text or "").strip()
    spoken = " ".join(original.lower().replace(",", " ").split())
    if not spoken:
        raise InvalidCadenceError(original, "It is empty.")
    if match := _LAST_DAY.match(spoken):
        hour, minute = _clock(match.group("time"), original)
        return Cadence(f"last day of the month at {hour:02d}:{minute:02d}", "last", None, hour, minute)
    if match := _NTH_WEEKDAY.match(spoken):
        ordinal = _ORDINALS.get(match.group("ord"))
        if ordinal is None:
            raise InvalidCadenceError(original, "Use first, second, third, fourth or last.")
        day = _weekday(match.group("day"), original)
        hour, minute = _clock(match.group("time"), original)
        wording = f"{_ORDINAL_WORDS[ordinal]} {day.capitalize()} of the month at {hour:02d}:{minute:02d}"
        return Cadence(wording, f"{ordinal} {day[:3]}", None, hour, minute)
    if match := _DAY_N.match(spoken):
        number = int(match.group("n"))
        if not 1 <= number <= 28:
            raise InvalidCadenceError(
                original, f"Day {number} is not in every month; use a day from 1 to 28, or the last day of the month."
            )
        hour, minute = _clock(match.group("time"), original)
        return Cadence(f"day {number} of the month at {hour:02d}:{minute:02d}", str(number), None, hour, minute)
    if match := _EVERY.match(spoken):
        day = _weekday(match.group("day"), original)
        hour, minute = _clock(match.group("time"), original)
        return Cadence(f"every {day.capitalize()} at {hour:02d}:{minute:02d}", None, day[:3], hour, minute)
    raise InvalidCadenceError(original)
