"""Render a Flash Report as platform-free messages that meet every Discord limit by construction.

Layout: the issue becomes sections (header, last session, next session, resources per tag, nominations,
stories); each section's entries fill embed descriptions (≤ 4,096), split between entries, then at line
breaks, then between words; embeds fill messages (≤ 10 embeds, ≤ 6,000 characters in all, leaving room for
the footer and a delivery marker). Sizes are counted with markup_size, an upper bound of the length once an
adapter has escaped the text, so no adapter has to cut anything. User text goes through safetext (cleaned,
real link addresses as links, shortened only at whitespace; never escaped) with a budget per piece, so no
single entry can outgrow a description and no link is ever cut.
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
from bot.core.flash.safetext import rich_text
from bot.core.flash.urls import defuse_link
from bot.core.messages import (
    Button,
    ButtonStyle,
    Embed,
    Link,
    OutboundMessage,
    Span,
    Text,
    Time,
    TimeStyle,
    channel,
    clip,
    code,
    fit,
    italic,
    lines,
    markup_size,
    quote,
    strong,
    text,
)

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
    """Return an upper bound of the characters an embed counts towards a message's 6,000, once written with markup."""
    size = markup_size(embed.title) + markup_size(embed.description) + markup_size(embed.footer)
    return size + sum(markup_size(f.name) + markup_size(f.value) for f in embed.fields)


# -- entries -----------------------------------------------------------------------------------------


def _site(url: str) -> str:
    return urlsplit(url).hostname or url


def _credit(name: str) -> Text:
    return rich_text(name, NAME_BUDGET) or text("a participant")


def _tag_line(tags: Iterable[str]) -> str:
    return " ".join(f"#{t}" for t in tags)


def _link(url: str) -> Link:
    address = defuse_link(url)
    return Link(address, address)


def _meta(tags: str, meta: Text) -> Text:
    return text(tags, " · ", italic(meta)) if tags else text(italic(meta))


def resource_entry(entry: ResourceEntry) -> Text:
    """Render one shared resource: bold title, its full address, the note, tags and who shared it."""
    title = rich_text(entry.title, TITLE_BUDGET) or rich_text(_site(entry.url), TITLE_BUDGET)
    return lines(
        strong(title),
        _link(entry.url),
        rich_text(entry.note, NOTE_BUDGET),
        _meta(_tag_line(entry.tags), text("shared by ", _credit(entry.credit))),
    )


def nomination_entry(entry: NominationEntry) -> Text:
    """Render one nominated message: its title or link, an excerpt when its author agreed, and a jump link."""
    head = rich_text(entry.title, TITLE_BUDGET)
    if not head and entry.link:
        head = rich_text(_site(entry.link), TITLE_BUDGET)
    excerpt = rich_text(entry.excerpt, EXCERPT_BUDGET)
    tags = _tag_line(entry.tags)
    jump = Link("Go to the conversation", entry.jump_url)
    return lines(
        strong(head or "From our conversations"),
        _link(entry.link) if entry.link else None,
        quote(excerpt) if excerpt else None,
        rich_text(entry.note, NOTE_BUDGET),
        text(tags, " · ", jump) if tags else text(jump),
    )


def story_entry(entry: StoryEntry) -> Text:
    """Render one story of change as a quotation, credited by name only when its author asked."""
    who = _credit(entry.credit) if entry.credit else text("a participant")
    return text(quote(rich_text(entry.text, STORY_BUDGET, block=True)), "\n— ", who)


def _recap_block(recap: Recap) -> list[Text]:
    name = rich_text(recap.session_title, TITLE_BUDGET)
    heading = text(f"Session {recap.session_number}: ", name) if recap.session_number is not None else name
    facts = [f"👥 {recap.attendance} took part", f"💬 {recap.reflections} reflection{'s' * (recap.reflections != 1)}"]
    if recap.shows_rating and recap.average_rating is not None:
        facts.append(f"⭐ {recap.average_rating:.1f} / 5 from {recap.rating_count} ratings")
    blocks = [lines(strong(heading), " · ".join(facts)) if heading else text(" · ".join(facts))]
    blocks += [text(quote("“", rich_text(q.text, QUOTE_BUDGET), "”")) for q in recap.quotes if q.text.strip()]
    return blocks


def _location(session: NextSession) -> Text:
    if session.location_kind == "url" and session.location_url:
        return text("📍 ", _link(session.location_url))
    if session.location_kind in ("voice", "stage") and session.location_channel_id:
        return text("📍 ", channel(session.location_channel_id))
    return text("📍 Location to follow")


def _next_block(session: NextSession) -> Text:
    name = rich_text(session.title, TITLE_BUDGET)
    heading = text(f"Session {session.number}: ", name) if session.number is not None else name
    when = text("🗓️ ", Time(session.starts_at), " (", Time(session.starts_at, TimeStyle.RELATIVE), ")")
    return lines(strong(heading) if heading else None, when, _location(session))


