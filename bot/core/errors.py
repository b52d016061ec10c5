"""Domain errors: every error a user can hit, with a message that is safe to show them."""

from dataclasses import dataclass

from bot.core.messages import RichText, plain


class DomainError(Exception):
    """Base for errors whose message is safe to show to the user.

    message is rich text (times, mentions and emphasis as data; plain str is literal): each adapter renders
    it, so a time reads in the reader's zone and nothing is escaped here. str(error) is the plain text.
    """

    def __init__(self, message: RichText) -> None:
        super().__init__(plain(message))
        self.message = message

    def __str__(self) -> str:
        return plain(self.message)


class NotFoundError(DomainError):
    """Something the user named does not exist."""


class ValidationError(DomainError):
    """User input was malformed; the message says what and how to fix it."""

    def __init__(self, message: RichText, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class ConflictError(DomainError):
    """The request clashes with something that already exists."""


class PermissionDeniedError(DomainError):
    """The caller is not allowed to do this."""


class NotConfiguredError(DomainError):
    """The programme is missing a setting this action needs."""


class ClosedError(DomainError):
    """The thing the user acted on is no longer open (e.g. a reflection poll that closed)."""


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One problem in an imported file: its line (1-based; 0 for the whole file) and what is wrong."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message
