"""A loopback fake Discord (REST + gateway) that the real, unmodified discord.py client connects to."""

from .driver import FakeDiscord, FakeDiscordTimeout, Handles
from .faults import FakeStats, Fault
from .interactions import InteractionHandle
from .state import (
    ApplicationCommand,
    Attachment,
    CallbackRecord,
    Channel,
    InteractionRecord,
    Member,
    Message,
    MessageEdit,
    RecordedFile,
    RecordedRequest,
    Role,
    ScheduledEvent,
    User,
    VoiceState,
)
from .validate import SPEC_UNAVAILABLE, SpecResult, Violation, check_limits, check_no_pings, validate_request

__all__ = [
    "SPEC_UNAVAILABLE",
    "ApplicationCommand",
    "Attachment",
    "CallbackRecord",
    "Channel",
    "FakeDiscord",
    "FakeDiscordTimeout",
    "FakeStats",
    "Fault",
    "Handles",
    "InteractionHandle",
    "InteractionRecord",
    "Member",
    "Message",
    "MessageEdit",
    "RecordedFile",
    "RecordedRequest",
    "Role",
    "ScheduledEvent",
    "SpecResult",
    "User",
    "Violation",
    "VoiceState",
    "check_limits",
    "check_no_pings",
    "validate_request",
]
