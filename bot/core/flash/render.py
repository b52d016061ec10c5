"""Render a Flash Report for Discord: embeds and messages that meet every Discord limit by construction.

Layout: the issue becomes sections (header, last session, next session, resources per tag, nominations,
stories); each section's entries fill embed descriptions (≤ 4,096), split between entries, then at line
breaks, then between words; embeds fill messages (≤ 10 embeds, ≤ 6,000 characters in all, leaving room for
the footer and a delivery marker). User text goes through safetext (escaped, no pings, real link addresses,
shortened only at whitespace) with a budget per piece, so no single entry can outgrow a description and no
link is ever cut.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.core.flash import ids
from bot.core.flash.content import IssueContent, NextSession, NominationEntry, Recap, ResourceEntry, StoryEntry
from bot.core.flash.domain import FlashItem, ItemKind, ItemsPage, ItemState
from bot.core.flash.safetext import discord_text
from bot.core.flash.urls import defuse_link
from bot.core.messages import Button, ButtonStyle, Embed, OutboundMessage
from bot.core.text import discord_timestamp

TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FIELDS_MAX = 25
FOOTER_MAX = 2048
EMBEDS_MAX = 10
MESSAGE_TOTAL_MAX = 6000
CONTENT_MAX = 2000
FOOTER_RESERVE = 120
"""Characters kept free in each message for the part footer and the marker a delivery stamps on it."""

# Budgets for each piece of user text once escaped (escaping can double a text's length).
TITLE_BUDGET = 300
NOTE_BUDGET = 1000
STORY_BUDGET = 2000
INTRO_BUDGET = 2000
EXCERPT_BUDGET = 400
NAME_BUDGET = 100
QUOTE_BUDGET = 400

COLOUR = 0x2E7D5B
DRAFT_COLOUR = 0xC9A227
OTHER_TAG = ""


def embed_length(embed: Embed) -> int:
    """Return how many characters Discord counts towards the 6,000 per message for this embed."""
    size = len(embed.title or "") + len(embed.description or "") + len(embed.footer or "")
    return size + sum(len(f.name) + len(f.value) for f in embed.fields)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# -- entries -----------------------------------------------------------------------------------------


def _site(url: str) -> str:
    return urlsplit(url).hostname or url


def _credit(name: str) -> str:
    return discord_text(name, NAME_BUDGET) or "a participant"


def _tag_line(tags: Iterable[str]) -> str:
    return " ".join(f"#{t}" for t in tags)


def resource_entry(entry: ResourceEntry) -> str:
    """Render one shared resource: bold title, its full address, the note, tags and who shared it."""
    title = discord_text(entry.title, TITLE_BUDGET) or discord_text(_site(entry.url), TITLE_BUDGET)
    lines = [f"**{title}**", defuse_link(entry.url)]
    note = discord_text(entry.note, NOTE_BUDGET)
    if note:
        lines.append(note)
    meta = f"shared by {_credit(entry.credit)}"
    tags = _tag_line(entry.tags)
    lines.append(f"{tags} · _{meta}_" if tags else f"_{meta}_")
    return "\n".join(lines)


def nomination_entry(entry: NominationEntry) -> str:
    """Render one nominated message: its title or link, an excerpt when its author agreed, and a jump link."""
    head = discord_text(entry.title, TITLE_BUDGET)
    if not head and entry.link:
        head = discord_text(_site(entry.link), TITLE_BUDGET)
    lines = [f"**{head or 'From our conversations'}**"]
    if entry.link:
        lines.append(defuse_link(entry.link))
    excerpt = discord_text(entry.excerpt, EXCERPT_BUDGET)
    if excerpt:
        lines.append(f"> {excerpt}")
    note = discord_text(entry.note, NOTE_BUDGET)
    if note:
        lines.append(note)
    tags = _tag_line(entry.tags)
    jump = f"[Go to the conversation]({entry.jump_url})"
    lines.append(f"{tags} · {jump}" if tags else jump)
    return "\n".join(lines)


def story_entry(entry: StoryEntry) -> str:
    """Render one story of change as a quotation, credited by name only when its author asked."""
    text = discord_text(entry.text, STORY_BUDGET, block=True)
    quoted = "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))
    who = _credit(entry.credit) if entry.credit else "a participant"
    return f"{quoted}\n— {who}"


def _recap_block(recap: Recap) -> list[str]:
    name = discord_text(recap.session_title, TITLE_BUDGET)
    heading = f"Session {recap.session_number}: {name}" if recap.session_number is not None else name
    facts = [f"👥 {recap.attendance} took part", f"💬 {recap.reflections} reflection{'s' * (recap.reflections != 1)}"]
    if recap.shows_rating and recap.average_rating is not None:
        facts.append(f"⭐ {recap.average_rating:.1f} / 5 from {recap.rating_count} ratings")
    blocks = [f"**{heading}**\n" + " · ".join(facts) if heading else " · ".join(facts)]
    blocks += [f"> “{discord_text(q.text, QUOTE_BUDGET)}”" for q in recap.quotes if q.text.strip()]
    return blocks


def _location(session: NextSession) -> str:
    if session.location_kind == "url" and session.location_url:
        return f"📍 {defuse_link(session.location_url)}"
    if session.location_kind in ("voice", "stage") and session.location_channel_id:
        return f"📍 <#{session.location_channel_id}>"
    return "📍 Location to follow"


def _next_block(session: NextSession) -> str:
    name = discord_text(session.title, TITLE_BUDGET)
    heading = f"Session {session.number}: {name}" if session.number is not None else name
    when = f"🗓️ {discord_timestamp(session.starts_at, 'F')} ({discord_timestamp(session.starts_at, 'R')})"
    return "\n".join(line for line in (f"**{heading}**" if heading else "", when, _location(session)) if line)


def month_label(when: datetime, zone: ZoneInfo) -> str:
    """Return "February 2026" for when in zone."""
    return when.astimezone(zone).strftime("%B %Y")


def long_date(when: datetime, zone: ZoneInfo) -> str:
    """Return "3 March 2026" for when in zone."""
    local = when.astimezone(zone)
    return f"{local.day} {local:%B %Y}"


def _removal_lines(content: IssueContent, zone: ZoneInfo) -> list[str]:
    return [
        f"_{r.count} item{'s' * (r.count != 1)} removed at the person's request on {long_date(r.on, zone)}._"
        for r in content.removals
    ]


# -- sections ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Section:
    title: str
    blocks: tuple[str, ...]


def resource_groups(resources: Sequence[ResourceEntry]) -> list[tuple[str, list[ResourceEntry]]]:
    """Group resources under their first tag (alphabetical), untagged ones last under OTHER_TAG."""
    groups: dict[str, list[ResourceEntry]] = defaultdict(list)
    for entry in resources:
        groups[entry.tags[0] if entry.tags else OTHER_TAG].append(entry)
    return sorted(groups.items(), key=lambda pair: (pair[0] == OTHER_TAG, pair[0]))


def more_line(number: int, count: int) -> str:
    """Say how many entries of issue number are listed only in the archive, and the command that lists them."""
    things = "item" if count == 1 else "items"
    return f"…and {count} more {things} in `/flash archive issue:{number}`."


def _sections(content: IssueContent) -> list[_Section]:
    more = content.archive_only_count
    content = content.posted()
    zone = ZoneInfo(content.timezone)
    header = [discord_text(content.intro, INTRO_BUDGET, block=True)]
    if content.welcome_count > 0:
        people = "person" if content.welcome_count == 1 else "people"
        header.append(f"👋 A warm welcome to the {content.welcome_count} {people} who joined since the last issue!")
    if content.is_empty:
        header.append("Nothing was shared for this issue. Add a useful resource for the next one with /share.")
    header += _removal_lines(content, zone)
    sections = [_Section(f"{content.title} · {month_label(content.compiled_at, zone)}", tuple(b for b in header if b))]
    if content.recap is not None:
        sections.append(_Section("Our last session", tuple(_recap_block(content.recap))))
    if content.next_session is not None:
        sections.append(_Section("Next session", (_next_block(content.next_session),)))
    for tag, entries in resource_groups(content.resources):
        title = f"Resources · #{tag}" if tag else "More resources"
        sections.append(_Section(title, tuple(resource_entry(e) for e in entries)))
    if content.nominations:
        sections.append(
            _Section("Nominated from our conversations", tuple(nomination_entry(n) for n in content.nominations))
        )
    if content.stories:
        sections.append(_Section("Stories of change", tuple(story_entry(s) for s in content.stories)))
    if more:
        sections.append(_Section("More in the archive", (more_line(content.number, more),)))
    return sections


def archive_pages(content: IssueContent, *, budget: int = DESCRIPTION_MAX - 200) -> list[str]:
    """Return the entries the posted messages left out, rendered and packed into pages of ≤ budget characters.

    Each section's heading comes before its first entry on a page; an entry never straddles two pages unless it
    alone is longer than a page (then it is split at line breaks or between words, links kept whole).
    """
    pages: list[str] = []
    current = ""
    heading = ""
    for title, block in _entry_blocks(content.archive_only()):
        for piece in split_text(block, budget - 110):
            head = f"**{_clip(title, 100)}**\n" if title != heading or not current else ""
            candidate = f"{current}\n\n{head}{piece}" if current else f"{head}{piece}"
            if len(candidate) > budget:
                pages.append(current)
                candidate = f"**{_clip(title, 100)}**\n{piece}"
            current, heading = candidate, title
    if current:
        pages.append(current)
    return pages


def _entry_blocks(content: IssueContent) -> list[tuple[str, str]]:
    """Return (section title, rendered entry) for every entry of content, in publication order."""
    blocks: list[tuple[str, str]] = []
    for tag, entries in resource_groups(content.resources):
        title = f"Resources · #{tag}" if tag else "More resources"
        blocks += [(title, resource_entry(e)) for e in entries]
    blocks += [("Nominated from our conversations", nomination_entry(n)) for n in content.nominations]
    blocks += [("Stories of change", story_entry(s)) for s in content.stories]
    return blocks


# -- splitting ---------------------------------------------------------------------------------------------


def _split_words(line: str, limit: int) -> list[str]:
    chunks: list[str] = []
    current = ""
    for word in line.split(" "):
        while len(word) > limit:  # one "word" longer than a whole description: only non-link text gets here
            if current:
                chunks.append(current)
                current = ""
            chunks.append(word[:limit])
            word = word[limit:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) > limit:
            chunks.append(current)
            current = word
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


def split_text(text: str, limit: int) -> list[str]:
    """Split text into chunks of ≤ limit characters at line breaks, else between words."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        pieces = [line] if len(line) <= limit else _split_words(line, limit)
        for piece in pieces:
            candidate = f"{current}\n{piece}" if current else piece
            if len(candidate) > limit:
                if current:
                    chunks.append(current)
                current = piece
            else:
                current = candidate
    if current:
        chunks.append(current)
    return [c for c in chunks if c.strip()]


