"""Flash Report domain values: collected items, issues, and what the service returns."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from bot.core.flash.content import Snapshot
from bot.core.messages import Embed, OutboundMessage, Text

TITLE_LIMIT = 150
NOTE_LIMIT = 500
STORY_LIMIT = 1000
INTRO_LIMIT = 1000
EXCERPT_LIMIT = 200
NAME_LIMIT = 100
JUMP_URL_LIMIT = 300
DEFAULT_LEAD = timedelta(days=2)
MIN_LEAD_HOURS = 1
MAX_LEAD_HOURS = 14 * 24
PUBLISH_GRACE = timedelta(days=3)
"""How late a scheduled publication may still go out (e.g. after the bot was offline)."""
PAGE_SIZE = 10
MAX_ITEM_ID = 2**31 - 1
"""Item and issue ids are 32-bit on PostgreSQL; a larger id (typed or forged) names nothing."""
DEFAULT_PER_PERSON_PER_DAY = 10
"""How many items (shares, stories and nominations together) one person may add per day, unless changed."""
MIN_PER_PERSON_PER_DAY = 1
MAX_PER_PERSON_PER_DAY = 100
DEFAULT_ISSUE_SIZE = 40
"""How many items a published issue shows in Discord; the rest are listed by /flash archive issue:<number>."""
MIN_ISSUE_SIZE = 5
MAX_ISSUE_SIZE = 200

DEFAULT_INTRO = (
    "Welcome to this month's Flash Report: a look back at our last session, what is coming up next, and the "
    "tools, resources and stories of change people have shared. Dip into whatever helps your own learning."
)


class ItemKind(StrEnum):
    """What kind of thing was collected."""

    RESOURCE = "resource"
    NOMINATION = "nomination"
    STORY = "story"


class ItemState(StrEnum):
    """Whether an item goes into the next issue.

    Items start included. Excluded items are left out (and consumed by the next issue). Held items belong to
    someone who left the server: they wait, unpublished and not consumed, until a facilitator includes or
    excludes them.
    """

    INCLUDED = "included"
    EXCLUDED = "excluded"
    HELD = "held"


class IssueStatus(StrEnum):
    """Where an issue is: collecting (draft), frozen and going out (publishing), or out (published)."""

    DRAFT = "draft"
    PUBLISHING = "publishing"
    PUBLISHED = "published"


@dataclass(frozen=True, slots=True)
class FlashItem:
    """A collected item as stored (text is tidy but not escaped; renderers escape for their medium).

    body is a resource's or nomination's note, a nomination's excerpt lives in excerpt, a story's words
    in body. author_id is whoever the words belong to: the sharer, the nominated message's author, or
    the story's author. restricted: a nomination from a channel not everyone in the programme can see, which
    waits for its author's quote consent.
    """

    id: int
    guild_id: int
    kind: ItemKind
    state: ItemState
    url: str | None
    title: str
    body: str
    excerpt: str
    tags: tuple[str, ...]
    author_id: int | None
    author_name: str
    nominated_by_id: int | None
    source_channel_id: int | None
    source_message_id: int | None
    jump_url: str | None
    credit_by_name: bool
    issue_id: int | None
    created_at: datetime
    updated_at: datetime
    restricted: bool = False

    @property
    def label(self) -> str:
        """Return a short plain name for lists: the title, else the link's site, else the start of the text."""
        if self.title:
            return self.title
        if self.url:
            return urlsplit(self.url).hostname or self.url
        text = self.excerpt or self.body
        return text[:60] + ("…" if len(text) > 60 else "") if text else f"item #{self.id}"


@dataclass(frozen=True, slots=True)
class MessageRef:
    """A chat message someone wants in the Flash Report, as the adapter saw it.

    viewer_role_ids: the roles that can see the message's channel (the @everyone role's id is the server's id);
    None when the adapter could not tell, which counts as restricted.
    """

    guild_id: int
    channel_id: int
    message_id: int
    jump_url: str
    author_id: int
    author_name: str
    content: str
    viewer_role_ids: frozenset[int] | None = None

    def is_restricted(self, participant_role_id: int | None) -> bool:
        """Tell whether the author could expect few to read it: neither @everyone nor the participant role can
        see its channel (or nobody could tell)."""
        if self.viewer_role_ids is None:
            return True
        if self.guild_id in self.viewer_role_ids:
            return False
        return participant_role_id is None or participant_role_id not in self.viewer_role_ids


@dataclass(frozen=True, slots=True)
class Issue:
    """One Flash Report issue (without its snapshot)."""

    id: int
    guild_id: int
    number: int
    status: IssueStatus
    intro: str | None
    scheduled_for: datetime | None
    period_start: datetime | None
    published_at: datetime | None
    channel_id: int | None
    message_ids: tuple[int, ...]
    publisher_key: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def intro_text(self) -> str:
        """Return the intro to show: the facilitators' own, or the default."""
        return self.intro or DEFAULT_INTRO

    @property
    def title(self) -> str:
        """Return the issue's name."""
        return f"Flash Report #{self.number}"


