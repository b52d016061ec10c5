"""Export a published issue as Markdown or standalone HTML (for an email newsletter or a website).

Both read the frozen snapshot, never the live items, so an export shows what was published (minus what was
erased at someone's request, which the export says). Discord-only syntax is replaced: times are written out
in the programme's time zone and voice channels are described in words. All user text is escaped for the
format; links are shown with their real address.
"""

import html
import re
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

from bot.core.flash.content import IssueContent, NextSession, Recap
from bot.core.flash.domain import PublishedIssue
from bot.core.flash.errors import InvalidExportFormatError
from bot.core.flash.render import long_date, month_label, resource_groups
from bot.core.flash.safetext import plain_text
from bot.core.flash.service import published_issue
from bot.core.flash.urls import split_links
from bot.core.storage.database import Database

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&])")
_MD_BULLET = re.compile(r"^(\s*)([-+])", re.MULTILINE)
_MD_NUMBERED = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)


# -- shared wording ------------------------------------------------------------------------------------------


def _when(session: NextSession, zone: ZoneInfo) -> str:
    local = session.starts_at.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M} {local.tzname()}"


def _where(session: NextSession) -> tuple[str, str | None]:
    """Return (words, link) for the session's place."""
    if session.location_kind == "url" and session.location_url:
        return "Online", session.location_url
    if session.location_kind in ("voice", "stage"):
        return "In a voice channel on our Discord server", None
    return "Location to follow", None


def _recap_facts(recap: Recap) -> str:
    facts = [f"{recap.attendance} took part", f"{recap.reflections} reflection{'s' * (recap.reflections != 1)}"]
    if recap.shows_rating and recap.average_rating is not None:
        facts.append(f"average rating {recap.average_rating:.1f} / 5 from {recap.rating_count} ratings")
    return " · ".join(facts)


def _session_name(number: int | None, title: str) -> str:
    return f"Session {number}: {title}" if number is not None else title


def _removals(content: IssueContent, zone: ZoneInfo) -> list[str]:
    return [
        f"{r.count} item{'s' * (r.count != 1)} removed at the person's request on {long_date(r.on, zone)}."
        for r in content.removals
    ]


def _welcome(content: IssueContent) -> str | None:
    if content.welcome_count <= 0:
        return None
    people = "person" if content.welcome_count == 1 else "people"
    return f"A warm welcome to the {content.welcome_count} {people} who joined since the last issue!"


# -- Markdown ------------------------------------------------------------------------------------------------


def md_escape(text: str) -> str:
    """Escape user text for Markdown, keeping its links whole and clickable."""
    parts = []
    for piece, is_link in split_links(text):
        if is_link:
            parts.append(f"<{piece}>")
        else:
            escaped = _MD_SPECIAL.sub(r"\\\1", piece)
            parts.append(_MD_NUMBERED.sub(r"\1\\\2", _MD_BULLET.sub(r"\1\\\2", escaped)))
    return "".join(parts)


def _md(text: str, *, block: bool = False) -> str:
    return md_escape(plain_text(text, block=block))


