"""Errors of the small-group feature; every message is safe to show the person who asked."""

from bot.core.errors import ClosedError, ConflictError, NotConfiguredError, NotFoundError, PermissionDeniedError
from bot.core.errors import ValidationError as _ValidationError
from bot.core.groups.assignment import MAX_SIZE, MIN_SIZE


class GroupSizeError(_ValidationError):
    """A group size outside 3–12."""

    def __init__(self, size: int) -> None:
        super().__init__(f"Groups have {MIN_SIZE} to {MAX_SIZE} people; you asked for {size}.")


class TooFewPeopleError(_ValidationError):
    """Fewer than two people to put in groups."""

    def __init__(self, session_number: int, count: int, source: str) -> None:
        who = {"rsvp": 'said "I\'ll be there"', "attended": "attended", "participants": "have joined"}[source]
        super().__init__(
            f"Only {count} {'person' if count == 1 else 'people'} {who} for Session {session_number}; "
            "groups need at least 2. Try another from: option."
        )


class GroupsChannelMissingError(NotConfiguredError):
    """No groups channel is set."""

    def __init__(self) -> None:
        super().__init__(
            "No groups channel is set, so group threads have nowhere to go. Choose a text channel with "
            "/programme setup groups_channel: (Blether needs Create Private Threads, Send Messages in Threads "
            "and Manage Threads there)."
        )


class ProposalNotFoundError(NotFoundError):
    """A proposal id that does not exist (or belongs to another server)."""

    def __init__(self) -> None:
        super().__init__("Those proposed groups no longer exist. Run /groups make again.")


class ProposalClosedError(ClosedError):
    """A proposal already created or cancelled."""

    def __init__(self, status: str) -> None:
        super().__init__(f"Those proposed groups were already {status}. See /groups show.")


class GroupsExistError(ConflictError):
    """The session already has groups."""

    def __init__(self, session_number: int) -> None:
        super().__init__(
            f"Session {session_number} already has groups. See them with /groups show, or remove them with "
            "/groups dissolve before making new ones."
        )


class NoGroupsError(NotFoundError):
    """The session has no groups yet."""

    def __init__(self, session_number: int) -> None:
        super().__init__(f"Session {session_number} has no groups yet.")


class GroupNotFoundError(NotFoundError):
    """A group number the session does not have."""

    def __init__(self, session_number: int, number: int, count: int) -> None:
        super().__init__(f"Session {session_number} has groups 1 to {count}; there is no group {number}.")


class NotAParticipantError(PermissionDeniedError):
    """Someone who has not joined the programme asked to join a group."""

    def __init__(self) -> None:
        super().__init__('Join the programme first (/join), then press "Join a group" again.')


class NotTheirGroupError(PermissionDeniedError):
    """A peer coach acting on a group they do not coach (or someone who is not a coach)."""

    def __init__(self) -> None:
        super().__init__(
            "Only facilitators, or the peer coach of a group, can do that — and coaches only for their own group."
        )


class NudgedTodayError(ConflictError):
    """A coach's group was already nudged today."""

    def __init__(self, group_number: int) -> None:
        super().__init__(f"Group {group_number} was already nudged today; you can nudge it again tomorrow.")


class SessionEndedError(ClosedError):
    """Groups cannot be made or joined once a session is over (or cancelled)."""

    def __init__(self, session_number: int, why: str = "is over") -> None:
        super().__init__(f"Session {session_number} {why}; its groups can no longer change.")


class NotInConnectionError(PermissionDeniedError):
    """Someone answering for an introduction they are not part of."""

    def __init__(self) -> None:
        super().__init__("Only the people introduced to each other can answer this.")
