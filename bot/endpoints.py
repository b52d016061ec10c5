"""Point discord.py's REST and gateway at a proxy or the local test server when configured."""

import logging

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

log = logging.getLogger(__name__)


def apply_endpoints(api_base_url: str | None, gateway_url: str | None) -> None:
    """Set Route.BASE and DiscordWebSocket.DEFAULT_GATEWAY (both: a non-sharded bot never asks REST)."""
    if api_base_url:
        Route.BASE = api_base_url.rstrip("/")
        log.warning("Discord REST API base overridden: %s", Route.BASE)
    if gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
        log.warning("Discord gateway overridden: %s", gateway_url)
    log.debug("discord.py %s", discord.__version__)