@dataclass(frozen=True, slots=True)
class ShareResult:
    """A shared resource and how it will look in the next issue."""

    item: FlashItem
    preview: Embed


@dataclass(frozen=True, slots=True)
class NominationResult:
    """A nominated message; created is False when it had been nominated before (one item either way)."""

    item: FlashItem
    created: bool


@dataclass(frozen=True, slots=True)
class StoryResult:
    """A story of change; will_appear tells whether its author's quote consent lets it be published."""

    item: FlashItem
    will_appear: bool


@dataclass(frozen=True, slots=True)
class ItemsPage:
    """One page of what is collected for the next issue.

    unquotable_ids: stories that will not appear, and nominations whose excerpt will not be shown,
    because their author has not agreed to be quoted.
    """

    items: tuple[FlashItem, ...]
    page: int
    pages: int
    total: int
    unquotable_ids: frozenset[int] = frozenset()
    kind: ItemKind | None = None
    held: int = 0
    """How many items (on every page) are held because their author left the server."""


@dataclass(frozen=True, slots=True)
class BulkResult:
    """What a bulk include/exclude did: how many items changed, and the page to show afterwards (if any)."""

    state: ItemState
    changed: int
    page: ItemsPage | None = None


@dataclass(frozen=True, slots=True)
class FlashLimits:
    """A server's flood limits as they apply now (is_default_* tells whether facilitators left the default)."""

    per_person_per_day: int
    issue_size: int
    timezone: str
    is_default_per_person: bool = True
    is_default_issue_size: bool = True


@dataclass(frozen=True, slots=True)
class ScheduleResult:
    """The cadence as understood, and when the next issue's draft and publication happen."""

    cadence: str
    timezone: str
    issue: Issue
    draft_at: datetime
    publish_at: datetime
    following: tuple[datetime, ...]


@dataclass(frozen=True, slots=True)
class DraftPreview:
    """The next issue as it would look now, with the draft buttons on its last message."""

    issue: Issue
    messages: tuple[OutboundMessage, ...]


class PublishOutcome(StrEnum):
    """What "publish now" did."""

    STARTED = "started"
    """The issue goes out within moments (its publication delivery is due now)."""
    ALREADY_GOING_OUT = "already_going_out"
    """A publication of this issue is already under way; nothing new was started."""
    ALREADY_PUBLISHED = "already_published"
    """The issue is out; nothing was posted again."""
    RESUMED = "resumed"
    """An earlier publication stopped part-way (e.g. a missing permission); the missing parts go out now."""


@dataclass(frozen=True, slots=True)
class PublishRequest:
    """The answer to "publish now"."""

    issue: Issue
    outcome: PublishOutcome


@dataclass(frozen=True, slots=True)
class PublishedIssue:
    """An issue that has gone out, with its frozen snapshot (content and messages)."""

    issue: Issue
    snapshot: Snapshot


@dataclass(frozen=True, slots=True)
class SkipResult:
    """The issue moved to the next date of the cadence."""

    issue: Issue
    skipped_date: datetime
    next_date: datetime


@dataclass(frozen=True, slots=True)
class IssueSummary:
    """A published issue in the archive."""

    id: int
    number: int
    published_at: datetime
    channel_id: int | None
    message_ids: tuple[int, ...]
    resources: int
    nominations: int
    stories: int
    removals: int
    archive_only: int = 0
    """Entries that did not fit the posted messages (the issue size cap): listed by /flash archive issue:."""


@dataclass(frozen=True, slots=True)
class ArchivePage:
    """One page of published issues, newest first."""

    issues: tuple[IssueSummary, ...]
    page: int
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class IssueArchivePage:
    """One page of what a published issue holds beyond its posted messages (the issue size cap).

    text is rich text whose markup size fits an embed description (4,096 characters); it is empty when everything
    was posted.
    """

    issue: Issue
    text: Text
    page: int
    pages: int
    archive_only: int
    posted: int


@dataclass(frozen=True, slots=True)
class ErasureResult:
    """What erase_user did: items deleted before publication, and published issues marked and amended."""

    items_removed: int
    snapshot_items_removed: int
    issues_marked: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class FlashRecord:
    """A collected item as the evaluation exports it (text as stored, not escaped).

    note is a resource's or nomination's note; text is a story's words; issue_number is the Flash Report the
    item went out with (None while it waits, or if it was left out before any issue).
    """

    id: int
    kind: ItemKind
    author_id: int | None
    author_name: str
    nominated_by_id: int | None
    url: str | None
    title: str
    note: str
    text: str
    excerpt: str
    tags: tuple[str, ...]
    jump_url: str | None
    credit_by_name: bool
    included: bool
    issue_number: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class FlashRedaction:
    """What a retention sweep removed from the Flash Report: texts of items, and published issues changed."""

    resource_notes: int = 0
    stories: int = 0
    nominations: int = 0
    issues: int = 0
    issue_ids: tuple[int, ...] = ()
    """The published issues whose snapshot changed (their posted messages are to be amended)."""
