"""Programme time handling: local times in the programme's zone, reminder offsets and series rules.

Everything is stored in UTC; wall-clock arithmetic (a series "every month at 18:30") happens on
naive local dates and times which are then localised one by one with zoneinfo, so 18:30 stays
18:30 local on both sides of a daylight-saving change.
"""

import calendar
import difflib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.core.programme.errors import (
    AmbiguousLocalTimeError,
    FoldOption,
    InvalidLocalTimeError,
    InvalidOffsetsError,
    InvalidSeriesRuleError,
    NonexistentLocalTimeError,
    UnknownTimezoneError,
    ZoneHintMismatchError,
)

MAX_OFFSETS = 5
MAX_OFFSET_MINUTES = 30 * 24 * 60
LOCAL_FORMAT = "%Y-%m-%d %H:%M"

# Offered first when the facilitator has typed nothing yet.
COMMON_TIMEZONES = (
    "Europe/London",
    "Europe/Dublin",
    "UTC",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Lisbon",
    "Europe/Oslo",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Halifax",
    "America/St_Johns",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Australia/Perth",
    "Pacific/Auckland",
    "Africa/Johannesburg",
    "Africa/Lagos",
    "Africa/Nairobi",
    "America/Sao_Paulo",
)


# --- time zones -------------------------------------------------------------------------------------


@cache
def _zone_names() -> dict[str, str]:
    """Map lower-cased zone names to their canonical spelling (without the posix/ and right/ copies)."""
    names = {
        name
        for name in available_timezones()
        if not name.startswith(("posix/", "right/", "Etc/", "SystemV/")) and name not in ("localtime", "Factory")
    }
    names.add("UTC")
    return {name.lower(): name for name in sorted(names)}


def canonical_timezone(name: str) -> str:
    """Return the canonical spelling of an IANA zone name; raise UnknownTimezoneError with suggestions."""
    key = name.strip().replace(" ", "_").lower()
    found = _zone_names().get(key)
    if found is None:
        raise UnknownTimezoneError(name.strip(), suggest_timezones(name, limit=5))
    try:
        ZoneInfo(found)
    except (ZoneInfoNotFoundError, ValueError) as error:  # pragma: no cover - tzdata and the index disagree
        raise UnknownTimezoneError(name.strip(), suggest_timezones(name, limit=5)) from error
    return found


def suggest_timezones(text: str, limit: int = 25) -> list[str]:
    """Suggest zone names for autocomplete: prefix matches first, then substrings, then near misses."""
    query = text.strip().replace(" ", "_").lower()
    if not query:
        return list(COMMON_TIMEZONES[:limit])
    names = _zone_names()
    ranked: list[str] = []
    common = {name: i for i, name in enumerate(COMMON_TIMEZONES)}

    def add(candidates: list[str]) -> None:
        # Within one tier of match quality, well-known zones come first.
        for name in sorted(candidates, key=lambda n: common.get(n, len(common))):
            if name not in ranked:
                ranked.append(name)

    add([name for key, name in names.items() if key == query])
    add([name for key, name in names.items() if key.startswith(query)])
    add([name for key, name in names.items() if key.rsplit("/", 1)[-1].startswith(query)])
    add([name for key, name in names.items() if query in key])
    if len(ranked) < limit:
        cities = {key.rsplit("/", 1)[-1]: name for key, name in names.items()}
        add([cities[c] for c in difflib.get_close_matches(query.rsplit("/", 1)[-1], cities, n=limit, cutoff=0.7)])
        add([names[k] for k in difflib.get_close_matches(query, names, n=limit, cutoff=0.7)])
    return ranked[:limit]


# --- reminder offsets -------------------------------------------------------------------------------

_OFFSET_PART = re.compile(r"^(?:(?P<d>\d{1,3})d)?(?:(?P<h>\d{1,4})h)?(?:(?P<m>\d{1,5})m)?$")


