"""Persistent buttons of the groups feature: a proposal's Create / Shuffle / Cancel and "Join a group".

Both are DynamicItems: their custom_ids carry a proposal id (stored in the database) or a session id, so they
keep working after a restart. Every press is checked in the service (a facilitator for the proposal buttons).
"""

import re
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.core.groups import render as core_render
from bot.core.groups.domain import MeetAnswer
from bot.core.groups.ids import JOIN_TEMPLATE, MEET_TEMPLATE, PROPOSAL_TEMPLATE
from cogs._shared.actors import actor_from
from cogs._shared.interactions import guarded
from cogs._shared.replies import send_ephemeral
from cogs.groups.render import line, reply_kwargs

if TYPE_CHECKING:
    from bot.client import BletherBot


def _services(interaction: discord.Interaction) -> Any:
    return cast("BletherBot", interaction.client).services


async def press_proposal(interaction: discord.Interaction, action: str, proposal_id: int) -> None:
    """Create, shuffle or cancel a proposal and show the result in place of the proposal."""
    groups = _services(interaction).groups
    actor = actor_from(interaction)
    # No defer: an error (a participant pressing) must be answered privately, and every action is quick.
    if action == "create":
        created = await groups.create(actor, proposal_id)
        message = core_render.session_groups(created)
        note = "Created. Each group's private thread is on its way in the groups channel."
        kwargs = reply_kwargs(message)
        kwargs["content"] = note
    elif action == "shuffle":
        kwargs = reply_kwargs(core_render.proposal(await groups.shuffle(actor, proposal_id)))
    else:
        view = await groups.cancel(actor, proposal_id)
        kwargs = reply_kwargs(core_render.closed_proposal(view, "Cancelled: no groups were made."))
    await interaction.response.edit_message(**kwargs)


class ProposalButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PROPOSAL_TEMPLATE):
    """Create / Shuffle / Cancel under proposed groups (blether:groups:<action>:<proposal id>); facilitators only."""

    facilitator_only = True

    def __init__(self, action: str, proposal_id: int) -> None:
        super().__init__(discord.ui.Button(label=action.title(), custom_id=f"blether:groups:{action}:{proposal_id}"))
        self.action = action
        self.proposal_id = proposal_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> "ProposalButton":
        """Rebuild the button from its custom_id."""
        return cls(match["action"], int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Run the pressed action (facilitators only, checked in the service)."""
        await guarded(
            interaction, f"groups {self.action} button", press_proposal(interaction, self.action, self.proposal_id)
        )


async def join_group(interaction: discord.Interaction, session_id: int) -> None:
    """Place the caller in a group of the session and tell them where."""
    await interaction.response.defer(ephemeral=True, thinking=True)
    result = await _services(interaction).groups.join_late(actor_from(interaction), session_id)
    await send_ephemeral(interaction, line(core_render.joined(result)))


class JoinButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=JOIN_TEMPLATE):
    """ "Join a group" on a reflection card or reminder (blether:groups:join:<session id>)."""

    def __init__(self, session_id: int) -> None:
        super().__init__(discord.ui.Button(label="Join a group", custom_id=f"blether:groups:join:{session_id}"))
        self.session_id = session_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> "JoinButton":
        """Rebuild the button from its custom_id."""
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Join the smallest group that keeps the mix."""
        await guarded(interaction, "Join a group button", join_group(interaction, self.session_id))


async def answer_meet(interaction: discord.Interaction, answer: str, connection_id: int) -> None:
    """Record the caller's "Did you meet?" answer and thank them privately."""
    await _services(interaction).connections.answer(actor_from(interaction), connection_id, MeetAnswer(answer))
    said = {"yes": "Wonderful — thank you!", "not_yet": "Thanks — there is still time.", "skip": "Noted, thank you."}
    await send_ephemeral(interaction, said[answer])


class MeetButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=MEET_TEMPLATE):
    """Yes / Not yet / Skip under "Did you meet?" (blether:connect:<answer>:<connection id>)."""

    def __init__(self, answer: str, connection_id: int) -> None:
        super().__init__(discord.ui.Button(label=answer, custom_id=f"blether:connect:{answer}:{connection_id}"))
        self.answer = answer
        self.connection_id = connection_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> "MeetButton":
        """Rebuild the button from its custom_id."""
        return cls(match["answer"], int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Record the answer (only the people introduced may answer)."""
        await guarded(interaction, "Did you meet button", answer_meet(interaction, self.answer, self.connection_id))
