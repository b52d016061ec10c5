"""/groups make|show|move|dissolve, /coach view|mark|nudge, /connect, and the groups' buttons."""

import re
from dataclasses import replace
from typing import Any

from bot.core.groups import render as core
from bot.core.groups.domain import DEFAULT_SIZE, MeetAnswer, Mix, Source
from bot.core.groups.ids import JOIN_TEMPLATE, MEET_TEMPLATE, PROPOSAL_TEMPLATE
from bot.core.messages import text, user
from bot.shell.commands import Context, Registry
from bot.shell.options import Choice, Kind, Option
from bot.shell.ports import Shown

MIXES = tuple(Choice(m.value) for m in Mix)
SOURCES = tuple(Choice(s.value) for s in Source)
SESSION = Option("session", "The session (its number)", Kind.SESSION, required=True)
MEET_SAID = {"yes": "Wonderful — thank you!", "not_yet": "Thanks — there is still time.", "skip": "Noted, thank you."}
CONNECT_ON = (
    "You are in: every couple of weeks Blether introduces you to someone from another community, in a "
    "private thread. /connect off stops it."
)
CONNECT_OFF = "Introductions are off. /connect on starts them again."


def register(registry: Registry) -> None:
    """Add the small groups, peer coach and connection commands and buttons."""

    @registry.command(
        "groups make",
        "Propose small groups for a session (shown only to you, with Create, Shuffle and Cancel).",
        SESSION,
        Option("size", "About how many people per group, 3 to 12", Kind.INTEGER, default=DEFAULT_SIZE),
        Option("mix", "What to keep apart first: community, area or role", Kind.CHOICE, choices=MIXES),
        Option("from", "Who to group: rsvp, participants or attended", Kind.CHOICE, choices=SOURCES),
        facilitator=True,
    )
    async def groups_make(context: Context, values: dict[str, Any]) -> None:
        view = await context.services.groups.propose(
            context.actor,
            values["session"],
            size=values["size"],
            mix=Mix(values["mix"]) if values["mix"] else Mix.COMMUNITY,
            source=Source(values["from"]) if values["from"] else None,
        )
        await context.send(core.proposal(view))

    @registry.command("groups show", "Show a session's groups, coaches and threads.", SESSION, facilitator=True)
    async def groups_show(context: Context, values: dict[str, Any]) -> None:
        await context.send(core.session_groups(await context.services.groups.show(context.actor, values["session"])))

    @registry.command(
        "groups move",
        "Move someone into another group of a session (their thread access follows).",
        SESSION,
        Option("member", "Who to move", Kind.MEMBER, required=True),
        Option("to", "The group number to move them to", Kind.INTEGER, required=True, min=1, max=100),
        facilitator=True,
    )
    async def groups_move(context: Context, values: dict[str, Any]) -> None:
        moved = await context.services.groups.move(context.actor, values["session"], values["member"], values["to"])
        where = f"from Group {moved.from_number} " if moved.from_number else ""
        await context.reply(text("Moved ", user(values["member"]), f" {where}to Group {moved.to_number}."))

    @registry.command(
        "groups dissolve",
        "Remove a session's groups (their threads are archived) so new ones can be made.",
        SESSION,
        facilitator=True,
    )
    async def groups_dissolve(context: Context, values: dict[str, Any]) -> None:
        count = await context.services.groups.dissolve(context.actor, values["session"])
        await context.reply(f"Dissolved {count} group{'s' if count != 1 else ''}; their threads are archived.")

    @registry.command(
        "coach view", "See who in your group attended and how many reflected (never their answers).", SESSION
    )
    async def coach_view(context: Context, values: dict[str, Any]) -> None:
        await context.send(core.coach_view(await context.services.groups.coach_view(context.actor, values["session"])))

    @registry.command(
        "coach mark",
        "Mark that someone in your group attended.",
        SESSION,
        Option("member", "A member of your group", Kind.MEMBER, required=True),
    )
    async def coach_mark(context: Context, values: dict[str, Any]) -> None:
        marked = await context.services.groups.coach_mark(context.actor, values["session"], [values["member"]])
        said = "marked as attended" if marked else "was already marked as attended"
        await context.reply(text(user(values["member"]), f" {said}."))

    @registry.command(
        "coach nudge",
        "Send your group a nudge in its thread (once a day).",
        SESSION,
        Option("message", "What to say (a friendly default if left out)", min=1, max=1000),
    )
    async def coach_nudge(context: Context, values: dict[str, Any]) -> None:
        group = await context.services.groups.coach_nudge(context.actor, values["session"], values["message"] or "")
        await context.reply(f"Your nudge to Group {group.number} is on its way.")

    @registry.command(
        "connect",
        "Meet someone from another community every couple of weeks (on), or stop (off).",
        Option("choice", "on to be introduced, off to stop", Kind.CHOICE, True, choices=(Choice("on"), Choice("off"))),
    )
    async def connect(context: Context, values: dict[str, Any]) -> None:
        on = values["choice"] == "on"
        await context.services.connections.set_connect(context.actor, on)
        await context.reply(CONNECT_ON if on else CONNECT_OFF)

    @registry.button(PROPOSAL_TEMPLATE, "Create / Shuffle / Cancel")
    async def proposal_button(context: Context, match: re.Match[str], shown: Shown) -> None:
        groups = context.services.groups
        proposal_id = int(match["id"])
        if match["action"] == "create":
            created = await groups.create(context.actor, proposal_id)
            note = "Created. Each group's private thread is on its way in the groups channel."
            message = replace(core.session_groups(created), content=text(note))
        elif match["action"] == "shuffle":
            message = core.proposal(await groups.shuffle(context.actor, proposal_id))
        else:
            view = await groups.cancel(context.actor, proposal_id)
            message = core.closed_proposal(view, "Cancelled: no groups were made.")
        context.shell.timeline.edit(shown.message_id, message)

    @registry.button(JOIN_TEMPLATE, "Join a group")
    async def join_button(context: Context, match: re.Match[str], shown: Shown) -> None:
        result = await context.services.groups.join_late(context.actor, int(match["id"]))
        await context.reply(core.joined(result))

    @registry.button(MEET_TEMPLATE, "Did you meet?")
    async def meet_button(context: Context, match: re.Match[str], shown: Shown) -> None:
        answer = match["answer"]
        await context.services.connections.answer(context.actor, int(match["id"]), MeetAnswer(answer))
        await context.reply(MEET_SAID[answer])