def export_markdown(issue: PublishedIssue) -> str:
    """Return the published issue as Markdown."""
    content = issue.snapshot.content
    zone = ZoneInfo(content.timezone)
    published = issue.issue.published_at or content.compiled_at
    lines = [f"# {content.title} · {month_label(published, zone)}", "", f"_Published {long_date(published, zone)}_", ""]
    lines += [_md(content.intro, block=True), ""]
    if welcome := _welcome(content):
        lines += [welcome, ""]
    for note in _removals(content, zone):
        lines += [f"> _{note}_", ""]
    if content.recap is not None:
        recap = content.recap
        lines += ["## Our last session", "", f"**{_md(_session_name(recap.session_number, recap.session_title))}**"]
        lines += ["", _recap_facts(recap), ""]
        for quote in recap.quotes:
            lines += [f"> “{_md(quote.text)}”", ""]
    if content.next_session is not None:
        session = content.next_session
        words, link = _where(session)
        lines += ["## Next session", "", f"**{_md(_session_name(session.number, session.title))}**", ""]
        lines += [f"- When: {_when(session, zone)}", f"- Where: {words}" + (f" <{link}>" if link else ""), ""]
    if content.resources:
        lines += ["## Resources", ""]
        for tag, entries in resource_groups(content.resources):
            lines += [f"### {'#' + tag if tag else 'More resources'}", ""]
            for entry in entries:
                title = _md(entry.title) or md_escape(entry.url)
                note = f" — {_md(entry.note)}" if entry.note else ""
                tags = " ".join(f"\\#{t}" for t in entry.tags)
                credit = f"shared by {_md(entry.credit) or 'a participant'}"
                lines.append(f"- **{title}** <{entry.url}>{note} _({tags + ' · ' if tags else ''}{credit})_")
            lines.append("")
    if content.nominations:
        lines += ["## Nominated from our conversations", ""]
        for nomination in content.nominations:
            head = _md(nomination.title) or "From our conversations"
            parts = [f"- **{head}**"]
            if nomination.link:
                parts.append(f"<{nomination.link}>")
            if nomination.excerpt:
                parts.append(f"“{_md(nomination.excerpt)}”")
            if nomination.note:
                parts.append(f"— {_md(nomination.note)}")
            lines.append(" ".join(parts))
        lines.append("")
    if content.stories:
        lines += ["## Stories of change", ""]
        for story in content.stories:
            text = _md(story.text, block=True)
            lines += ["\n".join(f"> {line}" if line else ">" for line in text.split("\n"))]
            lines += [f"> — {_md(story.credit) if story.credit else 'a participant'}", ""]
    if content.is_empty:
        lines += ["_Nothing was shared for this issue._", ""]
    return "\n".join(lines).rstrip() + "\n"


# -- HTML ----------------------------------------------------------------------------------------------------

_BODY = "margin:0;padding:0;background:#f4f3ee;"
_PAGE = (
    "max-width:640px;margin:0 auto;padding:24px;background:#ffffff;color:#222222;"
    "font-family:Georgia,'Times New Roman',serif;font-size:16px;line-height:1.5;"
)
_H1 = "font-size:26px;margin:0 0 4px 0;color:#2e7d5b;"
_H2 = "font-size:20px;margin:28px 0 8px 0;color:#2e7d5b;border-bottom:1px solid #d8e6df;padding-bottom:4px;"
_H3 = "font-size:17px;margin:18px 0 6px 0;color:#444444;"
_META = "color:#666666;font-size:14px;margin:0 0 16px 0;"
_NOTE = "color:#666666;font-style:italic;"
_QUOTE = "margin:8px 0;padding:4px 12px;border-left:3px solid #c9a227;color:#333333;"
_ITEM = "margin:0 0 12px 0;"
_LINK = "color:#1a5e9a;word-break:break-all;"


def html_text(text: str) -> str:
    """Escape user text for HTML; its links become real, escaped links showing their address."""
    parts = []
    for piece, is_link in split_links(text):
        escaped = html.escape(piece, quote=True)
        parts.append(f'<a href="{escaped}" style="{_LINK}">{escaped}</a>' if is_link else escaped)
    return "".join(parts)


def _h(text: str, *, block: bool = False) -> str:
    escaped = html_text(plain_text(text, block=block))
    return escaped.replace("\n", "<br>\n") if block else escaped


def _link(url: str) -> str:
    escaped = html.escape(url, quote=True)
    return f'<a href="{escaped}" style="{_LINK}">{escaped}</a>'


def _section(title: str, body: Iterable[str]) -> list[str]:
    return [f'<h2 style="{_H2}">{html.escape(title)}</h2>', *body]


