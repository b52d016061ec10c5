"""Errors of the Flash Report feature; every message is safe to show and says how to put things right."""

from datetime import datetime

from bot.core.errors import ClosedError, ConflictError, NotConfiguredError, NotFoundError, ValidationError
from bot.core.messages import Time, TimeStyle, text

# Shared with the programme feature ("The title is 180 characters long; the limit is 150…"); re-exported here.
from bot.core.programme.errors import MissingValueError as MissingValueError
from bot.core.programme.errors import TextTooLongError as TextTooLongError


class InvalidUrlError(ValidationError):
    """A shared link is not a usable http(s) address; the message says why."""


class InvalidTagError(ValidationError):
    """A tag is not in the allowed form."""

    def __init__(self, tag: str, hint: str = "") -> None:
        shown = tag if len(tag) <= 40 else tag[:39] + "…"
        extra = f" {hint}" if hint else ""
        super().__init__(
            f'"{shown}" is not a tag I can use. Tags are lowercase letters, digits and hyphens, '
            f"at most 24 characters (for example mental-health); separate several with commas.{extra}"
        )
        self.tag = tag


class TooManyTagsError(ValidationError):
    """More tags than one item may carry."""

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"You gave {count} tags; an item can have at most {limit}. Keep the most useful ones.")


class DuplicateResourceError(ConflictError):
    """The link was shared before in this server."""

    def __init__(self, url: str, first_sharer: str, shared_at: datetime, issue_number: int | None) -> None:
        where = (
            f" and it appeared in Flash Report #{issue_number}"
            if issue_number is not None
            else " — it is already on the list for the next Flash Report"
        )
        super().__init__(
            text(
                f"That link was already shared by {first_sharer} on ",
                Time(shared_at, TimeStyle.SHORT),
                " (",
                Time(shared_at, TimeStyle.RELATIVE),
                f"){where}. Thank you all the same!",
            )
        )
        self.url = url
        self.first_sharer = first_sharer
        self.shared_at = shared_at
        self.issue_number = issue_number


class InvalidCadenceError(ValidationError):
    """A publication schedule could not be read."""

    def __init__(self, text: str, detail: str = "") -> None:
        shown = text if len(text) <= 80 else text[:79] + "…"
        extra = f" {detail}" if detail else ""
        super().__init__(
            f'I could not read the schedule "{shown}".{extra} Try "first Monday of the month at 09:00", '
            '"last Friday of the month at 16:00", "day 1 of the month at 09:00" or "every Monday at 09:00".'
        )


class InvalidLeadTimeError(ValidationError):
    """The draft lead time is out of range."""

    def __init__(self, hours: int, low: int, high: int) -> None:
        super().__init__(
            f"The draft can go to facilitators between {low} and {high} hours before publication; "
            f"{hours} is outside that range."
        )


class InvalidExportFormatError(ValidationError):
    """An export format other than Markdown or HTML."""

    def __init__(self, fmt: str) -> None:
        super().__init__(f'"{fmt[:20]}" is not an export format; use md (Markdown) or html.')


class ItemNotFoundError(NotFoundError):
    """No collected item with that id in this server."""

    def __init__(self, item_id: int) -> None:
        super().__init__(f"There is no Flash Report item #{item_id} in this server. /flash items lists them.")


class IssueNotFoundError(NotFoundError):
    """No such issue in this server."""

    def __init__(self, what: str = "that Flash Report") -> None:
        super().__init__(f"I could not find {what}. /flash archive lists the published issues.")


class NothingPublishedError(NotFoundError):
    """No issue has been published yet."""

    def __init__(self) -> None:
        super().__init__("No Flash Report has been published here yet. Share a resource with /share to start one!")


class ItemAlreadyPublishedError(ClosedError):
    """The item belongs to an issue that is already out."""

    def __init__(self, item_id: int, issue_number: int | None) -> None:
        where = f"Flash Report #{issue_number}" if issue_number is not None else "an earlier Flash Report"
        super().__init__(
            f"Item #{item_id} is part of {where}, which has gone out; published issues are not rewritten. "
            "Share a corrected version for the next issue instead."
        )


class IssueNotDraftError(ClosedError):
    """The issue is being published or already out, so it cannot change."""

    def __init__(self, number: int, published_at: datetime | None) -> None:
        when = text(" on ", Time(published_at, TimeStyle.SHORT)) if published_at is not None else text()
        super().__init__(text(f"Flash Report #{number} is already published", when, " (or going out right now)."))


class StoryNotEditableError(ValidationError):
    """Facilitators may include or exclude a story, but not change someone's own words."""

    def __init__(self, item_id: int) -> None:
        super().__init__(
            f"Item #{item_id} is a story of change in the participant's own words: you can include or exclude it, "
            "but not edit it."
        )


class NotScheduledError(NotConfiguredError):
    """There is no cadence, so there is nothing to skip."""

    def __init__(self) -> None:
        super().__init__(
            "Flash Reports have no schedule yet, so there is no date to skip. Set one with /flash schedule "
            '(for example "first Monday of the month at 09:00"), or publish by hand with /flash publish.'
        )


class FlashChannelMissingError(NotConfiguredError):
    """The programme has no channel for this post."""

    def __init__(self, which: str) -> None:
        super().__init__(f"No {which} channel is set. A facilitator can choose one with /programme setup.")


class DailyLimitError(ConflictError):
    """A person reached the server's per-person daily limit; nothing of this request was stored."""

    def __init__(self, limit: int, timezone: str, resets_at: datetime) -> None:
        things = "item" if limit == 1 else "items"
        super().__init__(
            text(
                f"Thank you for sharing so much! You have added {limit} {things} to the Flash Report today, which is "
                "as many as one person can add in a day here, so this one was not saved. The count starts again at "
                f"midnight {timezone} time, ",
                Time(resets_at, TimeStyle.TIME),
                " (",
                Time(resets_at, TimeStyle.RELATIVE),
                "); shares, stories and nominated messages count together.",
            )
        )
        self.limit = limit
        self.timezone = timezone
        self.resets_at = resets_at


class InvalidLimitError(ValidationError):
    """A flood limit outside its allowed range."""

    def __init__(self, what: str, value: object, low: int, high: int) -> None:
        shown = str(value)[:20]
        super().__init__(f"{what} must be a whole number from {low} to {high}; {shown} is outside that range.")


class PageChangedError(ConflictError):
    """A page button refers to more items than a page holds (a stale or forged button); nothing changed."""

    def __init__(self) -> None:
        super().__init__(
            "That page of /flash items has changed since it was shown. Nothing was changed; run /flash items again."
        )
