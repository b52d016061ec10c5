"""The Matrix bot: a sync loop with its token kept in the database, and the handlers for what people do.

The sync token is stored only after every event of a batch has been handled, so a restart neither replays
a batch it finished nor misses one it had not (a crash mid-batch handles that batch again; handlers are
idempotent: replies reuse the command's event id as their txnId). The very first start skips history.
"""

import asyncio
import logging
from dataclasses import dataclass
from functools import partial

from mautrix.api import HTTPAPI, Method, Path

from bot.app import Services
from bot.config import MatrixSettings
from bot.core.actors import Actor
from bot.core.errors import DomainError
from bot.core.flash.domain import MessageRef
from bot.core.messages import OutboundMessage, Text, Time, code, text
from bot.core.participants.domain import ConsentPurpose
from bot.core.programme.domain import DEFAULT_DURATION_MINUTES, SessionDraft
from bot.core.programme.ids import parse_rsvp_button_id
from bot.core.reflections.ids import parse_reflect_button_id
from bot.matrix.commands import (
    Command,
    Invocation,
    Registry,
    UsageError,
    check_options,
    help_text,
    parse,
    parse_duration,
    setup_update,
    usage,
)
from bot.matrix.http import call
from bot.matrix.ids import EVENT, ROLE, ROOM, USER, MatrixIds, MatrixState
from bot.matrix.reflections import Draft, ask, consent_prompt_text, next_field, read_answer, summary
from bot.matrix.render import Names, message_blocks, split_events
from bot.matrix.sender import BUTTONS_KEY, MatrixSender

log = logging.getLogger(__name__)

