"""Clean text that came from users: no hidden characters, normalised whitespace. Nothing is escaped here.

Escaping is each adapter's business (bot.discord_render for Discord): the core keeps text as people wrote it.
"""

import re
import unicodedata

from bot.core.messages import clip

_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")
# Invisible characters that are not in Unicode's Cc/Cf categories but still hide or reorder text.
_EXTRA_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def is_hidden(char: str) -> bool:
    """Tell whether a character is a control, format (zero-width, bidi override) or other invisible one."""
    category = unicodedata.category(char)
    return category in ("Cc", "Cf", "Co", "Cs", "Cn") or char in _EXTRA_INVISIBLE


def clean_text(text: str, *, keep_newlines: bool = True) -> str:
    """Remove control, zero-width and bidi-override characters and normalise whitespace (no escaping).

    Every adapter relies on it; the core cleans what people type before storing or showing it.
    """
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    chars: list[str] = []
    for char in text:
        if char == "\n":
            chars.append("\n" if keep_newlines else " ")
        elif char == "\t" or (char.isspace() and not is_hidden(char)):
            chars.append(" ")
        elif not is_hidden(char):
            chars.append(char)
    cleaned = "".join(chars)
    if not keep_newlines:
        return " ".join(cleaned.split())
    lines = [_SPACES.sub(" ", line).strip() for line in cleaned.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")


def one_line(text: str | None, limit: int) -> str:
    """Return user text cleaned onto one line and cut to limit characters at a word, with "…" (nothing escaped)."""
    return clip(clean_text(text or "", keep_newlines=False), limit) if text else ""


def paragraphs(text: str | None, limit: int) -> str:
    """Return user text cleaned (line breaks kept) and cut to limit characters at a word, with "…"."""
    return clip(clean_text(text or ""), limit) if text else ""
