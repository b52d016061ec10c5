"""Errors of the questionnaires feature; every message is safe to show and says what to do next."""

from collections.abc import Sequence
from datetime import datetime

from bot.core.errors import ClosedError, ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from bot.core.messages import Time, TimeStyle, text


class QuestionnaireNotFoundError(NotFoundError):
    """No questionnaire with that name or id in this server."""

    def __init__(self, name: str = "") -> None:
        named = f' called "{name[:60]}"' if name else ""
        super().__init__(f"There is no questionnaire{named} in this server. See them with /questionnaire status.")


class QuestionnaireExistsError(ConflictError):
    """A questionnaire with that name exists already."""

    def __init__(self, name: str) -> None:
        super().__init__(f'There is already a questionnaire called "{name[:60]}". Choose another name.')


class QuestionnaireClosedError(ClosedError):
    """The questionnaire has closed: nothing is stored."""

    def __init__(self, name: str, closed_at: datetime | None) -> None:
        when = text(" on ", Time(closed_at)) if closed_at else text()
        super().__init__(
            text(f'The questionnaire "{name[:60]}" closed', when, ", so nothing was saved. Thank you all the same.")
        )


class QuestionnaireNotOpenError(ClosedError):
    """The questionnaire has not opened yet."""

    def __init__(self, name: str, opens_at: datetime | None) -> None:
        when = text(" It opens ", Time(opens_at, TimeStyle.RELATIVE), ".") if opens_at else text()
        super().__init__(text(f'The questionnaire "{name[:60]}" is not open yet.', when))


class QuestionnaireStateError(ConflictError):
    """A facilitator action does not fit the questionnaire's state (open an open one, close a draft …)."""


class WrongAudienceError(PermissionDeniedError):
    """The questionnaire is for the other audience (participants vs facilitators)."""

    def __init__(self, audience: str) -> None:
        who = "facilitators, peer coaches and speakers" if audience == "facilitator" else "participants"
        super().__init__(f"This questionnaire is for {who}, so it is not offered to you. Nothing was saved.")


class ItemError(ValidationError):
    """An item could not be added or changed (unknown kind, too long, no choices, too many items)."""


class TamperedPageError(ValidationError):
    """The submitted page does not fit the questionnaire (page number, field ids, values out of range)."""

    def __init__(self, problems: Sequence[str] = ()) -> None:
        super().__init__(
            "Those answers don't match this questionnaire page, so nothing was saved. Press Start on the "
            "questionnaire post to carry on where you left off.",
            list(problems),
        )


class StaleVersionError(ConflictError):
    """The questions changed after the page was opened."""

    def __init__(self) -> None:
        super().__init__(
            "The questions changed since you opened this page, so nothing on it was saved (your earlier pages "
            "are safe). Press Start on the questionnaire post to carry on."
        )