def _section_embeds(section: _Section, colour: int) -> list[Embed]:
    descriptions: list[str] = []
    current = ""
    for block in section.blocks:
        for piece in split_text(block, DESCRIPTION_MAX):
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) > DESCRIPTION_MAX:
                descriptions.append(current)
                current = piece
            else:
                current = candidate
    if current:
        descriptions.append(current)
    embeds = []
    for index, description in enumerate(descriptions or [""]):
        title = section.title if index == 0 else f"{section.title} (continued)"
        embeds.append(Embed(title=_clip(title, TITLE_MAX), description=description or None, colour=colour))
    return embeds


def pack_embeds(embeds: Sequence[Embed], *, reserve: int = FOOTER_RESERVE) -> list[list[Embed]]:
    """Fill messages with embeds in order: ≤ 10 per message and ≤ 6,000 - reserve characters in all."""
    budget = MESSAGE_TOTAL_MAX - reserve
    messages: list[list[Embed]] = []
    current: list[Embed] = []
    used = 0
    for embed in embeds:
        size = embed_length(embed)
        if current and (len(current) == EMBEDS_MAX or used + size > budget):
            messages.append(current)
            current, used = [], 0
        current.append(embed)
        used += size
    if current:
        messages.append(current)
    return messages


def _with_footers(groups: list[list[Embed]], title: str) -> list[OutboundMessage]:
    messages = []
    for index, group in enumerate(groups, start=1):
        footer = title if len(groups) == 1 else f"{title} · {index}/{len(groups)}"
        embeds = (*group[:-1], replace(group[-1], footer=_clip(footer, FOOTER_MAX)))
        messages.append(OutboundMessage(embeds=embeds))
    return messages