def parse_offsets(text: str) -> tuple[int, ...]:
    """Read reminder offsets such as "7d,1d,1h" into minutes, largest first.

    Units are d (days), h (hours) and m (minutes), combinable ("1h30m"); "none" or "" means no
    reminders. At most 5 different offsets, each from 1 minute to 30 days. Raise
    InvalidOffsetsError naming each wrong part.
    """
    cleaned = text.strip().lower()
    if cleaned in ("", "none", "off", "no", "-"):
        return ()
    parts = [p.strip() for p in re.split(r"[,;]", cleaned)]
    problems: list[str] = []
    minutes: list[int] = []
    for position, part in enumerate(parts, start=1):
        compact = part.replace(" ", "")
        match = _OFFSET_PART.match(compact)
        if not compact:
            problems.append(f"Part {position} is empty (check for a doubled or trailing comma).")
        elif match is None or not any(match.group(u) for u in "dhm"):
            problems.append(f'"{part}" (part {position}) is not a time like 7d, 12h or 30m.')
        else:
            value = int(match["d"] or 0) * 1440 + int(match["h"] or 0) * 60 + int(match["m"] or 0)
            if value < 1:
                problems.append(f'"{part}" (part {position}) is zero; a reminder must come at least 1m before.')
            elif value > MAX_OFFSET_MINUTES:
                problems.append(f'"{part}" (part {position}) is more than 30 days before the session.')
            else:
                minutes.append(value)
    distinct = sorted(set(minutes), reverse=True)
    if not problems and len(distinct) > MAX_OFFSETS:
        problems.append(f"That is {len(distinct)} reminders; at most {MAX_OFFSETS} are allowed.")
    if problems:
        raise InvalidOffsetsError(problems)
    return tuple(distinct)


def format_offset(minutes: int) -> str:
    """Format minutes as the shortest "1d12h"-style text."""
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    text = (f"{days}d" if days else "") + (f"{hours}h" if hours else "") + (f"{mins}m" if mins else "")
    return text or "0m"


def format_offsets(offsets: tuple[int, ...]) -> str:
    """Format offsets as "7d,1d,1h" (or "none")."""
    return ",".join(format_offset(m) for m in offsets) if offsets else "none"


def describe_offset(minutes: int) -> str:
    """Describe an offset in words ("1 day", "2 hours 30 minutes")."""
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    words = []
    for amount, unit in ((days, "day"), (hours, "hour"), (mins, "minute")):
        if amount:
            words.append(f"{amount} {unit}{'s' if amount != 1 else ''}")
    return " ".join(words) or "0 minutes"


# --- local date and time ----------------------------------------------------------------------------

