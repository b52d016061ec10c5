"""Shared pieces for the benchmarks that talk to the loopback fake Discord: the bare baseline bot."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import discord
from discord import app_commands

TOKEN = "MTA5MjM0NTY3ODkwMTIzNDU2Nw.GQ2x9a.benchTokenNeverInLogs0123456789ab"


class BareBot(discord.Client):
    """The baseline: a bare discord.py client with one guild slash command that replies "ok"."""

    def __init__(self, guild_id: int, *, intents: discord.Intents | None = None, **options: Any) -> None:
        super().__init__(intents=intents or discord.Intents.default(), **options)
        self.guild_id = guild_id
        self.tree = app_commands.CommandTree(self)

        @app_commands.command(name="ok", description="Reply ok")
        async def ok(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("ok", ephemeral=True)

        self.tree.add_command(ok, guild=discord.Object(guild_id))

    async def setup_hook(self) -> None:
        """Sync the one guild command."""
        await self.tree.sync(guild=discord.Object(self.guild_id))


@contextlib.asynccontextmanager
async def running_bare(fake: Any, *, intents: discord.Intents | None = None, **options: Any) -> AsyncIterator[BareBot]:
    """Run a BareBot against the fake until the block ends (options go to discord.Client)."""
    with fake.patch_discord_py():
        client = BareBot(fake.guild_id, intents=intents, **options)
        task = asyncio.create_task(client.start(fake.token))
        try:
            await asyncio.wait_for(client.wait_until_ready(), timeout=30)
            yield client
        finally:
            await client.close()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=10)
