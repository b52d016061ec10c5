"""Make text that came from users safe to show in embeds and messages: no pings, no tricks, bounded length."""

import re
import unicodedata
from datetime import datetime

ELLIPSIS = "…"
ZWSP = "\u200b"

# Markdown characters that Discord renders anywhere in a line; a backslash before any ASCII punctuation
# shows the punctuation itself.
_MARKDOWN_ANYWHERE = frozenset("\\*_~`|[]")
# Markdown that only matters at the start of a line: quotes, headings, subtext and list bullets.
_MARKDOWN_LINE_START = frozenset(">#-+")
_MASS_MENTION = re.compile(r"@(?=everyone|here)", re.IGNORECASE)
_MENTION_OPENER = re.compile(r"<(?=[@#])")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")
# Invisible characters that are not in Unicode's Cc/Cf categories but still hide or reorder text.
_EXTRA_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _is_unsafe(char: str) -> bool:
    """Tell whether a character is a control, format (zero-width, bidi override) or other invisible one."""
    category = unicodedata.category(char)
    return category in ("Cc", "Cf", "Co", "Cs", "Cn") or char in _EXTRA_INVISIBLE


def clean_text(text: str, *, keep_newlines: bool = True) -> str:
    """Remove control, zero-width and bidi-override characters and normalise whitespace (no escaping).

    Use it for text that leaves Discord's markdown behind (calendar files, Scheduled Events).
    """
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    chars: list[str] = []
    for char in text:
        if char == "\n":
            chars.append("\n" if keep_newlines else " ")
        elif char == "\t" or (char.isspace() and not _is_unsafe(char)):
            chars.append(" ")
        elif not _is_unsafe(char):
            chars.append(char)
    cleaned = "".join(chars)
    if not keep_newlines:
        return " ".join(cleaned.split())
    lines = [_SPACES.sub(" ", line).strip() for line in cleaned.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")


def _escaped_units(text: str) -> list[str]:
    """Escape text one source character at a time so that a cut between units never breaks an escape."""
    units: list[str] = []
    mass_mentions = {m.start() for m in _MASS_MENTION.finditer(text)}
    openers = {m.start() for m in _MENTION_OPENER.finditer(text)}
    line_start = True
    for index, char in enumerate(text):
        if index in mass_mentions or index in openers:
            unit = char + ZWSP  # "@\u200beveryone" and "<\u200b@123>" show as typed but never ping
        elif char in _MARKDOWN_ANYWHERE or (line_start and char in _MARKDOWN_LINE_START):
            unit = "\\" + char
        else:
            unit = char
        units.append(unit)
        if char == "\n":
            line_start = True
        elif char != " ":
            line_start = False
    return units


def _truncate(units: list[str], limit: int) -> str:
    """Join units, cutting at a word boundary and adding an ellipsis when they exceed limit characters."""
    total = sum(len(u) for u in units)
    if total <= limit:
        return "".join(units)
    budget = limit - len(ELLIPSIS)
    if budget <= 0:
        return ELLIPSIS[:limit]
    used = 0
    end = 0
    while end < len(units) and used + len(units[end]) <= budget:
        used += len(units[end])
        end += 1
    # Back off to the last space or newline, unless that would throw away more than half the text.
    boundary = end
    while boundary > 0 and units[boundary - 1] not in (" ", "\n") and units[boundary] not in (" ", "\n"):
        boundary -= 1
    if boundary > end // 2:
        end = boundary
    return "".join(units[:end]).rstrip() + ELLIPSIS


def sanitise_inline(text: str | None, limit: int) -> str:
    """Make user text safe for one line of an embed: no pings, markdown or hidden characters; ≤ limit chars.

    Strips control, zero-width and bidi-override characters, neutralises @everyone/@here and
    <@…>/<@&…>/<#…> mention syntax, escapes markdown, collapses all whitespace (newlines too)
    and cuts at a word boundary with "…".
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if not text:
        return ""
    return _truncate(_escaped_units(clean_text(text, keep_newlines=False)), limit)


def sanitise_block(text: str | None, limit: int) -> str:
    """Like sanitise_inline, but keep line breaks (at most one blank line in a row)."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if not text:
        return ""
    return _truncate(_escaped_units(clean_text(text, keep_newlines=True)), limit)


def discord_timestamp(when: datetime, style: str = "F") -> str:
    """Return Discord's timestamp markup (<t:UNIX:STYLE>), shown in each reader's own time zone.

    Styles: F full date and time, f short date and time, D date, R relative ("in 3 days").
    """
    return f"<t:{int(when.timestamp())}:{style}>"
