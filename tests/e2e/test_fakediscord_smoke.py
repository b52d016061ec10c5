"""Smoke tests: a bare discord.py bot talks to the loopback fake Discord (REST + gateway) end to end."""

import asyncio
import contextlib
import datetime
import io
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands, ui
from discord.ext import commands

from tests.fakediscord import SPEC_UNAVAILABLE, FakeDiscord, check_limits, check_no_pings

pytestmark = pytest.mark.e2e

TOKEN = "smoke-token"


class SurveyModal(ui.Modal, title="Weekly reflection"):
    """A modal using discord.py 2.7's Label-wrapped components."""

    thoughts = ui.Label(
        text="Your thoughts", component=ui.TextInput(custom_id="thoughts", style=discord.TextStyle.long)
    )
    mood = ui.Label(
        text="Mood",
        component=ui.RadioGroup(
            custom_id="mood",
            options=[
                discord.RadioGroupOption(label="Good", value="good"),
                discord.RadioGroupOption(label="Meh", value="meh"),
            ],
        ),
    )
    share = ui.Label(text="Share with the group?", component=ui.Checkbox(custom_id="share"))
    topics = ui.Label(
        text="Topics",
        component=ui.CheckboxGroup(
            custom_id="topics",
            required=False,
            options=[
                discord.CheckboxGroupOption(label="A", value="a"),
                discord.CheckboxGroupOption(label="B", value="b"),
            ],
        ),
    )

    def __init__(self, sink: dict[str, Any]) -> None:
        super().__init__(custom_id="survey:modal")
        self.sink = sink

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Store what discord.py parsed and confirm privately."""
        assert isinstance(self.thoughts.component, ui.TextInput)
        assert isinstance(self.mood.component, ui.RadioGroup)
        assert isinstance(self.share.component, ui.Checkbox)
        assert isinstance(self.topics.component, ui.CheckboxGroup)
        self.sink.update(
            thoughts=self.thoughts.component.value,
            mood=self.mood.component.value,
            share=self.share.component.value,
            topics=list(self.topics.component.values),
        )
        await interaction.response.send_message("Thanks!", ephemeral=True)


class SurveyView(ui.View):
    """A button that opens the survey modal."""

    def __init__(self, sink: dict[str, Any]) -> None:
        super().__init__(timeout=60)
        self.sink = sink

    @ui.button(label="Answer", custom_id="survey:open", style=discord.ButtonStyle.primary)
    async def answer(self, interaction: discord.Interaction, button: ui.Button["SurveyView"]) -> None:
        """Open the modal."""
        await interaction.response.send_modal(SurveyModal(self.sink))


class SmokeBot(commands.Bot):
    """A tiny bot with its own test commands, synced to the fake guild."""

    def __init__(self, guild_id: int) -> None:
        intents = discord.Intents.default()
        intents.members = True
        intents.message_content = True
        super().__init__(
            command_prefix="!",
            intents=intents,
            guild_ready_timeout=0.05,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.guild_id = guild_id
        self.survey: dict[str, Any] = {}
        self.seen_messages: list[discord.Message] = []
        self.events: list[tuple[str, Any]] = []
        group = app_commands.Group(name="survey", description="Survey commands")

        @group.command(name="open", description="Post the survey button")
        async def survey_open(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Please answer:", view=SurveyView(self.survey))

        @app_commands.command(name="ping", description="Reply privately")
        @app_commands.describe(word="What to echo")
        async def ping(interaction: discord.Interaction, word: str = "pong") -> None:
            await interaction.response.send_message(f"{word}!", ephemeral=True)

        @app_commands.command(name="dm-me", description="Send yourself a DM")
        async def dm_me(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.user.send("Hello from the bot")
            await interaction.followup.send("Sent you a DM", ephemeral=True)

        programme = app_commands.Group(
            name="programme", description="Programme admin", default_permissions=discord.Permissions(manage_events=True)
        )
        session = app_commands.Group(name="session", description="Sessions", parent=programme)

        @programme.command(name="setup", description="Set the programme up")
        async def programme_setup(
            interaction: discord.Interaction,
            timezone: str,
            weeks: app_commands.Range[int, 1, 52],
            channel: discord.TextChannel,
            role: discord.Role,
            facilitator: discord.Member,
            notes: discord.Attachment | None = None,
        ) -> None:
            text = (await notes.read()).decode() if notes else "-"
            await interaction.response.send_message(
                f"{timezone}|{weeks}|{channel.name}|{role.name}|{facilitator.name}|{text}", ephemeral=True
            )

        @session.command(name="edit", description="Edit a session")
        async def session_edit(interaction: discord.Interaction, number: int) -> None:
            await interaction.response.send_message(f"editing {number}", ephemeral=True)

        @session_edit.autocomplete("number")
        async def session_numbers(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
            return [
                app_commands.Choice(name=f"Session {n}", value=n) for n in range(1, 4) if str(n).startswith(current)
            ]

        @app_commands.command(name="pick", description="Post a select menu and a file")
        async def pick(interaction: discord.Interaction) -> None:
            view = ui.View(timeout=60)
            menu: ui.Select[ui.View] = ui.Select(
                custom_id="pick:menu", options=[discord.SelectOption(label=x, value=x) for x in ("red", "blue")]
            )

            async def chosen(inner: discord.Interaction) -> None:
                await inner.response.edit_message(content=f"picked {menu.values[0]}", view=None)

            menu.callback = chosen
            view.add_item(menu)
            await interaction.response.send_message("Pick one", view=view)
            assert isinstance(interaction.channel, discord.TextChannel)
            await interaction.channel.send("notes", file=discord.File(io.BytesIO(b"hello file"), "notes.txt"))

        guild = discord.Object(guild_id)
        for command in (group, ping, dm_me, programme, pick):
            self.tree.add_command(command, guild=guild)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Skip discord.py's 5 s pause before a re-IDENTIFY (keeps the invalid-session test fast)."""

    async def setup_hook(self) -> None:
        """Sync the guild commands (instant on the fake, as on Discord)."""
        await self.tree.sync(guild=discord.Object(self.guild_id))

    async def on_message(self, message: discord.Message) -> None:
        """Remember every message the gateway delivered (except the bot's own)."""
        if message.author != self.user:
            self.seen_messages.append(message)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        """Remember reactions."""
        self.events.append(("reaction", (payload.user_id, str(payload.emoji))))

    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        """Remember voice joins and leaves."""
        self.events.append(("voice", (member.id, after.channel.name if after.channel else None)))

    async def on_member_join(self, member: discord.Member) -> None:
        """Remember joins."""
        self.events.append(("join", member.name))


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """Start a fake Discord and point discord.py at it."""
    server = FakeDiscord(token=TOKEN)
    await server.start()
    with server.patch_discord_py():
        yield server
    await server.stop()


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[SmokeBot]:
    """Run the smoke bot against the fake until it is ready."""
    client = SmokeBot(fake.state.guild.id)
    runner = asyncio.create_task(client.start(TOKEN))
    try:
        await fake.wait_ready(timeout=5)
        await asyncio.wait_for(client.wait_until_ready(), timeout=5)
        yield client
    finally:
        await client.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(runner, timeout=5)