_LOCAL = re.compile(
    r"^(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})(?:T|\s+)(?P<h>\d{1,2}):(?P<mi>\d{2})"
    r"(?:\s*(?P<hint>Z|[A-Za-z]{2,6}|(?:UTC|GMT)?[+-]\d{1,2}(?::?\d{2})?))?$"
)
_OFFSET_HINT = re.compile(r"^(?:UTC|GMT)?(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class LocalTime:
    """A wall-clock time as typed, with the optional hint that picks a side of an autumn fold."""

    wall: datetime  # naive
    hint: str | None = None


def parse_local(text: str) -> LocalTime:
    """Read "YYYY-MM-DD HH:MM" (optionally with "BST", "GMT" or "+01:00" after it); raise InvalidLocalTimeError."""
    cleaned = " ".join(text.strip().split())
    match = _LOCAL.match(cleaned)
    if match is None:
        raise InvalidLocalTimeError(text.strip()[:40])
    try:
        wall = datetime(int(match["y"]), int(match["mo"]), int(match["d"]), int(match["h"]), int(match["mi"]))  # noqa: DTZ001 - a wall time, localised below
    except ValueError as error:
        raise InvalidLocalTimeError(cleaned, f"({error}.)") from error
    return LocalTime(wall, match["hint"])


def _utc_offset_text(offset: timedelta) -> str:
    total = int(offset.total_seconds() // 60)
    sign = "+" if total >= 0 else "-"
    hours, minutes = divmod(abs(total), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def _exists(wall: datetime, zone: ZoneInfo) -> bool:
    aware = wall.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


def _matches_hint(aware: datetime, hint: str) -> bool:
    if hint.upper() in ("Z", "UTC"):
        return aware.utcoffset() == timedelta(0)
    offset = _OFFSET_HINT.match(hint)
    if offset is not None:
        minutes = int(offset["h"]) * 60 + int(offset["m"] or 0)
        wanted = timedelta(minutes=minutes if offset["sign"] == "+" else -minutes)
        return aware.utcoffset() == wanted
    return (aware.tzname() or "").upper() == hint.upper()


def localise(wall: datetime, zone: ZoneInfo, *, hint: str | None = None) -> datetime:
    """Turn a naive local wall time into aware UTC, refusing gap times and asking about fold times.

    Raise NonexistentLocalTimeError in the spring-forward gap, AmbiguousLocalTimeError in the autumn
    fold unless hint (a zone abbreviation such as "BST" or a UTC offset such as "+01:00") picks one,
    and ZoneHintMismatchError when a hint matches neither reading.
    """
    text = wall.strftime(LOCAL_FORMAT)
    zone_name = str(zone.key)
    if not _exists(wall, zone):
        start = wall
        while not _exists(start - timedelta(minutes=1), zone):
            start -= timedelta(minutes=1)
        end = wall
        while not _exists(end, zone):
            end += timedelta(minutes=1)
        raise NonexistentLocalTimeError(text, zone_name, f"{start:%H:%M}", f"{end:%H:%M}")
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    candidates = [first] if first.utcoffset() == second.utcoffset() else [first, second]
    if hint is not None:
        chosen = [c for c in candidates if _matches_hint(c, hint)]
        if not chosen:
            readings = " or ".join(
                f"{c.tzname()} (UTC{_utc_offset_text(c.utcoffset() or timedelta())})" for c in candidates
            )
            raise ZoneHintMismatchError(text, hint, zone_name, readings)
        candidates = chosen[:1]
    if len(candidates) > 1:
        options = []
        for candidate in candidates:
            offset = _utc_offset_text(candidate.utcoffset() or timedelta())
            name = candidate.tzname() or ""
            # Abbreviations like "BST" are friendlier, but some zones only have "+03"-style names.
            written = f"{text} {name}" if name.isalpha() else f"{text} {offset}"
            options.append(FoldOption(text=written, abbreviation=name, utc_offset=offset))
        raise AmbiguousLocalTimeError(text, zone_name, options)
    return candidates[0].astimezone(UTC)


def parse_local_datetime(text: str, zone: ZoneInfo) -> datetime:
    """Read a local "YYYY-MM-DD HH:MM" in zone and return aware UTC (see localise for the DST rules)."""
    local = parse_local(text)
    return localise(local.wall, zone, hint=local.hint)


def format_local(when: datetime, zone: ZoneInfo) -> str:
    """Format an aware time as "YYYY-MM-DD HH:MM" in zone (the form the commands accept)."""
    return when.astimezone(zone).strftime(LOCAL_FORMAT)


def parse_local_date(text: str) -> date:
    """Read "YYYY-MM-DD"; raise InvalidLocalTimeError."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError as error:
        raise InvalidLocalTimeError(text.strip()[:40], "Give just a date like 2026-09-01.") from error


# --- series rules ------------------------------------------------------------------------------------

_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)} | {
    name.lower(): i for i, name in enumerate(calendar.day_abbr)
}
_WEEKDAYS |= {"tues": 1, "weds": 2, "thur": 3, "thurs": 3}
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "last": -1}
_ORDINAL_NAMES = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
_INTERVALS = {"": 1, "1": 1, "other": 2, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "eight": 8}
_TIME = r"(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2}))?\s*(?P<ampm>am|pm)?"
_DAY = r"(?P<weekday>[a-z]+?)s?"
_MONTHLY = re.compile(
    rf"^(?:on\s+)?(?:the\s+)?(?P<ordinal>[a-z0-9]+)\s+{_DAY}\s+(?:of|in)\s+(?:each|every|the)\s+month"
    rf"(?:\s+at)?\s+{_TIME}$"
)
_WEEKLY = re.compile(
    rf"^every\s+(?:(?P<interval>\d{{1,2}}|other|two|three|four|five|six|eight)\s+weeks?\s+on\s+|week\s+on\s+"
    rf"|(?P<fortnight>fortnight)\s+on\s+)?{_DAY}(?:\s+at)?\s+{_TIME}$"
)


@dataclass(frozen=True, slots=True)
class SeriesRule:
    """A repeating pattern: the nth (or last) weekday of each month, or every n weeks on a weekday."""

    weekday: int  # Monday = 0
    at: time
    ordinal: int | None = None  # 1-4 or -1 (last) for a monthly rule; None for a weekly one
    interval_weeks: int = 1

    def dates(self, start: date, count: int) -> list[date]:
        """Return the first count dates on or after start that follow the rule."""
        if self.ordinal is None:
            first = start + timedelta(days=(self.weekday - start.weekday()) % 7)
            return [first + timedelta(weeks=self.interval_weeks * i) for i in range(count)]
        found: list[date] = []
        year, month = start.year, start.month
        while len(found) < count:
            day = _nth_weekday(year, month, self.weekday, self.ordinal)
            if day >= start:
                found.append(day)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found

    def describe(self) -> str:
        """Describe the rule in words."""
        day = calendar.day_name[self.weekday]
        at = self.at.strftime("%H:%M")
        if self.ordinal is not None:
            return f"the {_ORDINAL_NAMES[self.ordinal]} {day} of each month at {at}"
        if self.interval_weeks == 1:
            return f"every {day} at {at}"
        return f"every {self.interval_weeks} weeks on {day} at {at}"


def _nth_weekday(year: int, month: int, weekday: int, ordinal: int) -> date:
    days = [d for d in calendar.Calendar().itermonthdates(year, month) if d.month == month and d.weekday() == weekday]
    return days[-1] if ordinal == -1 else days[ordinal - 1]


def _parse_time(rule: str, match: re.Match[str]) -> time:
    hour, minute, ampm = int(match["hour"]), int(match["minute"] or 0), match["ampm"]
    if ampm is None and match["minute"] is None:
        raise InvalidSeriesRuleError(rule, f'Write the time as 18:30 or 6:30pm, not "{match["hour"]}".')
    if ampm is not None:
        if not 1 <= hour <= 12:
            raise InvalidSeriesRuleError(rule, f"{hour}{ampm} is not a time.")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59:
        raise InvalidSeriesRuleError(rule, f"{match['hour']}:{match['minute']} is not a time of day.")
    return time(hour, minute)


def _weekday(rule: str, word: str) -> int:
    found = _WEEKDAYS.get(word) if word in _WEEKDAYS else _WEEKDAYS.get(word.rstrip("s"))
    if found is None:
        raise InvalidSeriesRuleError(rule, f'"{word}" is not a day of the week.')
    return found


def parse_series_rule(text: str) -> SeriesRule:
    """Read a rule such as "first Thursday of each month at 18:30" or "every 4 weeks on Wednesday at 10:00".

    Monthly rules take first/second/third/fourth/last; weekly ones "every Wednesday", "every week on",
    "every other", "every fortnight on" or "every N weeks on". Times are 24-hour ("18:30") or "6:30pm".
    """
    rule = " ".join(text.strip().lower().rstrip(".").split())
    shown = text.strip()[:120]
    monthly = _MONTHLY.match(rule)
    if monthly is not None:
        ordinal = _ORDINALS.get(monthly["ordinal"])
        if ordinal is None:
            raise InvalidSeriesRuleError(
                shown, f'"{monthly["ordinal"]}" should be first, second, third, fourth or last.'
            )
        return SeriesRule(weekday=_weekday(shown, monthly["weekday"]), at=_parse_time(shown, monthly), ordinal=ordinal)
    weekly = _WEEKLY.match(rule)
    if weekly is not None:
        if weekly["fortnight"]:
            interval = 2
        elif weekly["interval"] is None:
            interval = 1
        elif weekly["interval"].isdigit():
            interval = int(weekly["interval"])
        else:
            interval = _INTERVALS[weekly["interval"]]
        if not 1 <= interval <= 12:
            raise InvalidSeriesRuleError(shown, "Use an interval from 1 to 12 weeks.")
        return SeriesRule(
            weekday=_weekday(shown, weekly["weekday"]), at=_parse_time(shown, weekly), interval_weeks=interval
        )
    raise InvalidSeriesRuleError(shown)
