"""Errors of the reflections and attendance features; every message is safe to show and says what to do."""

from collections.abc import Sequence
from datetime import datetime

from bot.core.errors import ClosedError, ConflictError, NotFoundError, ValidationError
from bot.core.errors import ImportProblem as ImportProblem
from bot.core.messages import Time, TimeStyle, text


class PollClosedError(ClosedError):
    """The session's reflection poll has closed; answers can no longer be given or changed."""

    def __init__(self, number: int, closed_at: datetime) -> None:
        super().__init__(
            text(
                f"Reflections for Session {number} closed on ",
                Time(closed_at),
                ", so nothing was saved. Thank you for wanting to share — you can always tell a facilitator directly.",
            )
        )
        self.number = number


class PollNotOpenError(ClosedError):
    """The session has not started yet, so there is nothing to reflect on."""

    def __init__(self, number: int, starts_at: datetime) -> None:
        super().__init__(
            text(
                f"Session {number} has not happened yet (it starts ",
                Time(starts_at, TimeStyle.RELATIVE),
                "). Reflections open when it ends.",
            )
        )


class PollAlreadyOpenError(ConflictError):
    """A facilitator tried to open a poll that is open."""

    def __init__(self, number: int, closes_at: datetime) -> None:
        super().__init__(text(f"Reflections for Session {number} are already open; they close ", Time(closes_at), "."))


class PollAlreadyClosedError(ConflictError):
    """A facilitator tried to close a poll that is closed."""

    def __init__(self, number: int) -> None:
        super().__init__(f"Reflections for Session {number} are already closed. Use /reflection open to reopen them.")


class TamperedAnswersError(ValidationError):
    """Submitted answers do not fit the session's form (unknown field, value outside the allowed ones)."""

    def __init__(self, problems: Sequence[str] = ()) -> None:
        super().__init__(
            "Those answers don't match this session's reflection form (it may have changed since you opened "
            "it). Nothing was saved — please press Reflect again.",
            list(problems),
        )


class MissingAnswerError(ValidationError):
    """A required question was left empty."""

    def __init__(self, label: str) -> None:
        super().__init__(f'Please answer "{label}" — it is required. Nothing was saved yet.')
        self.label = label


class OutsideCheckInWindowError(ClosedError):
    """A check-in outside the session's attendance window."""

    def __init__(self, number: int, opens_at: datetime, closes_at: datetime) -> None:
        super().__init__(
            text(
                f"Check-in for Session {number} is open from ",
                Time(opens_at),
                " to ",
                Time(closes_at),
                ". If you attended but missed it, ask a facilitator to mark you as present.",
            )
        )
        self.opens_at = opens_at
        self.closes_at = closes_at


class QuestionSetError(ValidationError):
    """A question set is not valid; problems lists each issue."""

    def __init__(self, problems: Sequence[str], headline: str = "That question set was not saved:") -> None:
        super().__init__(f"{headline} {problems[0]}" if len(problems) == 1 else headline, list(problems))


class QuestionSetNotFoundError(NotFoundError):
    """No question set with that name."""

    def __init__(self, name: str, available: Sequence[str]) -> None:
        super().__init__(
            f'There is no question set called "{name[:45]}". Available: {", ".join(available)}.'
            if available
            else f'There is no question set called "{name[:45]}".'
        )


class DuplicateQuestionSetError(ConflictError):
    """A question set with that name exists."""

    def __init__(self, name: str) -> None:
        super().__init__(f'A question set called "{name}" already exists. Choose another name, or edit that one.')


class QuestionSetInUseError(ConflictError):
    """The questions of a session cannot change once people have answered them."""

    def __init__(self, number: int) -> None:
        super().__init__(
            f"People have already reflected on Session {number}, so its questions can no longer change "
            "(their answers would no longer match)."
        )


class AttendanceImportError(ValidationError):
    """The attendance file has problems; nothing was imported. problems lists each, with its line number."""

    def __init__(self, issues: Sequence[ImportProblem], headline: str | None = None) -> None:
        count = len(issues)
        default = (
            f"Nothing was imported: {count} row{'s' if count != 1 else ''} could not be matched to exactly one "
            "member. Fix the names (or mark those people by hand) and import the file again."
        )
        super().__init__(headline or default, [str(p) for p in issues])
        self.issues = tuple(issues)
