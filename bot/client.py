"""The Discord client: the commands.Bot subclass, its command tree and the one error mapping."""

import hashlib
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Settings
from bot.core.storage.database import Database
from bot.core.storage.state import SqlStateRepository
from cogs import EXTENSIONS
from cogs._shared.interactions import InteractionRouter
from cogs._shared.replies import report_error

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)

COMMAND_HASH_KEY = "command_tree_hash"


def required_intents() -> discord.Intents:
    """Return the gateway intents Blether needs (see README: why each)."""
    intents = discord.Intents.none()
    intents.guilds = True  # channels, roles, the guild itself
    intents.members = True  # privileged: match attendance imports by name; mark leavers inactive
    intents.voice_states = True  # attendance by presence in the session's voice/stage channel
    intents.guild_reactions = True  # a facilitator's 📌 nominates a message for the Flash Report
    return intents


class BletherTree(app_commands.CommandTree["BletherBot"]):
    """Command tree whose errors all go through cogs._shared.replies.report_error."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Map domain errors to friendly private replies; log the rest with a reference."""
        name = interaction.command.qualified_name if interaction.command else "an interaction"
        await report_error(interaction, error, where=f"/{name}")


class BletherBot(commands.Bot):
    """Blether's Discord client: owns the services and the cogs."""

    def __init__(
        self,
        *,
        settings: Settings,
        database: Database,
        services_factory: Callable[["BletherBot"], "Services"],
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=required_intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=BletherTree,
            help_command=None,
            max_messages=1000,
            chunk_guilds_at_startup=False,
        )
        self.settings = settings
        self.database = database
        self._services_factory = services_factory
        self._services: Services | None = None
        self.router = InteractionRouter()
        self.add_listener(self.router.on_interaction, "on_interaction")

    @property
    def services(self) -> "Services":
        """Return the services built in setup_hook."""
        if self._services is None:
            raise RuntimeError("services are built in setup_hook")
        return self._services

    async def setup_hook(self) -> None:
        """Build services, load cogs, start background work and sync commands."""
        self._services = self._services_factory(self)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.services.start()
        await self.sync_commands()

    def add_persistent_buttons(self, *items: type[discord.ui.DynamicItem[Any]]) -> None:
        """Register DynamicItem buttons (they work after restarts) and tell the router their patterns."""
        self.add_dynamic_items(*items)
        for item in items:
            self.router.add_component_pattern(item.__discord_ui_compiled_template__)

    async def sync_commands(self) -> None:
        """Sync to DISCORD_GUILD_ID at once; globally only when the command tree changed."""
        if self.settings.guild_id is not None:
            guild = discord.Object(self.settings.guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("Synced %d commands to guild %s", len(synced), self.settings.guild_id)
            return
        digest = self.command_tree_hash()
        async with self.database.unit_of_work() as uow:
            previous = await uow.repo(SqlStateRepository).get(COMMAND_HASH_KEY)
        if previous == digest:
            log.info("Command tree unchanged; global sync skipped")
            return
        synced = await self.tree.sync()
        async with self.database.unit_of_work() as uow:
            await uow.repo(SqlStateRepository).set(COMMAND_HASH_KEY, digest, now=self.services.clock.now())
            await uow.commit()
        log.info("Synced %d global commands (tree changed)", len(synced))

    def command_tree_hash(self) -> str:
        """Hash the command tree's payload so an unchanged tree is never re-synced globally."""
        payload: list[dict[str, Any]] = [cmd.to_dict(self.tree) for cmd in self.tree.get_commands()]
        blob = json.dumps(sorted(payload, key=lambda c: (c.get("type", 1), c["name"])), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    async def on_ready(self) -> None:
        """Log that the gateway is ready and bring each server's scheduled work up to date."""
        log.info("Connected as %s (id %s) to %d server(s)", self.user, self.user and self.user.id, len(self.guilds))
        for guild in self.guilds:
            try:
                await self.services.prepare_guild(guild.id)
            except Exception:
                log.exception("Could not prepare server %s", guild.id)

    async def close(self) -> None:
        """Stop background services, then disconnect."""
        if self._services is not None:
            await self._services.stop()
        await super().close()
