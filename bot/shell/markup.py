"""TEMPORARY: read Discord markup in core strings as rich Text, until the core returns Text everywhere.

The core's renderers are being converted from Discord markup strings ("**bold**", "<t:…:F>", "<@&…>",
"[label](url)", backslash escapes) to bot.core.messages.Text. Until that lands on main, the shell reads
the strings it still gets through this converter. Delete this module (and its one caller in
bot/shell/render.py) once no core renderer returns markup.
"""

import re
from datetime import UTC, datetime

from bot.core.messages import Emphasis, Link, Mention, MentionKind, Span, Styled, Text, Time, TimeStyle

_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_PRIVATE = 0xF0000  # escaped characters hide in a private-use plane while markup is read
_ZWSP = "\u200b"
_STYLES = {"t": TimeStyle.TIME, "T": TimeStyle.TIME, "d": TimeStyle.DATE, "D": TimeStyle.DATE}
_STYLES |= {"f": TimeStyle.SHORT, "F": TimeStyle.FULL, "R": TimeStyle.RELATIVE}
_INLINE = re.compile(
    r"<t:(?P<unix>-?\d{1,12})(?::(?P<style>[tTdDfFR]))?>"
    r"|<@!?(?P<user>\d{1,20})>|<@&(?P<role>\d{1,20})>|<#(?P<channel>\d{1,20})>"
    r"|\[(?P<label>[^\]\n]+)\]\(<?(?P<url>https?://[^\s)>]+)>?\)"
    r"|<(?P<bare>https?://[^\s>]+)>"
    r"|\*\*(?P<strong>.+?)\*\*|__(?P<under>.+?)__|~~(?P<strike>.+?)~~|`(?P<code>[^`\n]+)`"
    r"|(?<![\w*])\*(?P<star>[^*\s](?:[^*\n]*[^*\s])?)\*(?![\w*])"
    r"|(?<![\w_])_(?P<under1>[^_\s](?:[^_\n]*[^_\s])?)_(?![\w_])",
    re.DOTALL,
)


def _hide(match: re.Match[str]) -> str:
    return chr(_PRIVATE + ord(match.group(1)))


def _restore(value: str) -> str:
    return "".join(chr(ord(c) - _PRIVATE) if ord(c) >= _PRIVATE else c for c in value)


def _lines(value: str) -> str:
    """Drop line-level markup: code fences, "-# " subtext markers."""
    kept = []
    for line in value.split("\n"):
        if line.strip().startswith("```"):
            continue
        kept.append(line[3:] if line.startswith("-# ") else line)
    return "\n".join(kept)


def _spans(value: str) -> list[Span]:
    spans: list[Span] = []
    position = 0
    for match in _INLINE.finditer(value):
        if match.start() > position:
            spans.append(_restore(value[position : match.start()]))
        position = match.end()
        groups = match.groupdict()
        if groups["unix"] is not None:
            when = datetime.fromtimestamp(int(groups["unix"]), UTC)
            spans.append(Time(when, _STYLES.get(groups["style"] or "f", TimeStyle.SHORT)))
        elif groups["user"] is not None:
            spans.append(Mention(MentionKind.USER, int(groups["user"])))
        elif groups["role"] is not None:
            spans.append(Mention(MentionKind.ROLE, int(groups["role"])))
        elif groups["channel"] is not None:
            spans.append(Mention(MentionKind.CHANNEL, int(groups["channel"])))
        elif groups["url"] is not None:
            spans.append(Link(_restore(groups["label"]), groups["url"]))
        elif groups["bare"] is not None:
            spans.append(_restore(groups["bare"]))
        else:
            spans.append(_styled(groups))
    if position < len(value):
        spans.append(_restore(value[position:]))
    return spans


def _styled(groups: dict[str, str | None]) -> Styled:
    for name, emphasis in (
        ("strong", Emphasis.STRONG),
        ("under", Emphasis.STRONG),
        ("strike", Emphasis.STRIKE),
        ("star", Emphasis.ITALIC),
        ("under1", Emphasis.ITALIC),
    ):
        inner = groups[name]
        if inner is not None:
            return Styled(emphasis, Text(tuple(_spans(inner))))
    return Styled(Emphasis.CODE, Text((_restore(groups["code"] or ""),)))


def from_markup(value: str) -> Text:
    """Read a string written in Discord markup as Text (escapes become the literal characters)."""
    hidden = _ESCAPE.sub(_hide, value.replace(_ZWSP, ""))
    return Text(tuple(_spans(_lines(hidden))))