async def test_login_ready_and_guild_cached(fake: FakeDiscord, bot: SmokeBot) -> None:
    """The bot logs in, gets READY + GUILD_CREATE and caches the guild, channels, roles and members."""
    guild = bot.get_guild(fake.state.guild.id)
    assert guild is not None
    assert bot.user is not None and bot.user.id == fake.state.bot_user.id
    assert {c.name for c in guild.text_channels} >= {"general", "announcements", "reflections", "flash-reports"}
    assert guild.get_member(fake.users.fran.id) is not None
    facilitator = guild.get_role(fake.roles.facilitator.id)
    assert facilitator is not None and facilitator.permissions.manage_events
    private = guild.get_channel(fake.channels.facilitators.id)
    assert isinstance(private, discord.TextChannel)
    assert not private.permissions_for(guild.get_member(fake.users.nora.id)).view_channel
    assert fake.gateway.identify_count == 1
    assert fake.requests_to("/users/@me", "GET")[0].status == 200
    assert fake.unknown_routes == []


async def test_commands_synced(fake: FakeDiscord, bot: SmokeBot) -> None:
    """tree.sync() PUTs the guild commands and the fake stores them with ids."""
    commands_ = await fake.wait_commands_synced(timeout=2)
    assert {c["name"] for c in commands_} == {"survey", "ping", "dm-me", "programme", "pick"}
    survey = fake.command("survey")
    assert survey.definition["options"][0]["type"] == 1


async def test_slash_command_ephemeral_reply(fake: FakeDiscord, bot: SmokeBot) -> None:
    """A slash command round trip: INTERACTION_CREATE in, an ephemeral type-4 callback out."""
    ix = await fake.slash("ping", {"word": "hello"}, user=fake.users.pat)
    response = await ix.response(timeout=2)
    assert response.type == 4
    assert ix.ephemeral
    assert ix.final_text() == "hello!"
    assert fake.channel_messages(fake.channels.general) == []


