"""Small-group domain: how groups are mixed, who they are made from, proposals and the groups themselves."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.core.programme.domain import Session

DEFAULT_SIZE = 6


class Mix(StrEnum):
    """What the assignment keeps apart first: communities (default), area groups or roles."""

    COMMUNITY = "community"
    AREA = "area"
    ROLE = "role"


class Source(StrEnum):
    """Who groups are made from: those who said "I'll be there", every participant, or those who attended."""

    RSVP = "rsvp"
    PARTICIPANTS = "participants"
    ATTENDED = "attended"


class ProposalStatus(StrEnum):
    """Where a proposal is: waiting for Create, created, or cancelled."""

    OPEN = "open"
    CREATED = "created"
    CANCELLED = "cancelled"


class MemberHow(StrEnum):
    """How someone came to be in a group."""

    PROPOSAL = "proposal"
    LATE = "late"
    MOVED = "moved"


@dataclass(frozen=True, slots=True)
class ProposedGroup:
    """One group of a proposal: its number (from 1), member user ids and coach."""

    number: int
    members: tuple[int, ...]
    coach_id: int | None = None


@dataclass(frozen=True, slots=True)
class Proposal:
    """Groups proposed for a session, with what the mix achieved (for the facilitator to judge)."""

    id: int
    guild_id: int
    session_id: int
    size: int
    mix: Mix
    source: Source
    seed: int
    groups: tuple[ProposedGroup, ...]
    cost: int
    status: ProposalStatus
    created_by: int | None = None

    @property
    def people(self) -> int:
        """Return how many members the groups hold (coaches not counted)."""
        return sum(len(g.members) for g in self.groups)


@dataclass(frozen=True, slots=True)
class ProposalView:
    """A proposal with its session and the mix figures shown beside it."""

    proposal: Proposal
    session: Session
    groups_with_same_community_pair: int
    repeat_pairs: int
    coaches: int


@dataclass(frozen=True, slots=True)
class Group:
    """A small group of a session: members, coach and (once created) its private thread."""

    id: int
    guild_id: int
    session_id: int
    number: int
    coach_id: int | None
    channel_id: int | None
    thread_id: int | None
    members: tuple[int, ...]
    created_at: datetime
    voice_channel_id: int | None = None

    def includes(self, user_id: int) -> bool:
        """Tell whether user_id is a member or the coach of the group."""
        return user_id in self.members or user_id == self.coach_id


@dataclass(frozen=True, slots=True)
class SessionGroups:
    """The groups of a session as /groups show lists them."""

    session: Session
    groups: tuple[Group, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class JoinResult:
    """Where a late joiner was placed (already True when they were in a group before)."""

    session: Session
    group: Group
    already: bool


@dataclass(frozen=True, slots=True)
class MoveResult:
    """A member moved between groups (from_number None when they were in no group)."""

    session: Session
    user_id: int
    from_number: int | None
    to_number: int


@dataclass(frozen=True, slots=True)
class GroupCounts:
    """What a peer coach may see of a group: members, and how many attended and reflected (no answers)."""

    group: Group
    attended: frozenset[int]
    reflected_count: int


@dataclass(frozen=True, slots=True)
class CoachView:
    """A coach's own groups in a session, with attendance and reflection counts."""

    session: Session
    groups: tuple[GroupCounts, ...]


class MeetAnswer(StrEnum):
    """An answer to "Did you meet?"."""

    YES = "yes"
    NOT_YET = "not_yet"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class Connection:
    """One introduction: two (or three) people from different communities, their thread and answers so far."""

    id: int
    guild_id: int
    round_at: datetime
    members: tuple[int, ...]
    thread_id: int | None
    asked_at: datetime | None
    answers: tuple[tuple[int, MeetAnswer], ...] = ()

    def answer_of(self, user_id: int) -> MeetAnswer | None:
        """Return someone's answer, if they gave one."""
        return next((a for u, a in self.answers if u == user_id), None)


@dataclass(frozen=True, slots=True)
class ConnectPreference:
    """Someone's connections choice: taking part, paused (after two ignored introductions)."""

    opted_in: bool
    paused: bool
    ignored_in_row: int


@dataclass(frozen=True, slots=True)
class RoundResult:
    """What a round of connections did: the introductions made and who was paused."""

    connections: tuple[Connection, ...]
    paused: tuple[int, ...]