def month_label(when: datetime, zone: ZoneInfo) -> str:
    """Return "February 2026" for when in zone."""
    return when.astimezone(zone).strftime("%B %Y")


def long_date(when: datetime, zone: ZoneInfo) -> str:
    """Return "3 March 2026" for when in zone."""
    local = when.astimezone(zone)
    return f"{local.day} {local:%B %Y}"


def _removal_lines(content: IssueContent, zone: ZoneInfo) -> list[Text]:
    return [
        text(
            italic(f"{r.count} item{'s' * (r.count != 1)} removed at the person's request on {long_date(r.on, zone)}.")
        )
        for r in content.removals
    ]


# -- sections ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Section:
    title: str
    blocks: tuple[Text, ...]


def resource_groups(resources: Sequence[ResourceEntry]) -> list[tuple[str, list[ResourceEntry]]]:
    """Group resources under their first tag (alphabetical), untagged ones last under OTHER_TAG."""
    groups: dict[str, list[ResourceEntry]] = defaultdict(list)
    for entry in resources:
        groups[entry.tags[0] if entry.tags else OTHER_TAG].append(entry)
    return sorted(groups.items(), key=lambda pair: (pair[0] == OTHER_TAG, pair[0]))


def more_line(number: int, count: int) -> Text:
    """Say how many entries of issue number are listed only in the archive, and the command that lists them."""
    things = "item" if count == 1 else "items"
    return text(f"…and {count} more {things} in ", code(f"/flash archive issue:{number}"), ".")


def _sections(content: IssueContent) -> list[_Section]:
    more = content.archive_only_count
    content = content.posted()
    zone = ZoneInfo(content.timezone)
    header = [rich_text(content.intro, INTRO_BUDGET, block=True)]
    if content.welcome_count > 0:
        people = "person" if content.welcome_count == 1 else "people"
        header.append(
            text(f"👋 A warm welcome to the {content.welcome_count} {people} who joined since the last issue!")
        )
    if content.is_empty:
        header.append(text("Nothing was shared for this issue. Add a useful resource for the next one with /share."))
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


def archive_pages(content: IssueContent, *, budget: int = DESCRIPTION_MAX - 200) -> list[Text]:
    """Return the entries the posted messages left out, as rich text packed into pages of markup size ≤ budget.

    Each section's heading comes before its first entry on a page; an entry never straddles two pages unless it
    alone is longer than a page (then it is split at line breaks or between words, links kept whole).
    """
    pages: list[Text] = []
    current: Text | None = None
    heading = ""
    for title, block in _entry_blocks(content.archive_only()):
        for piece in split_rich(block, budget - 110):
            head = text(strong(clip(title, 100)), "\n") if title != heading or current is None else text()
            candidate = text(current, "\n\n", head, piece) if current is not None else text(head, piece)
            if current is not None and markup_size(candidate) > budget:
                pages.append(current)
                candidate = text(strong(clip(title, 100)), "\n", piece)
            current, heading = candidate, title
    if current is not None:
        pages.append(current)
    return pages


def _entry_blocks(content: IssueContent) -> list[tuple[str, Text]]:
    """Return (section title, rich entry) for every entry of content, in publication order."""
    blocks: list[tuple[str, Text]] = []
    for tag, entries in resource_groups(content.resources):
        title = f"Resources · #{tag}" if tag else "More resources"
        blocks += [(title, resource_entry(e)) for e in entries]
    blocks += [("Nominated from our conversations", nomination_entry(n)) for n in content.nominations]
    blocks += [("Stories of change", story_entry(s)) for s in content.stories]
    return blocks


# -- splitting ---------------------------------------------------------------------------------------------


def _line_pieces(block: Text) -> list[list[Span]]:
    """Split rich text into lines at the line breaks of its plain spans (styled runs stay whole)."""
    found: list[list[Span]] = [[]]
    for span in block.spans:
        if not isinstance(span, str):
            found[-1].append(span)
            continue
        first, *rest = span.split("\n")
        if first:
            found[-1].append(first)
        for part in rest:
            found.append([part] if part else [])
    return found


def _pack(pieces: list[Text], separator: str, limit: int) -> list[Text]:
    chunks: list[Text] = []
    current: Text | None = None
    for piece in pieces:
        candidate = text(current, separator, piece) if current is not None else piece
        if current is not None and markup_size(candidate) > limit:
            chunks.append(current)
            current = piece
        else:
            current = candidate
    if current is not None:
        chunks.append(current)
    return chunks