# -- public renderers ------------------------------------------------------------------------------------


def render_issue(content: IssueContent, *, colour: int = COLOUR) -> list[OutboundMessage]:
    """Render an issue as messages that meet every Discord limit (at least one message, one embed each)."""
    embeds: list[Embed] = []
    for section in _sections(content):
        embeds += _section_embeds(section, colour)
    return _with_footers(pack_embeds(embeds), content.title)


def draft_buttons(issue_id: int, *, can_skip: bool) -> tuple[Button, ...]:
    """Return the buttons under a draft: Publish now, Edit intro and (when scheduled) Skip this month."""
    buttons = [
        Button("Publish now", custom_id=ids.publish_id(issue_id), style=ButtonStyle.SUCCESS),
        Button("Edit intro", custom_id=ids.intro_id(issue_id), style=ButtonStyle.SECONDARY),
    ]
    if can_skip:
        buttons.append(Button("Skip this month", custom_id=ids.skip_id(issue_id), style=ButtonStyle.DANGER))
    return tuple(buttons)


def render_draft(
    content: IssueContent,
    *,
    issue_id: int,
    publish_at: datetime | None,
    withheld: int = 0,
    held: int = 0,
) -> list[OutboundMessage]:
    """Render the draft for facilitators: a note on when it goes out, the issue, and the buttons."""
    messages = render_issue(content, colour=DRAFT_COLOUR)
    if publish_at is not None:
        when = f"goes out {discord_timestamp(publish_at, 'F')} ({discord_timestamp(publish_at, 'R')}) unless you act"
    else:
        when = "is not scheduled: publish it when you are ready"
    note = f"📝 **Draft of {content.title}** — it {when}. Edit items with /flash items."
    if content.archive_only_count:
        note += (
            f"\nIt holds more than the {content.posted_limit} items a post shows (/flash limits): "
            f"{content.archive_only_count} will be listed only in /flash archive."
        )
    if held:
        note += (
            f"\n{held} item{'s' * (held != 1)} from people who left the server "
            f"{'are' if held != 1 else 'is'} held for review: include or exclude {'them' if held != 1 else 'it'} "
            "with /flash items."
        )
    if withheld:
        note += (
            f"\n{withheld} stor{'ies' if withheld != 1 else 'y'} of change will wait until "
            f"{'their authors agree' if withheld != 1 else 'its author agrees'} to be quoted."
        )
    messages[0] = replace(messages[0], content=_clip(note, CONTENT_MAX))
    messages[-1] = replace(messages[-1], buttons=draft_buttons(issue_id, can_skip=publish_at is not None))
    return messages