async def test_button_then_modal_with_label_components(fake: FakeDiscord, bot: SmokeBot) -> None:
    """A button opens a modal; Label/TextInput/RadioGroup/Checkbox/CheckboxGroup values reach discord.py's items."""
    ix = await fake.slash("survey open", user=fake.users.fran)
    await ix.response(timeout=2)
    posted = ix.original
    assert posted is not None and not posted.ephemeral
    click = await fake.click(posted, "survey:open", user=fake.users.pat)
    assert (await click.response(timeout=2)).type == 9
    assert click.modal is not None and click.modal["components"][0]["type"] == 18
    submit = await fake.submit_modal(
        "survey:modal",
        {"thoughts": "It went well", "mood": "good", "share": True, "topics": ["b"]},
        user=fake.users.pat,
    )
    assert await submit.settle(timeout=2) == "Thanks!"
    assert submit.ephemeral
    assert bot.survey == {"thoughts": "It went well", "mood": "good", "share": True, "topics": ["b"]}


async def test_message_nonce_dedupe(fake: FakeDiscord, bot: SmokeBot) -> None:
    """Two creates with the same nonce and enforce_nonce give one message, as on Discord."""
    channel = bot.get_channel(fake.channels.announcements.id)
    assert isinstance(channel, discord.TextChannel)
    first = await channel.send("Session 1 starts soon", nonce="delivery-42")
    second = await channel.send("Session 1 starts soon", nonce="delivery-42")
    assert first.id == second.id
    assert fake.nonce_counts["delivery-42"] == 2
    assert len(fake.messages_by_nonce["delivery-42"]) == 1
    assert [m.content for m in fake.channel_messages(fake.channels.announcements)] == ["Session 1 starts soon"]
    body = fake.requests_to("/channels/{channel_id}/messages", "POST")[0].json
    assert body["enforce_nonce"] is True
    assert check_no_pings(body) == []
    assert check_limits(body) == []


