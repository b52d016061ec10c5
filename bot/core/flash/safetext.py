"""User text for a Flash Report: cleaned, masked links revealed, links kept whole; nothing escaped.

rich_text turns what people wrote into rich text whose links are Link spans (each adapter shows them as
links and escapes the rest its own way) and shortens it only at whitespace, so a link is either shown
whole or not at all. Its budget is counted with markup_size, an upper bound of the length once an adapter
has escaped it, so every entry fits a message by construction.
"""

import re

from bot.core.flash.urls import defuse_link, reveal_masked_links, split_links
from bot.core.messages import ELLIPSIS, Link, Span, Text, markup_size
from bot.core.text import clean_text

_WHITESPACE = re.compile(r"\s")
_WORDS = re.compile(r"(\s+)")


def tidy(text: str | None, *, block: bool = False) -> str:
    """Return text as it is stored: hidden characters removed, whitespace normalised (nothing escaped)."""
    return clean_text(text or "", keep_newlines=block)


def shorten(text: str, limit: int) -> str:
    """Cut plain text to at most limit characters at a whitespace boundary, ending with "…".

    Links never contain whitespace, so they stay whole. Only a single word longer than the whole budget is
    cut inside; then the cut moves before any link in it.
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
    offset = 0
    for piece, is_link in split_links(text):
        if is_link and offset < end < offset + len(piece):
            end = offset
            break
        offset += len(piece)
    return text[:end] + ELLIPSIS


def _words(cleaned: str) -> list[Span]:
    """Split cleaned text into words, whitespace runs and links (as Link spans)."""
    spans: list[Span] = []
    for piece, is_link in split_links(cleaned):
        if is_link:
            url = defuse_link(piece)
            spans.append(Link(url, url))
        else:
            spans.extend(part for part in _WORDS.split(piece) if part)
    return spans


def _fit_words(words: list[Span], limit: int) -> Text:
    """Keep whole words and links while the markup size stays within limit; "…" marks a cut."""
    if markup_size(Text(tuple(words))) <= limit:
        return Text(tuple(words))
    budget = limit - len(ELLIPSIS)
    kept: list[Span] = []
    used = 0
    for word in words:
        size = markup_size(Text((word,)))
        if used + size > budget:
            if not kept and isinstance(word, str):  # one word longer than the budget: cut inside it
                while word and markup_size(word) > budget:
                    word = word[:-1]
                kept.append(word)
            break
        kept.append(word)
        used += size
    while kept and isinstance(kept[-1], str) and not kept[-1].strip():
        kept.pop()
    return Text((*kept, ELLIPSIS)) if budget > 0 else Text((ELLIPSIS[:limit],))


def rich_text(text: str | None, limit: int, *, block: bool = False) -> Text:
    """Return user text as rich text: hidden characters removed, masked links revealed, links as Link spans.

    block keeps line breaks (at most one blank line in a row); otherwise everything is one line. The result's
    markup_size is at most limit; it is shortened only between words, never inside a link.
    """
    cleaned = reveal_masked_links(tidy(text, block=block))
    if not cleaned:
        return Text()
    return _fit_words(_words(cleaned), limit)


def plain_text(text: str | None, *, block: bool = False) -> str:
    """Return user text for exports: hidden characters removed and masked links revealed (not escaped)."""
    return reveal_masked_links(tidy(text, block=block))
