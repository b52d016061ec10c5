"""Errors of stories of change; every message is safe to show."""

from bot.core.errors import NotFoundError, ValidationError


class NotAStoryError(NotFoundError):
    """The number names no story of this server."""

    def __init__(self, item_id: int) -> None:
        super().__init__(
            f"Item {item_id} is not a story in this server. Find story numbers with /flash items kind:story."
        )


class HighlightError(ValidationError):
    """The month or the reason cannot be used."""