SYNC_TIMEOUT_MS = 30_000
CREATOR_POWER = 2**53  # room version 12: creators rank above every power level
_PRE_CREATOR_VERSIONS = frozenset(str(v) for v in range(1, 12))
SYNC_TOKEN = "sync_token"
SYNC_FILTER = {
    "presence": {"not_types": ["*"]},
    "account_data": {"not_types": ["*"]},
    "room": {
        "timeline": {"limit": 100, "types": ["m.room.message", "m.reaction", "m.room.encrypted"]},
        "state": {"types": ["m.room.encryption"]},
        "ephemeral": {"not_types": ["*"]},
        "account_data": {"not_types": ["*"]},
    },
}


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent a command and where."""

    user_id: str
    room_id: str
    event_id: str


class MatrixBot:
    """Follow the homeserver's sync stream and answer `!blether` commands."""

    def __init__(
        self,
        api: HTTPAPI,
        settings: MatrixSettings,
        services: Services,
        ids: MatrixIds,
        state: MatrixState,
        sender: MatrixSender,
    ) -> None:
        self._api = api
        self._sender = sender
        self._settings = settings
        self._services = services
        self._ids = ids
        self._state = state
        self._stopping = asyncio.Event()
        self._waiting: asyncio.Future | None = None
        self.registry = Registry()
        self._register()

    # --- the sync loop -------------------------------------------------------------------------------------

    async def _sync(self, since: str | None, timeout_ms: int) -> dict:
        query = {"timeout": str(timeout_ms), "filter": _json(SYNC_FILTER)}
        if since:
            query["since"] = since
        return await call("sync", lambda: self._api.request(Method.GET, Path.v3.sync, query_params=query))

    async def run(self) -> None:
        """Sync until stop() is called; the first start skips everything said before it."""
        since = await self._state.get(SYNC_TOKEN)
        if since is None:
            first = await self._sync(None, 0)
            await self._accept_invites(first)
            since = first["next_batch"]
            await self._state.set(SYNC_TOKEN, since, now=self._services.clock.now())
            log.info("First start on Matrix: history skipped; following from now on")
        while not self._stopping.is_set():
            self._waiting = asyncio.ensure_future(self._sync(since, SYNC_TIMEOUT_MS))
            try:
                batch = await self._waiting
            except asyncio.CancelledError:
                if self._stopping.is_set():
                    break  # stopped while waiting for news: nothing half-handled
                raise
            except Exception as error:  # a failed sync is retried after a pause; the loop never dies
                log.warning("Matrix sync failed (%s); trying again in 5 s", error)
                await asyncio.sleep(5)
                continue
            await self.handle_batch(batch)
            since = batch["next_batch"]
            await self._state.set(SYNC_TOKEN, since, now=self._services.clock.now())

    def stop(self) -> None:
        """Stop the sync loop: at once while it waits for news, else after the batch it is handling."""
        self._stopping.set()
        if self._waiting is not None and not self._waiting.done():
            self._waiting.cancel()

    async def handle_batch(self, batch: dict) -> None:
        """Handle every timeline event of a sync batch in order, then accept invitations."""
        for room_id, room in batch.get("rooms", {}).get("join", {}).items():
            for event in room.get("timeline", {}).get("events", []):
                try:
                    await self._handle(room_id, event)
                except Exception:
                    log.exception("Handling Matrix event %s in %s failed", event.get("event_id"), room_id)
        await self._accept_invites(batch)

    async def _accept_invites(self, batch: dict) -> None:
        for room_id in batch.get("rooms", {}).get("invite", {}):
            try:
                path = Path.v3.join[room_id]
                await call("join a room", partial(self._api.request, Method.POST, path, {}))
                log.info("Joined Matrix room %s on invitation", room_id)
            except Exception as error:
                log.warning("Could not join Matrix room %s: %s", room_id, error)

    async def _handle(self, room_id: str, event: dict) -> None:
        sender = event.get("sender")
        if not isinstance(sender, str) or sender == self._settings.user_id:  # every event names its sender
            return
        kind = event.get("type")
        if kind == "m.room.encrypted":
            await self._cannot_read(room_id)
        elif kind == "m.room.message":
            body = (event.get("content") or {}).get("body")
            if isinstance(body, str):
                caller = Caller(sender, room_id, event["event_id"])
                draft = (
                    None
                    if body.lstrip().lower().startswith("!blether")
                    else await self._state.get(f"reflect.{room_id}")
                )
                if draft:
                    await self._answer(caller, body, draft)
                else:
                    await self._command(caller, body)
        elif kind == "m.reaction":
            await self._reaction(room_id, sender, event)

    # --- rooms, people and permissions ---------------------------------------------------------------------

    async def guild_of(self, room_id: str) -> int:
        """Return the programme (guild) number a room belongs to; a room with none is its own."""
        found = await self._state.get(f"guild.{room_id}")
        return int(found) if found else await self._ids.number(ROOM, room_id)

    async def power_level(self, room_id: str, user_id: str) -> int:
        """Return a user's power level in a room, read from the homeserver now (never cached).

        From room version 12 the room's creators outrank everyone and are not listed in the power levels.
        """
        path = Path.v3.rooms[room_id].state
        try:
            events = await call("read the room's state", lambda: self._api.request(Method.GET, path))
        except Exception as error:
            log.warning("Could not read power levels in %s: %s", room_id, error)
            return 0
        found = {e.get("type"): e for e in events if e.get("state_key") == ""}
        levels = (found.get("m.room.power_levels") or {}).get("content") or {}
        create = found.get("m.room.create") or {}
        content = create.get("content") or {}
        creators = {create.get("sender"), *(content.get("additional_creators") or ())}
        if str(content.get("room_version", "1")) not in _PRE_CREATOR_VERSIONS and user_id in creators:
            return CREATOR_POWER
        users = levels.get("users") or {}
        value = users.get(user_id, levels.get("users_default", 0))
        return value if isinstance(value, int) else 0

    async def actor(self, caller: Caller, *, power_room: str | None = None) -> Actor:
        """Build the Actor for a caller: a facilitator when their power level in the programme's room is high enough."""
        guild_id = await self.guild_of(caller.room_id)
        room = power_room or await self._announcements_room(guild_id) or caller.room_id
        level = await self.power_level(room, caller.user_id)
        return Actor(
            guild_id=guild_id,
            user_id=await self._ids.number(USER, caller.user_id),
            display_name=caller.user_id,
            can_manage_events=level >= self._settings.facilitator_power_level,
        )

    async def _announcements_room(self, guild_id: int) -> str | None:
        programme = await self._services.programme.get_programme(guild_id)
        if programme is None or programme.announcements_channel_id is None:
            return None
        return await self._ids.external(programme.announcements_channel_id)

    async def _resolve_room(self, value: str) -> str:
        if value.startswith("!") and len(value) > 1 and not any(ch.isspace() for ch in value):  # v12 ids have no server
            return value
        if value.startswith("#") and ":" in value:
            path = Path.v3.directory.room[value]
            try:
                answer = await call("look up a room alias", lambda: self._api.request(Method.GET, path))
            except Exception:
                raise UsageError(f"No room is called {value}: check the alias, or give the room id (!…).") from None
            return answer["room_id"]
        raise UsageError(f"{value!r} is not a room: give a room id (!abc:example.org) or an alias (#room:example.org).")

    # --- replies ---------------------------------------------------------------------------------------------

    async def reply(self, caller: Caller, message: Text | str) -> None:
        """Answer a command as a notice in a thread on it (txnId from the command: sent once)."""
        zone = await self._zone(await self.guild_of(caller.room_id))
        names = Names(zone=zone, users={}, rooms={}, now=self._services.clock.now())
        for index, (body, rich) in enumerate(split_events(message_blocks(OutboundMessage(content=message), names))):
            content = {
                "msgtype": "m.notice",
                "body": body,
                "format": "org.matrix.custom.html",
                "formatted_body": rich,
                "m.mentions": {},
                "m.relates_to": {
                    "rel_type": "m.thread",
                    "event_id": caller.event_id,
                    "is_falling_back": True,
                    "m.in_reply_to": {"event_id": caller.event_id},
                },
            }
            path = Path.v3.rooms[caller.room_id].send["m.room.message"][f"reply-{caller.event_id}-{index}"]
            await call("reply", partial(self._api.request, Method.PUT, path, content))

    async def _zone(self, guild_id: int):
        programme = await self._services.programme.get_programme(guild_id)
        from zoneinfo import ZoneInfo

        return programme.zone if programme is not None else ZoneInfo(self._services.settings.timezone)

    async def _cannot_read(self, room_id: str) -> None:
        """Say once, where a facilitator will see it, that Blether cannot read an encrypted room."""
        key = f"encrypted.{room_id}"
        if await self._state.get(key):
            return
        await self._state.set(key, "told", now=self._services.clock.now())
        log.warning("Matrix room %s is end-to-end encrypted: Blether cannot read commands there", room_id)
        notice = (
            "This room is end-to-end encrypted, so Blether cannot read the commands typed here. "
            "Use an unencrypted room for the programme (encryption cannot be turned off in a room)."
        )
        content = {"msgtype": "m.notice", "body": notice, "m.mentions": {}}
        path = Path.v3.rooms[room_id].send["m.room.message"][f"encrypted-{room_id}"]
        try:
            await call("warn about encryption", lambda: self._api.request(Method.PUT, path, content))
        except Exception as error:
            log.warning("Could not post the encryption notice in %s: %s", room_id, error)

    # --- commands ---------------------------------------------------------------------------------------------

    async def _command(self, caller: Caller, body: str) -> None:
        try:
            parsed = parse(body)
        except UsageError as error:
            await self.reply(caller, error.message)
            return
        if parsed is None:
            return
        words, options = parsed
        found = self.registry.find(words) if words else None
        if found is None:
            await self.reply(caller, text("Unknown command. Type ", code("!blether help"), " for what you can use."))
            return
        command, rest = found
        try:
            check_options(command, Invocation(await self.actor(caller), caller.room_id, rest, options))
            invocation = Invocation(await self.actor(caller), caller.room_id, rest, options)
            answer = await command.handler(invocation)
        except UsageError as error:
            await self.reply(caller, error.message)
            return
        except DomainError as error:
            await self.reply(caller, error.message)
            return
        except Exception:  # a bug must not leave the caller without an answer
            log.exception("The command %s failed", command.name)  # never the typed words
            await self.reply(caller, "Sorry, that went wrong inside Blether; the operator can see why in its log.")
            return
        await self.reply(caller, answer)

    def _register(self) -> None:
        add = self.registry.add
        add(Command("help", "help", "list what you can use", False, self._help))
        add(
            Command(
                "setup",
                "setup [reflections:ROOM] [facilitators:ROOM] [timezone:ZONE] [reminders:7d,1d,1h]",
                "make this room the programme's announcements room and name the others",
                True,
                self._setup,
                frozenset({"reflections", "facilitators", "timezone", "reminders"}),
            )
        )
        add(Command("join", "join", "join the programme (reminders, reflections)", False, self._join))
        add(
            Command(
                "session add",
                'session add NUMBER "TITLE" YYYY-MM-DD HH:MM [DURATION] [LINK] [description:"…"] [speaker:"…"]',
                "add a session (time in the programme's zone; duration like 90m or 1h30m)",
                True,
                self._session_add,
                frozenset({"description", "speaker"}),
            )
        )
        add(
            Command(
                "consent",
                "consent [evaluation:yes|no] [quote:yes|no] [interview:yes|no]",
                "read the consent text, or answer it (each purpose separately)",
                False,
                self._consent,
                frozenset({"evaluation", "quote", "interview"}),
            )
        )
        add(Command("calendar", "calendar", "upload the programme's calendar (.ics)", False, self._calendar))
        add(
            Command(
                "share",
                'share URL [title:"…"] [note:"…"] [tags:"a,b"]',
                "put a link in the next Flash Report",
                False,
                self._share,
                frozenset({"title", "note", "tags"}),
            )
        )
        add(
            Command(
                "story",
                'story "TEXT" [credit:yes]',
                "tell a story of change for the next Flash Report",
                False,
                self._story,
                frozenset({"credit"}),
            )
        )
        add(
            Command(
                "reflect",
                "reflect SESSION",
                "answer a session's reflection questions in a direct room with Blether",
                False,
                self._reflect,
            )
        )
        add(
            Command(
                "reflections open",
                "reflections open SESSION",
                "open a session's reflections now",
                True,
                self._open_reflections,
            )
        )
        add(Command("flash publish", "flash publish", "publish the next Flash Report now", True, self._publish))
        add(
            Command(
                "export",
                "export [format:csv|json]",
                "upload the pseudonymised evaluation export (zip) to the facilitators' room",
                True,
                self._export,
                frozenset({"format"}),
            )
        )

    async def _help(self, invocation: Invocation) -> Text:
        if invocation.words:
            raise UsageError(usage(self.registry.named("help")))
        facilitator = invocation.actor.can_manage_events
        return help_text(self.registry.visible_to(facilitator), facilitator)

    async def _setup(self, invocation: Invocation) -> Text:
        command = self.registry.named("setup")
        if invocation.words:
            raise UsageError(usage(command))
        # The room setup runs in becomes the announcements room: the caller's power there decides.
        here = invocation.room_id
        level = await self.power_level(here, invocation.actor.display_name)
        guild_id = await self._ids.number(ROOM, here)
        actor = Actor(
            guild_id=guild_id,
            user_id=invocation.actor.user_id,
            display_name=invocation.actor.display_name,
            can_manage_events=level >= self._settings.facilitator_power_level,
        )
        rooms = {"announcements": here, "reflections": here, "facilitators": here}  # one room unless named
        for name in ("reflections", "facilitators"):
            if invocation.options.get(name):
                rooms[name] = await self._resolve_room(invocation.options[name])
        numbers = {name: await self._ids.number(ROOM, room) for name, room in rooms.items()}
        # "The participants" (everyone who joined) stand in for Discord's participant role: reminders ping them.
        role = await self._ids.number(ROLE, f"participants@{here}")
        result = await self._services.programme.setup(actor, setup_update(invocation.options, numbers, role))
        for room in rooms.values():
            await self._state.set(f"guild.{room}", str(guild_id), now=self._services.clock.now())
        named = ", ".join(f"{name}: {room}" for name, room in rooms.items())
        verb = "Programme created" if result.created else "Programme updated"
        return text(
            f"{verb}. Rooms — {named}. Time zone {result.programme.timezone}. ", *[n + " " for n in result.notes]
        )

    async def _join(self, invocation: Invocation) -> Text:
        if invocation.words:
            raise UsageError(usage(self.registry.named("join")))
        result = await self._services.participants.join(invocation.actor)
        welcome = text(
            "Welcome to the programme." if result.created or result.reactivated else "You have already joined."
        )
        prompt = result.consent_prompt
        return welcome if prompt is None else welcome + "\n\n" + consent_prompt_text(prompt)

    async def _consent(self, invocation: Invocation) -> Text:
        command = self.registry.named("consent")
        if invocation.words:
            raise UsageError(usage(command))
        participants = self._services.participants
        if not invocation.options:
            prompt = await participants.consent_prompt(invocation.actor)
            if prompt is None:
                state = await participants.my_consent(invocation.actor)
                given = ", ".join(f"{p.value}: {'yes' if state.granted(p) else 'no'}" for p in ConsentPurpose)
                return text(f"Your consent answers — {given}. Change one with !blether consent quote:yes (or no).")
            return consent_prompt_text(prompt)
        answers = {}
        for purpose, value in invocation.options.items():
            if value.lower() not in ("yes", "no", "y", "n"):
                raise UsageError(f"{purpose}: takes yes or no. {usage(command)}")
            answers[purpose] = value.lower() in ("yes", "y")
        version = (await participants.consent_text(invocation.actor.guild_id)).version
        await participants.record_consent(invocation.actor, answers, text_version=version)
        return text("Thank you: your consent answers are saved. Change them any time with !blether consent.")

    async def _session_add(self, invocation: Invocation) -> Text:
        command = self.registry.named("session", "add")
        words = list(invocation.words)
        if len(words) < 4 or not words[0].isdigit():
            raise UsageError(usage(command))
        number, title, day, clock_time, *rest = words
        duration = DEFAULT_DURATION_MINUTES
        location: str | None = None
        for word in rest:
            if word.startswith(("http://", "https://")) and location is None:
                location = word
            elif (minutes := parse_duration(word)) is not None:
                duration = minutes
            else:
                raise UsageError(f"{word!r} is neither a duration (90m, 1h30m) nor a link. {usage(command)}")
        draft = SessionDraft(
            number=int(number),
            title=title,
            starts=f"{day} {clock_time}",
            duration_minutes=duration,
            location=location,
            description=invocation.options.get("description", ""),
            speaker=invocation.options.get("speaker", ""),
        )
        change = await self._services.programme.add_session(invocation.actor, draft)
        session = change.session
        return text(f"Session {session.number} ({session.title}) added for ", Time(session.starts_at), ".")

    async def _calendar(self, invocation: Invocation) -> Text:
        if invocation.words:
            raise UsageError(usage(self.registry.named("calendar")))
        calendar = await self._services.programme.calendar_ics(invocation.actor.guild_id)
        await self._sender.post_to_room(invocation.room_id, OutboundMessage(files=(calendar,)))
        return text("The calendar is above: open it to add every session to your calendar.")

    async def _session_id(self, invocation: Invocation, name: tuple[str, ...]) -> int:
        if len(invocation.words) != 1 or not invocation.words[0].isdigit():
            raise UsageError(usage(self.registry.named(*name)))
        session = await self._services.programme.get_session_by_number(
            invocation.actor.guild_id, int(invocation.words[0])
        )
        return session.id

    async def _open_reflections(self, invocation: Invocation) -> Text:
        session_id = await self._session_id(invocation, ("reflections", "open"))
        poll = await self._services.reflections.open_poll(invocation.actor, session_id)
        del poll
        return text("Reflections are open: participants type !blether reflect ", invocation.words[0], ".")

    async def _reflect(self, invocation: Invocation) -> Text:
        session_id = await self._session_id(invocation, ("reflect",))
        return await self._start_reflection(invocation.actor, session_id)

    async def _start_reflection(self, actor: Actor, session_id: int) -> Text:
        """Open (or reuse) the direct room and ask the first question; raise DomainError when not eligible."""
        form = await self._services.reflections.reflection_form(actor, session_id)
        room = await self._sender.direct_room(actor.display_name)
        draft = Draft(actor.guild_id, actor.user_id, session_id, room, {})
        await self._state.set(f"reflect.{room}", draft.dump(), now=self._services.clock.now())
        first = next_field(form, draft)
        assert first is not None
        intro = text(
            f"Your reflection on session {form.session_number} ({form.session_title}), one question at a time."
        )
        await self._sender.post_to_room(room, OutboundMessage(content=intro + "\n\n" + ask(form, first)))
        return text("I have opened a direct room with you for your reflection (it is not end-to-end encrypted).")

    async def _answer(self, caller: Caller, body: str, raw: str) -> None:
        """Keep one reflection answer, then ask the next question or save the reflection and sum it up."""
        draft = Draft.load(raw)
        if caller.user_id != await self._ids.external(draft.user_id):
            return
        try:
            form = await self._services.reflections.reflection_form(draft.actor(), draft.session_id)
            current = next_field(form, draft)
            if current is None:
                return
            draft.answers[current.id] = read_answer(current, body)
            await self._state.set(f"reflect.{caller.room_id}", draft.dump(), now=self._services.clock.now())
            following = next_field(form, draft)
            if following is not None:
                await self.reply(caller, ask(form, following))
                return
            saved = await self._services.reflections.submit_reflection(draft.actor(), draft.session_id, draft.answers)
        except DomainError as error:
            await self.reply(caller, error.message)
            return
        await self._state.set(f"reflect.{caller.room_id}", "", now=self._services.clock.now())
        await self.reply(caller, summary(saved))

    async def _share(self, invocation: Invocation) -> Text:
        if len(invocation.words) != 1:
            raise UsageError(usage(self.registry.named("share")))
        options = invocation.options
        result = await self._services.flash.share_resource(
            invocation.actor,
            invocation.words[0],
            options.get("title", ""),
            options.get("note", ""),
            options.get("tags"),
        )
        del result
        return text("Thanks: your link will be in the next Flash Report.")

    async def _story(self, invocation: Invocation) -> Text:
        if not invocation.words:
            raise UsageError(usage(self.registry.named("story")))
        credit = invocation.options.get("credit", "no").lower() in ("yes", "y", "true")
        await self._services.flash.share_story(invocation.actor, " ".join(invocation.words), credit_by_name=credit)
        return text("Thanks: your story is kept for the next Flash Report (it appears only while you consent).")

    async def _publish(self, invocation: Invocation) -> Text:
        if invocation.words:
            raise UsageError(usage(self.registry.named("flash", "publish")))
        request = await self._services.flash.publish_now(invocation.actor)
        return text(f"Flash Report {request.issue.number}: {request.outcome.value}.")

    async def _export(self, invocation: Invocation) -> Text:
        command = self.registry.named("export")
        if invocation.words:
            raise UsageError(usage(command))
        result = await self._services.evaluation.export(
            invocation.actor, "all", invocation.options.get("format", "csv")
        )
        programme = await self._services.programme.get_programme(invocation.actor.guild_id)
        room = None
        if programme is not None and programme.facilitator_channel_id is not None:
            room = await self._ids.external(programme.facilitator_channel_id)
        if room is None:
            raise UsageError("Name the facilitators' room first: !blether setup facilitators:#room:example.org")
        await self._sender.post_to_room(room, OutboundMessage(content="Evaluation export", files=result.files))
        return text(f"The export ({sum(result.rows.values())} rows) is in the facilitators' room.")

    async def _viewers(self, guild_id: int, room_id: str) -> frozenset[int]:
        """Say who can read a room: everyone in the programme for its announcements and reflections rooms,
        nobody else can tell for any other room (a nomination from there waits for its author's consent)."""
        programme = await self._services.programme.get_programme(guild_id)
        number = await self._ids.number(ROOM, room_id)
        if programme is not None and number in (programme.announcements_channel_id, programme.reflections_channel_id):
            return frozenset({guild_id})
        return frozenset()

    async def _pin(self, room_id: str, sender: str, event_id: str) -> None:
        """A facilitator's 📌 on a message puts it in the next Flash Report (anyone else's does nothing)."""
        path = Path.v3.rooms[room_id].event[event_id]
        try:
            original = await call("read a message", lambda: self._api.request(Method.GET, path))
        except Exception as error:
            log.info("Could not read pinned message %s: %s", event_id, error)
            return
        if original.get("type") != "m.room.message":
            return
        caller = Caller(sender, room_id, event_id)
        actor = await self.actor(caller)
        author = original.get("sender", "")
        message = MessageRef(
            guild_id=actor.guild_id,
            channel_id=await self._ids.number(ROOM, room_id),
            message_id=await self._ids.number(EVENT, event_id),
            jump_url=f"https://matrix.to/#/{room_id}/{event_id}",
            author_id=await self._ids.number(USER, author),
            author_name=author,
            content=str((original.get("content") or {}).get("body", "")),
            viewer_role_ids=await self._viewers(actor.guild_id, room_id),
        )
        try:
            result = await self._services.flash.nominate_by_reaction(actor, message)
        except DomainError as error:
            log.info("📌 in %s refused: %s", room_id, error)
            return
        if result is not None:
            log.info("Message %s pinned for the Flash Report", event_id)

    async def _buttons_of(self, room_id: str, event_id: str) -> list[str]:
        """Return the button ids carried by one of Blether's own messages (none for anyone else's)."""
        if not event_id:
            return []
        path = Path.v3.rooms[room_id].event[event_id]
        try:
            target = await call("read a message", lambda: self._api.request(Method.GET, path))
        except Exception as error:
            log.info("Could not read reacted-to message %s: %s", event_id, error)
            return []
        if target.get("sender") != self._settings.user_id:
            return []
        buttons = (target.get("content") or {}).get(BUTTONS_KEY) or []
        return [b for b in buttons if isinstance(b, str)]

    async def _reaction(self, room_id: str, sender: str, event: dict) -> None:
        """RSVP: ✅ on a reminder says you'll be there, ❌ takes it back; 📌 from a facilitator nominates (quietly)."""
        relates = (event.get("content") or {}).get("m.relates_to") or {}
        key = str(relates.get("key", "")).replace("\ufe0f", "")
        if key == "📌" and relates.get("rel_type") == "m.annotation" and relates.get("event_id"):
            await self._pin(room_id, sender, str(relates["event_id"]))
            return
        if relates.get("rel_type") != "m.annotation" or key not in ("📝", "✅", "✔", "❌"):
            return
        buttons = await self._buttons_of(room_id, str(relates.get("event_id", "")))
        log.debug("Reaction %s on %s stands for %s", key, relates.get("event_id"), buttons)
        if key == "📝":
            session_id = next((i for i in map(parse_reflect_button_id, buttons) if i is not None), None)
            if session_id is not None:
                caller = Caller(sender, room_id, str(relates.get("event_id")))
                try:
                    await self._start_reflection(await self.actor(caller), session_id)
                except DomainError as error:  # not joined, closed…: say so in the direct room
                    room = await self._sender.direct_room(sender)
                    await self._sender.post_to_room(room, OutboundMessage(content=error.message))
            return
        going = {"✅": True, "✔": True, "❌": False}[key]
        session_id = next((i for i in map(parse_rsvp_button_id, buttons) if i is not None), None)
        if session_id is None:
            return
        user_number = await self._ids.number(USER, sender)
        # In a programme's room the reacting user is in it; elsewhere (a direct room) the core checks that
        # they are still an active participant of the session's programme, as for a Discord DM button.
        known = await self._state.get(f"guild.{room_id}")
        try:
            status = await self._services.programme.rsvp(
                int(known) if known else None, session_id, user_number, going=going
            )
        except DomainError as error:
            log.info("RSVP by reaction in %s refused: %s", room_id, error)
            return
        log.info("RSVP by reaction: session %s, going=%s, %s coming", session_id, going, status.count)


def _json(value: object) -> str:
    import json

    return json.dumps(value, separators=(",", ":"))


__all__ = ["MatrixBot"]
