"""Clicks on buttons whose custom_id the test chooses (stale, tampered or forged ids)."""

from typing import Any


async def click_with_id(fake: Any, message: Any, custom_id: str, user: Any) -> Any:
    """Give a bot message one button with custom_id, then press it as user.

    Discord only sends a click for a component the message really has (and discord.py ignores clicks
    on DynamicItem ids the message lacks), so the button is put on the message first: as if an older
    Blether, or a bug, had posted it.
    """
    button = {"type": 2, "style": 2, "label": "Press", "custom_id": custom_id}
    message.components = [{"type": 1, "components": [button]}]
    return await fake.click(message, custom_id, user=user)
