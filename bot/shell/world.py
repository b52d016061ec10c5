"""The simulated server of `blether shell`: its channels, roles, members and clock, kept in the database.

Everyone is simulated. The facilitator ("facilitator") has the Facilitator role and Manage Events, as a
facilitator on Discord would; anyone else addressed with `as NAME` becomes a member with the Participant
role. The world (with the simulated time) is stored as one JSON value in bot_state, so a later
`blether shell` on the same database carries on where the last one stopped.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.core.actors import Actor
from bot.core.clock import ManualClock
from bot.core.errors import DomainError
from bot.core.programme.domain import ChannelKind
from bot.core.programme.repository import SqlProgrammeRepository
from bot.core.storage.database import Database
from bot.core.storage.state import SqlStateRepository

STATE_KEY = "shell:world"
GUILD_ID = 1
FACILITATOR = "facilitator"
FACILITATOR_ROLE = "Facilitator"
PARTICIPANT_ROLE = "Participant"
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,31}$")
DM_CHANNEL_BASE = 900_000

DEFAULT_CHANNELS = (
    ("general", ChannelKind.TEXT),
    ("announcements", ChannelKind.TEXT),
    ("reflections", ChannelKind.TEXT),
    ("flash-reports", ChannelKind.TEXT),
    ("facilitators", ChannelKind.TEXT),
    ("sessions", ChannelKind.VOICE),
    ("stage", ChannelKind.STAGE),
)


class NotAShellDatabaseError(Exception):
    """The database holds a real server's programme: the shell would send its deliveries to the terminal."""


class WorldError(DomainError):
    """A name the shell's world does not know (a member, channel or role)."""


@dataclass
class Member:
    """A simulated member of the server."""

    name: str
    id: int
    facilitator: bool = False
    left: bool = False  # left the server (`leave`); back with `rejoin`


@dataclass
class Channel:
    """A channel of the simulated server."""

    name: str
    id: int
    kind: ChannelKind


