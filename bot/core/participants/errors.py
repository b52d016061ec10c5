"""Errors of the participants feature; every message is safe to show and says what to do next."""

from collections.abc import Sequence

from bot.core.errors import ConflictError, NotFoundError, ValidationError


class NotRegisteredError(NotFoundError):
    """The person has not joined the programme (or this action needs them to)."""

    def __init__(self, action: str = "do that") -> None:
        super().__init__(
            f"You need to join the programme before you can {action}. Use /join first — it takes a few "
            "seconds, and every question in it is optional."
        )


class InvalidChoiceError(ValidationError):
    """A value is not one of the allowed options."""

    def __init__(self, what: str, given: str, options: Sequence[str]) -> None:
        shown = given.strip()[:60] or "(empty)"
        super().__init__(f'"{shown}" is not a {what} I know. Choose one of: {", ".join(options)}.')
        self.what = what
        self.options = tuple(options)


class TextTooLongError(ValidationError):
    """A piece of text is longer than its limit."""

    def __init__(self, what: str, length: int, limit: int) -> None:
        super().__init__(f"The {what} is {length} characters long; the limit is {limit}. Please shorten it.")
        self.limit = limit


class EmptyTextError(ValidationError):
    """A required piece of text is blank."""

    def __init__(self, what: str) -> None:
        super().__init__(f"The {what} is empty; please write something.")


class ConsentTextChangedError(ConflictError):
    """The person answered a consent text that is no longer the current one."""

    def __init__(self, answered: int, current: int) -> None:
        super().__init__(
            f"The consent text changed while you were reading it (you answered version {answered}; it is now "
            f"version {current}). Nothing was saved — please read the new text and answer again."
        )
        self.answered = answered
        self.current = current


class NothingToRecordError(ValidationError):
    """A consent change named no purpose."""

    def __init__(self) -> None:
        super().__init__("Choose yes or no for at least one of evaluation, quote or interview.")