def _html_body(content: IssueContent, published_text: str, zone: ZoneInfo) -> list[str]:
    out = [
        f'<h1 style="{_H1}">{html.escape(content.title)}</h1>',
        f'<p style="{_META}">{html.escape(published_text)}</p>',
        f"<p>{_h(content.intro, block=True)}</p>",
    ]
    if welcome := _welcome(content):
        out.append(f"<p>{html.escape(welcome)}</p>")
    out += [f'<p style="{_NOTE}">{html.escape(note)}</p>' for note in _removals(content, zone)]
    if content.recap is not None:
        recap = content.recap
        body = [
            f"<p><strong>{_h(_session_name(recap.session_number, recap.session_title))}</strong><br>",
            f"{html.escape(_recap_facts(recap))}</p>",
        ]
        body += [f'<blockquote style="{_QUOTE}">“{_h(q.text)}”</blockquote>' for q in recap.quotes]
        out += _section("Our last session", body)
    if content.next_session is not None:
        session = content.next_session
        words, link = _where(session)
        where = html.escape(words) + (f" {_link(link)}" if link else "")
        out += _section(
            "Next session",
            [
                f"<p><strong>{_h(_session_name(session.number, session.title))}</strong><br>",
                f"{html.escape(_when(session, zone))}<br>{where}</p>",
            ],
        )
    if content.resources:
        body = []
        for tag, entries in resource_groups(content.resources):
            body.append(f'<h3 style="{_H3}">{html.escape("#" + tag if tag else "More resources")}</h3>')
            for entry in entries:
                title = _h(entry.title) or html.escape(entry.url)
                note = f"<br>{_h(entry.note)}" if entry.note else ""
                tags = " ".join(f"#{t}" for t in entry.tags)
                credit = f"shared by {_h(entry.credit) or 'a participant'}"
                meta = f'<br><span style="{_NOTE}">{html.escape(tags + " · ") if tags else ""}{credit}</span>'
                body.append(f'<p style="{_ITEM}"><strong>{title}</strong><br>{_link(entry.url)}{note}{meta}</p>')
        out += _section("Resources", body)
    if content.nominations:
        body = []
        for nomination in content.nominations:
            parts = [f"<strong>{_h(nomination.title) or 'From our conversations'}</strong>"]
            if nomination.link:
                parts.append(_link(nomination.link))
            if nomination.excerpt:
                parts.append(f"“{_h(nomination.excerpt)}”")
            if nomination.note:
                parts.append(_h(nomination.note))
            body.append(f'<p style="{_ITEM}">' + "<br>".join(parts) + "</p>")
        out += _section("Nominated from our conversations", body)
    if content.stories:
        body = []
        for story in content.stories:
            credit = _h(story.credit) if story.credit else "a participant"
            body.append(f'<blockquote style="{_QUOTE}">{_h(story.text, block=True)}<br>— {credit}</blockquote>')
        out += _section("Stories of change", body)
    if content.is_empty:
        out.append(f'<p style="{_NOTE}">Nothing was shared for this issue.</p>')
    return out


def export_html(issue: PublishedIssue) -> str:
    """Return the published issue as a standalone HTML page with inline CSS (safe for email clients)."""
    content = issue.snapshot.content
    zone = ZoneInfo(content.timezone)
    published = issue.issue.published_at or content.compiled_at
    title = f"{content.title} · {month_label(published, zone)}"
    body = _html_body(content, f"{month_label(published, zone)} · published {long_date(published, zone)}", zone)
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(title)}</title>",
            "</head>",
            f'<body style="{_BODY}">',
            f'<div style="{_PAGE}">',
            *body,
            "</div>",
            "</body>",
            "</html>",
            "",
        ]
    )


EXPORTERS: dict[str, Callable[[PublishedIssue], str]] = {
    "md": export_markdown,
    "markdown": export_markdown,
    "html": export_html,
}


async def export_issue(database: Database, guild_id: int, number: int, fmt: str) -> str:
    """Return published issue number of guild_id as Markdown ("md") or HTML ("html"), for the CLI.

    Raises:
        InvalidExportFormatError: for another format.
        IssueNotFoundError: when the issue does not exist or has not been published.
    """
    exporter = EXPORTERS.get(fmt.strip().lower())
    if exporter is None:
        raise InvalidExportFormatError(fmt)
    return exporter(await published_issue(database, guild_id, number))
