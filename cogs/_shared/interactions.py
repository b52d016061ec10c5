"""Blether's own routing for modal submits and a guard for tampered or stale custom_ids.

discord.py drops (with only a debug log) a modal submit whose Modal object is gone, e.g. after a
restart. Blether therefore never relies on discord.py's modal store: `open_modal` sends the modal
and immediately stops it (so discord.py forgets it), and every submit is handled here by custom_id,
the same way before and after a restart. Button clicks go to DynamicItems; a click whose
"blether:" custom_id matches none of them is refused and logged.
"""

import logging
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import discord

from cogs._shared.replies import report_error, send_ephemeral

log = logging.getLogger(__name__)

NAMESPACE = "blether:"

ModalValue = str | bool | list[str] | None
ModalHandler = Callable[[discord.Interaction, re.Match[str], Mapping[str, ModalValue]], Awaitable[None]]


def _walk(components: Any) -> Iterator[dict[str, Any]]:
    if isinstance(components, list):
        for item in components:
            yield from _walk(item)
    elif isinstance(components, dict):
        if "custom_id" in components:
            yield components
        for key in ("components", "component"):
            if key in components:
                yield from _walk(components[key])


def modal_values(data: Mapping[str, Any]) -> dict[str, ModalValue]:
    """Extract {custom_id: value} from a raw modal submit (TextInput, RadioGroup, Checkbox, selects)."""
    values: dict[str, ModalValue] = {}
    for component in _walk(data.get("components", [])):
        custom_id = str(component["custom_id"])
        if "values" in component:
            values[custom_id] = [str(v) for v in component.get("values") or []]
        elif "value" in component:
            value = component["value"]
            values[custom_id] = value if isinstance(value, bool) or value is None else str(value)
    return values


@dataclass(frozen=True, slots=True)
class _Route:
    pattern: re.Pattern[str]
    handler: ModalHandler
    name: str


class InteractionRouter:
    """Route modal submits by custom_id pattern and refuse unknown blether: components."""

    def __init__(self) -> None:
        self._modal_routes: list[_Route] = []
        self._component_patterns: list[re.Pattern[str]] = []

    def add_modal(self, pattern: str, handler: ModalHandler, *, name: str) -> None:
        """Handle submits of modals whose custom_id fully matches pattern."""
        self._modal_routes.append(_Route(re.compile(pattern), handler, name))

    def add_component_pattern(self, pattern: str | re.Pattern[str]) -> None:
        """Declare a component custom_id pattern that a DynamicItem handles."""
        self._component_patterns.append(re.compile(pattern) if isinstance(pattern, str) else pattern)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Handle modal submits; refuse unknown blether: buttons."""
        data: Mapping[str, Any] = interaction.data or {}
        custom_id = str(data.get("custom_id", ""))
        if interaction.type is discord.InteractionType.modal_submit:
            await self._route_modal(interaction, custom_id, data)
        elif (
            interaction.type is discord.InteractionType.component
            and custom_id.startswith(NAMESPACE)
            and not any(p.fullmatch(custom_id) for p in self._component_patterns)
        ):
            log.warning("Refused tampered or unknown component id from user %s", interaction.user.id)
            await send_ephemeral(interaction, "That button is not valid (any more). Nothing was changed.")

    async def _route_modal(self, interaction: discord.Interaction, custom_id: str, data: Mapping[str, Any]) -> None:
        for route in self._modal_routes:
            match = route.pattern.fullmatch(custom_id)
            if match is None:
                continue
            try:
                await route.handler(interaction, match, modal_values(data))
            except Exception as error:
                await report_error(interaction, error, where=f"modal {route.name}")
            return
        if custom_id.startswith(NAMESPACE):
            log.warning("Refused tampered or unknown modal id from user %s", interaction.user.id)
            await send_ephemeral(interaction, "That form is not valid (any more). Nothing was saved.")


async def open_modal(interaction: discord.Interaction, modal: discord.ui.Modal) -> None:
    """Send a modal and let the InteractionRouter, not discord.py's store, handle its submit."""
    await interaction.response.send_modal(modal)
    modal.stop()


async def guarded(interaction: discord.Interaction, where: str, action: Awaitable[None]) -> None:
    """Run a component callback and map any error to a friendly private reply."""
    try:
        await action
    except Exception as error:
        await report_error(interaction, error, where=where)