@dataclass
class World:
    """The simulated server, its people and the simulated clock."""

    clock: ManualClock
    members: dict[str, Member] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    roles: dict[str, int] = field(default_factory=dict)
    next_id: int = 1000
    guild_id: int = GUILD_ID

    @classmethod
    def new(cls, start: datetime) -> "World":
        """Return a fresh server: the default channels and roles, and the facilitator."""
        world = cls(clock=ManualClock(start))
        world.roles = {FACILITATOR_ROLE: 201, PARTICIPANT_ROLE: 202}
        for number, (name, kind) in enumerate(DEFAULT_CHANNELS):
            world.channels[name] = Channel(name, 101 + number, kind)
        world.members[FACILITATOR] = Member(FACILITATOR, world.new_id(), facilitator=True)
        return world

    def new_id(self) -> int:
        """Return a fresh id (users and messages; unique across runs on this database)."""
        self.next_id += 1
        return self.next_id

    # -- members ---------------------------------------------------------------------------------

    def person(self, name: str) -> Member:
        """Return the member called name, adding them (as a participant) the first time they are addressed."""
        name = name.lstrip("@")
        found = self.members.get(name.lower())
        if found is not None:
            return found
        if not NAME.match(name):
            raise WorldError(
                f"{name!r} is not a name the shell can use: a letter, then letters, digits, '.', '_' or '-'."
            )
        member = Member(name, self.new_id())
        self.members[name.lower()] = member
        return member

    def member(self, reference: str) -> Member:
        """Return an existing member by @name or name (no one new is added)."""
        found = self.members.get(reference.lstrip("@").lower())
        if found is None:
            known = ", ".join(sorted("@" + m.name for m in self.members.values()))
            raise WorldError(
                f"No member called {reference} here (members: {known}). Address someone new with `as NAME`."
            )
        return found

    def actor(self, member: Member) -> Actor:
        """Return the Actor for a member as the Discord adapter would build it (roles and permissions now)."""
        role = self.roles[FACILITATOR_ROLE if member.facilitator else PARTICIPANT_ROLE]
        return Actor(
            guild_id=self.guild_id,
            user_id=member.id,
            display_name=member.name,
            role_ids=frozenset({role}),
            can_manage_events=member.facilitator,
        )

    # -- channels and roles ----------------------------------------------------------------------

    def channel(self, reference: str, kinds: tuple[ChannelKind, ...] = ()) -> Channel:
        """Return a channel by #name or name, checking its kind when kinds are given."""
        name = reference.strip().lstrip("#").lower()
        found = self.channels.get(name)
        if found is None:
            known = ", ".join("#" + c.name for c in self.channels.values())
            raise WorldError(f"No channel called #{name} here (channels: {known}). Add one with `channel add NAME`.")
        if kinds and found.kind not in kinds:
            wanted = " or ".join(k.value for k in kinds)
            raise WorldError(f"#{found.name} is a {found.kind.value} channel; pick a {wanted} channel.")
        return found

    def add_channel(self, name: str, kind: ChannelKind) -> Channel:
        """Add a channel (names are lower case, as on Discord)."""
        name = name.strip().lstrip("#").lower()
        if not NAME.match(name):
            raise WorldError(f"#{name} is not a channel name the shell can use.")
        if name in self.channels:
            raise WorldError(f"There already is a channel called #{name}.")
        channel = Channel(name, self.new_id(), kind)
        self.channels[name] = channel
        return channel

    def role(self, reference: str) -> int:
        """Return a role's id by @Name or Name."""
        name = reference.strip().lstrip("@").lower()
        for role_name, role_id in self.roles.items():
            if role_name.lower() == name:
                return role_id
        known = ", ".join("@" + r for r in self.roles)
        raise WorldError(f"No role called @{reference.lstrip('@')} here (roles: {known}).")

    # -- names for the renderer (implements bot.shell.render.Names) ------------------------------

    def user_name(self, user_id: int) -> str:
        """Return a member's name by id."""
        return next((m.name for m in self.members.values() if m.id == user_id), f"user-{user_id}")

    def role_name(self, role_id: int) -> str:
        """Return a role's name by id."""
        return next((name for name, rid in self.roles.items() if rid == role_id), f"role-{role_id}")

    def channel_name(self, channel_id: int) -> str:
        """Return a channel's name by id."""
        if channel_id > DM_CHANNEL_BASE:
            return f"dm-{self.user_name(channel_id - DM_CHANNEL_BASE)}"
        return next((c.name for c in self.channels.values() if c.id == channel_id), f"channel-{channel_id}")

    def channel_by_id(self, channel_id: int) -> Channel | None:
        """Return the channel with this id, if the server has it."""
        return next((c for c in self.channels.values() if c.id == channel_id), None)

    # -- storage -----------------------------------------------------------------------------------

    def to_json(self) -> str:
        """Serialise the world (and the simulated time)."""
        return json.dumps(
            {
                "clock": self.clock.now().isoformat(),
                "members": [[m.name, m.id, m.facilitator, m.left] for m in self.members.values()],
                "channels": [[c.name, c.id, c.kind.value] for c in self.channels.values()],
                "roles": self.roles,
                "next_id": self.next_id,
            }
        )

    @classmethod
    def from_json(cls, value: str) -> "World":
        """Read a world stored by to_json."""
        data = json.loads(value)
        world = cls(
            clock=ManualClock(datetime.fromisoformat(data["clock"]).astimezone(UTC)),
            roles={str(k): int(v) for k, v in data["roles"].items()},
            next_id=int(data["next_id"]),
        )
        world.members = {
            str(m[0]).lower(): Member(str(m[0]), int(m[1]), bool(m[2]), bool(m[3]) if len(m) > 3 else False)
            for m in data["members"]
        }
        world.channels = {str(n): Channel(str(n), int(i), ChannelKind(k)) for n, i, k in data["channels"]}
        return world


async def check_shell_database(database: Database) -> None:
    """Refuse a database that holds any other server's programme (a bot's), whose deliveries the shell would take."""
    async with database.unit_of_work() as uow:
        others = [g for g in await uow.repo(SqlProgrammeRepository).guild_ids() if g != GUILD_ID]
    if others:
        raise NotAShellDatabaseError(
            f"{database.describe()} holds the programme of a Discord server ({len(others)} in all): the shell would "
            "take over its reminders. Give the shell a file of its own, e.g. --db blether-shell.db."
        )


async def load_world(database: Database, start: datetime) -> tuple[World, bool]:
    """Return the stored world, or a new one starting at start; the flag tells whether it is new."""
    async with database.unit_of_work() as uow:
        stored = await uow.repo(SqlStateRepository).get(STATE_KEY)
    if stored is None:
        return World.new(start), True
    return World.from_json(stored), False


async def save_world(database: Database, world: World) -> None:
    """Store the world (called after every command)."""
    async with database.unit_of_work() as uow:
        await uow.repo(SqlStateRepository).set(STATE_KEY, world.to_json(), now=world.clock.now())
        await uow.commit()


class ShellChannelDirectory:
    """Tell the core what kind of channel an id is (implements programme.domain.ChannelDirectory)."""

    def __init__(self, world: World) -> None:
        self._world = world

    async def channel_kind(self, guild_id: int, channel_id: int) -> ChannelKind | None:
        """Return text, voice or stage; None when the simulated server has no such channel."""
        if guild_id != self._world.guild_id:
            return None
        channel = self._world.channel_by_id(channel_id)
        return channel.kind if channel is not None else None
