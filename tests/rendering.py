"""Read the core's rich text as the Discord renderer writes it, uncut, so tests see what Discord would get.

Rendering without a limit shows a layout that would only fit because the renderer cut it.
"""

from bot.core.messages import Embed, RichText
from bot.discord_render import Mode, render

UNLIMITED = 10**9


def written(value: RichText | None, *, mode: Mode = Mode.MARKDOWN) -> str:
    """Return value as the Discord renderer writes it (not cut)."""
    return render(value, UNLIMITED, mode=mode)


def embed_parts(embed: Embed) -> tuple[str, str, str, list[tuple[str, str]]]:
    """Return an embed's title, description, footer and (name, value) fields as Discord gets them."""
    return (
        written(embed.title, mode=Mode.INLINE),
        written(embed.description),
        written(embed.footer, mode=Mode.PLAIN),
        [(written(f.name, mode=Mode.INLINE), written(f.value)) for f in embed.fields],
    )