def render_share_preview(entry: ResourceEntry) -> Embed:
    """Return how a newly shared resource will appear in the next issue."""
    where = f"Under #{entry.tags[0]}" if entry.tags else "Under More resources"
    description = f"{where}, it will look like this:\n\n{resource_entry(entry)}"
    return Embed(
        title="Added to the next Flash Report",
        description=_clip(description, DESCRIPTION_MAX),
        colour=COLOUR,
        footer="Thank you for sharing!",
    )


_KIND_ICONS = {ItemKind.RESOURCE: "🔗", ItemKind.NOMINATION: "📌", ItemKind.STORY: "🌱"}


def _item_line(item: FlashItem, unquotable: bool) -> str:
    label = discord_text(item.label, 120)
    parts = [f"`#{item.id}` {_KIND_ICONS[item.kind]} **{label}**"]
    if item.state is ItemState.EXCLUDED:
        parts.append("excluded")
    elif item.state is ItemState.HELD:
        parts.append("⏸️ held: the author left the server")
    if unquotable:
        parts.append("waits for quote consent" if item.kind is ItemKind.STORY else "excerpt hidden (no quote consent)")
    if item.tags:
        parts.append(_tag_line(item.tags))
    if item.kind is not ItemKind.NOMINATION or item.author_name:
        parts.append(f"by {_credit(item.author_name)}")
    return " · ".join(parts)


def render_items_page(page: ItemsPage) -> Embed:
    """Return one page of /flash items as an embed (ids for include, exclude and edit)."""
    if not page.items:
        description = "Nothing is collected for the next issue yet."
    else:
        description = "\n".join(_item_line(item, item.id in page.unquotable_ids) for item in page.items)
    if page.held:
        description += (
            f"\n\n⏸️ {page.held} item{'s' * (page.held != 1)} held for review (their authors left the server): "
            "they stay out of every issue until you include or exclude them."
        )
    return Embed(
        title=f"Collected for the next Flash Report ({page.total})",
        description=_clip(description, DESCRIPTION_MAX),
        colour=COLOUR,
        footer=f"Page {page.page} of {max(page.pages, 1)}",
    )


def render_items_message(page: ItemsPage, *, note: str = "") -> OutboundMessage:
    """Return /flash items as a message: the page, and "Include page" / "Exclude page" buttons when it has items."""
    buttons: tuple[Button, ...] = ()
    if page.items:
        first, last = page.items[0].id, page.items[-1].id
        buttons = (
            Button(
                "Include page",
                custom_id=ids.page_id(ids.PageAction.INCLUDE, first, last, page.kind, page.page),
                style=ButtonStyle.SUCCESS,
            ),
            Button(
                "Exclude page",
                custom_id=ids.page_id(ids.PageAction.EXCLUDE, first, last, page.kind, page.page),
                style=ButtonStyle.DANGER,
            ),
        )
    return OutboundMessage(content=_clip(note, CONTENT_MAX) or None, embeds=(render_items_page(page),), buttons=buttons)
