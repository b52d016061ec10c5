"""The `session:` option of every command: typed or picked, it is the session's NUMBER, never its id."""

from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.core.programme.domain import SessionChoice
from bot.core.programme.errors import SessionNotFoundError
from cogs._shared.actors import actor_from
from cogs._shared.checks import is_facilitator_command
from cogs._shared.services import blether

if TYPE_CHECKING:
    pass

CHOICE_LIMIT = 25
CHOICE_NAME_LIMIT = 100


def session_choices(found: Sequence[SessionChoice]) -> list[app_commands.Choice[int]]:
    """Return autocomplete choices (≤ 25, names ≤ 100 characters) whose value is the session number."""
    return [
        app_commands.Choice(name=c.name if len(c.name) <= CHOICE_NAME_LIMIT else c.name[:99] + "…", value=c.value)
        for c in found[:CHOICE_LIMIT]
    ]


class SessionNumber(app_commands.Transformer):
    """Offer sessions by number or title and turn the chosen number into the session id.

    Autocomplete values are session numbers, so a facilitator who types "3" without picking from the
    list gets session 3, exactly like one who picks "Session 3 · …".
    """

    @property
    def type(self) -> discord.AppCommandOptionType:
        """Send the option to Discord as an integer."""
        return discord.AppCommandOptionType.integer

    @property
    def min_value(self) -> int:
        """Session numbers start at 1."""
        return 1

    # discord.py declares list[Choice[int | float | str]]: a list is invariant, so an integer option's own
    # choices (list[Choice[int]], what Discord is sent) do not match it although they are valid.
    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction, value: int | float | str, /
    ) -> list[app_commands.Choice[int]]:
        """Suggest sessions matching a number or part of a title."""
        bot = blether(interaction)
        found = await bot.services.programme.search_sessions(interaction.guild_id or 0, str(value or ""))
        return session_choices(found)

    async def transform(self, interaction: discord.Interaction, value: int, /) -> int:
        """Return the id of this server's session with that number (SessionNotFoundError otherwise).

        On a facilitator command the caller is checked first, so someone who may not use it is told so
        instead of learning which session numbers exist.
        """
        if interaction.guild_id is None:
            raise SessionNotFoundError(f"session {value}")
        bot = blether(interaction)
        command = interaction.command
        if command is not None and is_facilitator_command(command):
            await bot.services.programme.authorise(actor_from(interaction), f"use /{command.qualified_name}")
        session = await bot.services.programme.get_session_by_number(interaction.guild_id, int(value))
        return session.id


SessionOption = app_commands.Transform[int, SessionNumber]
"""A session picked (or typed) by number; the command receives its id."""
