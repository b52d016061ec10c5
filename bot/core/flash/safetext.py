"""User text made safe for a Flash Report on Discord, with its links kept whole and readable.

bot.core.text removes hidden characters, defuses mentions and escapes markdown, but it would escape the
underscores of a link and may cut one in half. Here masked links are first rewritten as
"text (https://real.example)", links are kept out of the escaping, and shortening happens only at
whitespace, so a link is either shown whole or not at all.
"""

import re

from bot.core.flash.urls import defuse_link, reveal_masked_links, split_links
from bot.core.text import ELLIPSIS, clean_text, sanitise_block

_UNLIMITED = 1_000_000
_WHITESPACE = re.compile(r"\s")


def tidy(text: str | None, *, block: bool = False) -> str:
    """Return text as it is stored: hidden characters removed, whitespace normalised (nothing escaped)."""
    return clean_text(text or "", keep_newlines=block)


def _escape_piece(piece: str) -> str:
    """Escape a piece of plain text, keeping the whitespace at its edges (escaping strips it)."""
    core = piece.strip(" \n")
    if not core:
        return piece
    lead = piece[: len(piece) - len(piece.lstrip(" \n"))]
    trail = piece[len(piece.rstrip(" \n")) :]
    return lead + sanitise_block(core, _UNLIMITED) + trail


def shorten(text: str, limit: int) -> str:
    """Cut text to at most limit characters at a whitespace boundary, ending with "…".

    Links and escapes never contain whitespace, so they stay whole. Only a single word longer than the
    whole budget is cut inside; then the cut moves before any link in it and off a dangling backslash.
    """
    if len(text) <= limit:
        return text
    budget = limit - len(ELLIPSIS)
    if budget <= 0:
        return ELLIPSIS[:limit]
    head = text[: budget + 1]
    cut = max((m.start() for m in _WHITESPACE.finditer(head)), default=-1)
    if cut > 0:
        return text[:cut].rstrip() + ELLIPSIS
    end = budget
    for piece_start, (piece, is_link) in _pieces_with_offsets(text):
        if is_link and piece_start < end < piece_start + len(piece):
            end = piece_start
            break
    while end > 0 and text[end - 1] == "\\":
        end -= 1
    return text[:end] + ELLIPSIS


def _pieces_with_offsets(text: str) -> list[tuple[int, tuple[str, bool]]]:
    offset = 0
    found = []
    for piece in split_links(text):
        found.append((offset, piece))
        offset += len(piece[0])
    return found


def discord_text(text: str | None, limit: int, *, block: bool = False) -> str:
    """Return user text ready for an embed: no pings, markdown escaped, real link addresses, ≤ limit chars.

    block keeps line breaks (at most one blank line in a row); otherwise everything is one line.
    """
    cleaned = reveal_masked_links(tidy(text, block=block))
    if not cleaned:
        return ""
    parts = [defuse_link(piece) if is_link else _escape_piece(piece) for piece, is_link in split_links(cleaned)]
    return shorten("".join(parts).strip(), limit)


def plain_text(text: str | None, *, block: bool = False) -> str:
    """Return user text for exports: hidden characters removed and masked links revealed (not escaped)."""
    return reveal_masked_links(tidy(text, block=block))