def _split_line(line: Text, limit: int) -> list[Text]:
    words: list[Text] = []
    for span in line.spans:
        if not isinstance(span, str):
            words.append(text(span))
            continue
        for word in span.split(" "):
            while markup_size(word) > limit:  # one "word" longer than a whole description: plain text only
                cut = limit // 2
                words.append(text(word[:cut]))
                word = word[cut:]
            words.append(text(word))
    return _pack([w for w in words if w.spans], " ", limit)


def split_rich(block: Text, limit: int) -> list[Text]:
    """Split rich text into chunks whose markup size is ≤ limit, at line breaks, else between words."""
    if markup_size(block) <= limit:
        return [block]
    pieces: list[Text] = []
    for line in _line_pieces(block):
        rich = Text(tuple(line))
        pieces += [rich] if markup_size(rich) <= limit else _split_line(rich, limit)
    return [chunk for chunk in _pack(pieces, "\n", limit) if chunk.plain().strip()]


def _section_embeds(section: _Section, colour: int) -> list[Embed]:
    pieces = [piece for block in section.blocks if block for piece in split_rich(block, DESCRIPTION_MAX)]
    descriptions = _pack(pieces, "\n\n", DESCRIPTION_MAX)
    embeds = []
    for index, description in enumerate(descriptions or [None]):
        title = section.title if index == 0 else f"{section.title} (continued)"
        embeds.append(Embed(title=clip(title, TITLE_MAX), description=description or None, colour=colour))
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
        embeds = (*group[:-1], replace(group[-1], footer=clip(footer, FOOTER_MAX)))
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
    withheld_nominations: int = 0,
) -> list[OutboundMessage]:
    """Render the draft for facilitators: a note on when it goes out, the issue, and the buttons."""
    messages = render_issue(content, colour=DRAFT_COLOUR)
    if publish_at is not None:
        when = text("goes out ", Time(publish_at), " (", Time(publish_at, TimeStyle.RELATIVE), ") unless you act")
    else:
        when = text("is not scheduled: publish it when you are ready")
    note = text("📝 ", strong(f"Draft of {content.title}"), " — it ", when, ". Edit items with /flash items.")
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
    if withheld_nominations:
        several = withheld_nominations != 1
        note += (
            f"\n{withheld_nominations} nominated message{'s' * several} from channels not everyone can see will "
            f"wait until {'their authors agree' if several else 'its author agrees'} to be quoted."
        )
    messages[0] = replace(messages[0], content=fit(note, CONTENT_MAX))
    messages[-1] = replace(messages[-1], buttons=draft_buttons(issue_id, can_skip=publish_at is not None))
    return messages


def render_share_preview(entry: ResourceEntry) -> Embed:
    """Return how a newly shared resource will appear in the next issue."""
    where = f"Under #{entry.tags[0]}" if entry.tags else "Under More resources"
    description = text(f"{where}, it will look like this:\n\n", resource_entry(entry))
    return Embed(
        title="Added to the next Flash Report",
        description=description,
        colour=COLOUR,
        footer="Thank you for sharing!",
    )


_KIND_ICONS = {ItemKind.RESOURCE: "🔗", ItemKind.NOMINATION: "📌", ItemKind.STORY: "🌱"}


def _item_line(item: FlashItem, unquotable: bool) -> Text:
    label = rich_text(item.label, 120)
    parts: list[Text | str] = [text(code(f"#{item.id}"), f" {_KIND_ICONS[item.kind]} ", strong(label))]
    if item.state is ItemState.EXCLUDED:
        parts.append("excluded")
    elif item.state is ItemState.HELD:
        parts.append("⏸️ held: the author left the server")
    if unquotable and item.kind is ItemKind.NOMINATION and item.restricted:
        parts.append("from a restricted channel: waits for its author's quote consent")
    elif unquotable:
        parts.append("waits for quote consent" if item.kind is ItemKind.STORY else "excerpt hidden (no quote consent)")
    if item.tags:
        parts.append(_tag_line(item.tags))
    if item.kind is not ItemKind.NOMINATION or item.author_name:
        parts.append(text("by ", _credit(item.author_name)))
    return text(" · ").join(parts)


def render_items_page(page: ItemsPage) -> Embed:
    """Return one page of /flash items as an embed (ids for include, exclude and edit)."""
    if not page.items:
        description = text("Nothing is collected for the next issue yet.")
    else:
        description = text("\n").join(_item_line(item, item.id in page.unquotable_ids) for item in page.items)
    if page.held:
        description += (
            f"\n\n⏸️ {page.held} item{'s' * (page.held != 1)} held for review (their authors left the server): "
            "they stay out of every issue until you include or exclude them."
        )
    return Embed(
        title=f"Collected for the next Flash Report ({page.total})",
        description=description,
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
    return OutboundMessage(content=clip(note, CONTENT_MAX) or None, embeds=(render_items_page(page),), buttons=buttons)