async def test_lost_response_then_retry_with_same_nonce(fake: FakeDiscord, bot: SmokeBot) -> None:
    """The create succeeds but the connection drops before the answer; the retry's nonce returns that message."""
    fake.inject("/channels/{channel_id}/messages", "POST", kind="reset_after")
    channel = bot.get_channel(fake.channels.general.id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(aiohttp.ClientError):
        await channel.send("reminder", nonce="rem:7")
    retried = await channel.send("reminder", nonce="rem:7")
    assert [m.id for m in fake.channel_messages(fake.channels.general)] == [retried.id]
    assert fake.nonce_counts["rem:7"] == 2


async def test_429_is_retried_then_succeeds(fake: FakeDiscord, bot: SmokeBot) -> None:
    """An injected 429 (with Via, Retry-After and scope headers) is retried by discord.py."""
    fake.inject("/channels/{channel_id}/messages", "POST", kind="429", retry_after=0.2)
    channel = bot.get_channel(fake.channels.general.id)
    assert isinstance(channel, discord.TextChannel)
    message = await channel.send("after a rate limit")
    statuses = [r.status for r in fake.requests_to("/channels/{channel_id}/messages", "POST")]
    assert statuses == [429, 200]
    assert fake.message(message.id).content == "after a rate limit"


async def test_502_is_retried(fake: FakeDiscord, bot: SmokeBot) -> None:
    """An injected 502 is retried (discord.py waits 1 s) and the message is created once."""
    fake.inject("/channels/{channel_id}/messages", "POST", kind="502")
    channel = bot.get_channel(fake.channels.general.id)
    assert isinstance(channel, discord.TextChannel)
    await channel.send("after a bad gateway")
    statuses = [r.status for r in fake.requests_to("/channels/{channel_id}/messages", "POST")]
    assert statuses == [502, 200]
    assert len(fake.channel_messages(fake.channels.general)) == 1


async def test_gateway_drop_resumes_without_identify(fake: FakeDiscord, bot: SmokeBot) -> None:
    """After a 4000 close the client RESUMEs; events sent meanwhile are replayed, no second IDENTIFY."""
    await fake.drop_gateway(resume=True)
    await fake.user_message(fake.channels.general, fake.users.sam, "sent while disconnected")
    await fake.wait_resumed(timeout=3)
    await fake.wait_until(lambda: bot.seen_messages, timeout=2, what="the replayed MESSAGE_CREATE")
    assert bot.seen_messages[0].content == "sent while disconnected"
    assert fake.gateway.identify_count == 1
    assert fake.gateway.resume_count == 1


async def test_dm_via_deferred_command(fake: FakeDiscord, bot: SmokeBot) -> None:
    """A deferred command DMs the invoker; the first followup replaces the thinking message."""
    ix = await fake.slash("dm-me", user=fake.users.sam)
    dm = await fake.wait_for_dm(fake.users.sam, timeout=2)
    assert dm.content == "Hello from the bot"
    assert await ix.settle(timeout=2) == "Sent you a DM"
    assert ix.response_type == 5 and ix.ephemeral
    assert len(fake.dms_to(fake.users.sam)) == 1


async def test_recorded_requests_match_openapi_spec(fake: FakeDiscord, bot: SmokeBot) -> None:
    """Every JSON body discord.py sent during a busy session validates against Discord's OpenAPI spec."""
    ix = await fake.slash("survey open")
    await ix.response(timeout=2)
    click = await fake.click(ix.original, "survey:open", user=fake.users.pat)
    await click.response(timeout=2)
    submit = await fake.submit_modal("survey:modal", {"thoughts": "ok", "mood": "meh"}, user=fake.users.pat)
    await submit.settle(timeout=2)
    await (await fake.slash("dm-me", user=fake.users.sam)).settle(timeout=2)
    errors = fake.spec_errors()
    if errors is SPEC_UNAVAILABLE:
        pytest.skip(SPEC_UNAVAILABLE.skipped_reason or "spec unavailable")
    assert errors == []
    assert fake.unknown_routes == []


async def test_nested_options_resolved_and_attachment(fake: FakeDiscord, bot: SmokeBot) -> None:
    """Subcommand options are typed from the synced schema; channel/role/member/attachment come via resolved."""
    ix = await fake.slash(
        "programme setup",
        {
            "timezone": "Europe/London",
            "weeks": 6,
            "channel": fake.channels.reflections,
            "role": fake.roles.participant,
            "facilitator": fake.users.fran,
            "notes": ("notes.txt", b"bring tea"),
        },
        user=fake.users.fran,
    )
    assert await ix.settle(timeout=2) == "Europe/London|6|reflections|Participant|fran|bring tea"
    with pytest.raises(ValueError, match="default_member_permissions"):
        await fake.slash("programme session edit", {"number": 1}, user=fake.users.nora)
    with pytest.raises(ValueError, match="outside"):
        await fake.slash("programme setup", {"timezone": "x", "weeks": 99, "channel": 1, "role": 1, "facilitator": 1})


async def test_autocomplete_in_subcommand_group(fake: FakeDiscord, bot: SmokeBot) -> None:
    """Autocomplete for a nested option returns the bot's choices (type 8)."""
    ix = await fake.autocomplete("programme session edit", focused="number", value="2")
    assert (await ix.response(timeout=2)).type == 8
    assert ix.choices == [{"name": "Session 2", "value": 2}]
    edit = await fake.slash("programme session edit", {"number": 3})
    assert await edit.settle(timeout=2) == "editing 3"


async def test_select_updates_message_and_file_upload(fake: FakeDiscord, bot: SmokeBot) -> None:
    """A string select answered with type 7 edits the message; a multipart upload is served back over HTTP."""
    ix = await fake.slash("pick")
    await ix.response(timeout=2)
    upload = await fake.wait_for_message(fake.channels.general, lambda m: bool(m.attachments), timeout=2)
    assert upload.attachments[0].data == b"hello file"
    assert upload.attachments[0].content_type == "text/plain"
    channel = bot.get_channel(fake.channels.general.id)
    assert isinstance(channel, discord.TextChannel)
    fetched = await channel.fetch_message(upload.id)
    assert await fetched.attachments[0].read() == b"hello file"
    choose = await fake.select(ix.original, "pick:menu", ["blue"], user=fake.users.pat)
    assert (await choose.response(timeout=2)).type == 7
    assert ix.original is not None and ix.original.content == "picked blue" and ix.original.components == []
    assert len(ix.original.edits) == 1


async def test_scheduled_event_crud(fake: FakeDiscord, bot: SmokeBot) -> None:
    """Creating, editing and deleting an external scheduled event through discord.py."""
    guild = bot.get_guild(fake.guild_id)
    assert guild is not None
    start = discord.utils.utcnow() + datetime.timedelta(days=1)
    event = await guild.create_scheduled_event(
        name="Session 1",
        start_time=start,
        end_time=start + datetime.timedelta(hours=1),
        entity_type=discord.EntityType.external,
        privacy_level=discord.PrivacyLevel.guild_only,
        location="Room 4",
    )
    assert [e.name for e in fake.scheduled_events] == ["Session 1"]
    await event.edit(name="Session 1 (moved)", location="Room 5")
    assert fake.scheduled_events[0].location == "Room 5"
    await event.delete()
    assert fake.scheduled_events == []
    with pytest.raises(discord.HTTPException):
        await guild.create_scheduled_event(
            name="Past",
            start_time=discord.utils.utcnow() - datetime.timedelta(days=1),
            end_time=discord.utils.utcnow(),
            entity_type=discord.EntityType.external,
            privacy_level=discord.PrivacyLevel.guild_only,
            location="x",
        )


async def test_reactions_voice_and_member_events(fake: FakeDiscord, bot: SmokeBot) -> None:
    """Reaction, voice-state and member-join dispatches reach the bot's listeners."""
    message = await fake.user_message(fake.channels.general, fake.users.pat, "hello")
    await fake.react(message, "👍", fake.users.sam)
    await fake.voice_join(fake.users.pat)
    # discord.py updates the cached VoiceState in place, so let the listener see the join before the leave.
    await fake.wait_until(lambda: len(bot.events) >= 2, timeout=2, what="the voice join")
    await fake.voice_leave(fake.users.pat)
    await fake.member_join("newbie")
    await fake.wait_until(lambda: len(bot.events) >= 4, timeout=2, what="4 events")
    assert bot.events == [
        ("reaction", (fake.users.sam.id, "👍")),
        ("voice", (fake.users.pat.id, "Session Room")),
        ("voice", (fake.users.pat.id, None)),
        ("join", "newbie"),
    ]
    assert message.reaction_count("👍") == 1


async def test_rate_limit_mode_headers_keep_discord_py_under_the_limit(fake: FakeDiscord, bot: SmokeBot) -> None:
    """With enforced per-route limits discord.py paces itself from X-RateLimit-* headers; a global 429 is retried."""
    fake.rate_limits(global_per_s=None, per_route={"POST /channels/{channel_id}/messages": (2, 0.3)})
    channel = bot.get_channel(fake.channels.general.id)
    assert isinstance(channel, discord.TextChannel)
    await asyncio.gather(*(channel.send(f"m{i}") for i in range(5)))
    assert len(fake.channel_messages(fake.channels.general)) == 5
    assert fake.stats.route_429 == 0
    fake.inject("*", "GET", kind="429", retry_after=0.1, is_global=True)
    await channel.fetch_message(fake.channel_messages(fake.channels.general)[0].id)
    assert fake.requests_to("/channels/{channel_id}/messages/{message_id}", "GET")[0].status == 429


async def test_errors_like_discord(fake: FakeDiscord, bot: SmokeBot) -> None:
    """Oversized content is a 400, a closed DM a 403 50007, an unknown route a recorded 404; bad tokens 401."""
    channel = bot.get_channel(fake.channels.general.id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as too_long:
        await channel.send("x" * 2001)
    assert too_long.value.status == 400 and too_long.value.code == 50035
    fake.set_dms_open(fake.users.nora, False)
    nora = bot.get_user(fake.users.nora.id)
    assert nora is not None
    with pytest.raises(discord.Forbidden) as closed:
        await nora.send("hi")
    assert closed.value.code == 50007
    with pytest.raises(discord.NotFound):
        await bot.http.request(discord.http.Route("GET", "/nonexistent/{x}", x=1))
    assert [r.path for r in fake.unknown_routes] == ["/nonexistent/1"]
    url = f"{fake.api_base_url}/users/@me"
    async with aiohttp.ClientSession() as session, session.get(url, headers={"Authorization": "Bot no"}) as resp:
        assert resp.status == 401
        assert resp.headers["Content-Type"] == "application/json"


async def test_invalidated_session_reidentifies(fake: FakeDiscord, bot: SmokeBot) -> None:
    """INVALID_SESSION (resume=False) makes the client IDENTIFY again; an abrupt drop resumes."""
    await fake.drop_gateway(resume=False)
    await fake.wait_identified(count=2, timeout=3)
    await fake.drop_gateway(abrupt=True)
    await fake.wait_resumed(timeout=5)
    await fake.user_message(fake.channels.general, fake.users.pat, "still here")
    await fake.wait_until(lambda: bot.seen_messages, timeout=2, what="a message after the drops")
