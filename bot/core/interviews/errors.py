"""Errors of the interviews feature; every message is safe to show."""

from bot.core.errors import NotFoundError, ValidationError


class NoCandidatesError(NotFoundError):
    """Nobody can be proposed (no one agreed to interview contact, or everyone is already on the list)."""

    def __init__(self) -> None:
        super().__init__(
            "Nobody can be proposed: no participant has agreed to be contacted about an interview (or everyone who "
            "did is already on the list). People choose this with /me consent."
        )


class ShortlistError(ValidationError):
    """The shortlist options are not usable."""


class NotInvitedError(NotFoundError):
    """The person answered an invitation they do not have (any more)."""

    def __init__(self) -> None:
        super().__init__("This interview invitation is no longer open. Nothing was changed.")
