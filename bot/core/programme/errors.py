"""Errors of the programme feature; every message is safe and specific enough to show the facilitator."""

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.errors import ClosedError, ConflictError, NotConfiguredError, NotFoundError, ValidationError
from bot.core.errors import ImportProblem as ImportProblem


class ProgrammeNotSetUpError(NotConfiguredError):
    """The server has no programme yet."""

    def __init__(self) -> None:
        super().__init__(
            "This server has no programme yet. A facilitator can start one with /programme setup "
            "(for example timezone:Europe/London and the announcements channel)."
        )


class UnknownTimezoneError(ValidationError):
    """The time zone name is not an IANA zone."""

    def __init__(self, name: str, suggestions: Sequence[str]) -> None:
        hint = f" Did you mean {', '.join(suggestions[:3])}?" if suggestions else ""
        super().__init__(
            f'"{name}" is not a time zone I know. Use an IANA name such as Europe/London.{hint}',
        )
        self.name = name
        self.suggestions = tuple(suggestions)


class InvalidOffsetsError(ValidationError):
    """A reminder offsets list such as "7d,1d,1h" could not be read."""

    def __init__(self, problems: Sequence[str]) -> None:
        first = problems[0] if len(problems) == 1 else "Some reminder times could not be read:"
        super().__init__(
            f"{first} Write reminder times like 7d,1d,1h (d = days, h = hours, m = minutes).",
            list(problems) if len(problems) > 1 else [],
        )


class InvalidSettingError(ValidationError):
    """A numeric programme setting is out of range."""


class InvalidLocalTimeError(ValidationError):
    """A local date and time was not in the expected format."""

    def __init__(self, text: str, detail: str = "") -> None:
        extra = f" {detail}" if detail else ""
        super().__init__(f'"{text}" is not a date and time like 2026-10-01 18:30 (YYYY-MM-DD HH:MM).{extra}')
        self.text = text


class ZoneHintMismatchError(ValidationError):
    """The zone abbreviation or offset typed after a time matches none of its readings."""

    def __init__(self, text: str, hint: str, zone: str, readings: str) -> None:
        super().__init__(
            f'"{hint}" does not fit {text} in {zone}, which is {readings}. Leave it out or use one of those.'
        )


class NonexistentLocalTimeError(ValidationError):
    """The local time falls in the spring-forward gap."""

    def __init__(self, text: str, zone: str, gap_start: str, gap_end: str) -> None:
        super().__init__(
            f"{text} does not exist in {zone}: the clocks go forward from {gap_start} to {gap_end} that night. "
            f"Choose a time outside that gap, for example {gap_end}."
        )


@dataclass(frozen=True, slots=True)
class FoldOption:
    """One reading of an ambiguous local time: how to write it and what it means."""

    text: str
    abbreviation: str
    utc_offset: str


class AmbiguousLocalTimeError(ValidationError):
    """The local time happens twice (the autumn fold); the user must say which."""

    def __init__(self, text: str, zone: str, options: Sequence[FoldOption]) -> None:
        first, second = options[0], options[1]
        super().__init__(
            f"{text} happens twice in {zone} because the clocks go back that night. Say which one you mean: "
            f'"{first.text}" (the first, UTC{first.utc_offset}) '
            f'or "{second.text}" (the second, UTC{second.utc_offset}).'
        )
        self.options = tuple(options)


class TimeInPastError(ValidationError):
    """A session would start in the past."""

    def __init__(self, local_text: str) -> None:
        super().__init__(f"{local_text} is in the past. Sessions must start in the future.")


class InvalidDurationError(ValidationError):
    """A session duration is outside 5-600 minutes."""


class InvalidSessionNumberError(ValidationError):
    """A session number is not a positive whole number in range."""


class DuplicateSessionNumberError(ConflictError):
    """Another session already has this number."""

    def __init__(self, number: int, *, cancelled: bool = False) -> None:
        if cancelled:
            text = (
                f"Session {number} already exists (it was cancelled). Give the new session another number, "
                f"or renumber the cancelled one with /session edit."
            )
        else:
            text = f"Session {number} already exists. Choose another number, or change it with /session edit."
        super().__init__(text)
        self.number = number


class InvalidLocationError(ValidationError):
    """A location is neither an http(s) URL nor a voice/stage channel."""


class TextTooLongError(ValidationError):
    """A title, description or speaker is too long."""

    def __init__(self, field: str, length: int, limit: int) -> None:
        super().__init__(f"The {field} is {length} characters long; the limit is {limit}. Please shorten it.")
        self.field = field
        self.limit = limit


class MissingValueError(ValidationError):
    """A required value is empty."""

    def __init__(self, field: str) -> None:
        super().__init__(f"The {field} is empty; please give one.")
        self.field = field


class InvalidSeriesRuleError(ValidationError):
    """A series rule such as "first Thursday of each month at 18:30" could not be read."""

    def __init__(self, rule: str, detail: str = "") -> None:
        extra = f" {detail}" if detail else ""
        super().__init__(
            f'I could not read the rule "{rule}".{extra} Try "first Thursday of each month at 18:30", '
            f'"last Tuesday of each month at 19:00" or "every 4 weeks on Wednesday at 10:00".'
        )


class SessionValidationError(ValidationError):
    """Several things are wrong with one session or a series; problems lists each."""

    def __init__(self, problems: Sequence[str], headline: str = "That session was not saved:") -> None:
        super().__init__(headline, list(problems))


class SessionNotFoundError(NotFoundError):
    """No session with that id (or number) in this server."""

    def __init__(self, what: str = "that session") -> None:
        super().__init__(f"I could not find {what}. Pick one from the list (start typing its number or title).")


class SessionCancelledError(ClosedError):
    """The session is cancelled, so this action makes no sense."""

    def __init__(self, number: int, action: str) -> None:
        super().__init__(f"Session {number} is cancelled, so you cannot {action}.")


class SessionOverError(ClosedError):
    """The session has already ended."""

    def __init__(self, number: int, action: str) -> None:
        super().__init__(f"Session {number} has already ended, so you cannot {action}.")


class ImportFileError(ValidationError):
    """The import file has problems; nothing was imported. problems lists each, with its line number."""

    def __init__(self, issues: Sequence[ImportProblem], headline: str | None = None) -> None:
        count = len(issues)
        default = f"Nothing was imported: the file has {count} problem{'s' if count != 1 else ''}."
        super().__init__(headline or default, [str(p) for p in issues])
        self.issues = tuple(issues)


class OutcomeError(ValidationError):
    """A learning outcome could not be added, changed or removed (too many, too long, no such number)."""
