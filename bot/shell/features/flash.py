"""/share, /story, the /flash group, and the Flash Report draft's buttons (Publish now, Edit intro, Skip)."""

import re
from typing import Any

from bot.core.flash import ids
from bot.core.flash.domain import (
    INTRO_LIMIT,
    MAX_ISSUE_SIZE,
    MAX_PER_PERSON_PER_DAY,
    MIN_ISSUE_SIZE,
    STORY_LIMIT,
    ArchivePage,
    BulkResult,
    FlashLimits,
    IssueArchivePage,
    ItemKind,
    ItemState,
    MessageRef,
    NominationResult,
    PublishedIssue,
    PublishOutcome,
    PublishRequest,
    ScheduleResult,
    SkipResult,
    StoryResult,
)
from bot.core.flash.render import COLOUR, render_items_message
from bot.core.messages import Embed, RichText, Text, Time, TimeStyle, channel, plain, strong, text, user
from bot.core.text import clean_text
from bot.shell.commands import Context, Registry
from bot.shell.forms import Field, FieldKind, Form
from bot.shell.options import Choice, Kind, Option
from bot.shell.ports import Shown

KINDS = (Choice("resource"), Choice("nomination"), Choice("story"))
_OUTCOMES = {
    PublishOutcome.STARTED: ("", " is going out to ", " now."),
    PublishOutcome.RESUMED: ("", " stopped part-way earlier; the missing parts are going out to ", " now."),
    PublishOutcome.ALREADY_GOING_OUT: ("", " is already going out to ", "; nothing new was started."),
}


JUMP_URL = "https://blether.invalid/shell/channels/{guild}/{channel}/{message}"
"""Where a nominated message's link back points: nowhere (.invalid), as the shell has no web client."""


def message_ref(context: Context, shown: Shown) -> MessageRef:
    """Describe a chat message for the core, as the Discord adapter does from a discord.Message."""
    world = context.shell.world
    author = shown.author_id or 0
    return MessageRef(
        guild_id=world.guild_id,
        channel_id=shown.channel_id,
        message_id=shown.message_id,
        jump_url=JUMP_URL.format(guild=world.guild_id, channel=shown.channel_id, message=shown.message_id),
        author_id=author,
        author_name=world.user_name(author) if shown.author_id else "Blether",
        content=plain(shown.message.content),
    )


def nominated_text(result: NominationResult) -> str:
    """Confirm a nomination from the message menu."""
    if not result.created:
        return f"That message is already in the next Flash Report (item #{result.item.id})."
    return f"Added that message to the next Flash Report (item #{result.item.id})."


def publish_text(request: PublishRequest, channel_id: int | None) -> Text:
    """Say what "publish now" did."""
    title = request.issue.title
    if request.outcome is PublishOutcome.ALREADY_PUBLISHED:
        return text(f"{title} is already published; nothing was posted again.")
    _, middle, tail = _OUTCOMES[request.outcome]
    return text(title, middle, channel(channel_id or request.issue.channel_id or 0), tail)


def story_text(result: StoryResult) -> str:
    """Confirm a story, saying whether quote consent lets it appear."""
    head = f"Thank you for your story (item #{result.item.id})."
    if result.will_appear:
        credit = "with your name" if result.item.credit_by_name else "without your name"
        return f"{head} It will appear in the next Flash Report {credit}."
    return f"{head} It will wait until you agree to be quoted (see /me consent); until then it is not published."


def schedule_text(result: ScheduleResult) -> Text:
    """Confirm a cadence with the next draft and publication times."""
    lines = [
        text(
            "Flash Reports now go out ",
            strong(clean_text(result.cadence, keep_newlines=False)),
            f" ({result.timezone}).",
        ),
        text(
            f"{result.issue.title}: draft to facilitators ",
            Time(result.draft_at),
            ", published ",
            Time(result.publish_at),
            ".",
        ),
    ]
    if result.following:
        dates = Text((", ",)).join(Time(when, TimeStyle.DATE) for when in result.following)
        lines.append(text("After that: ", dates, "."))
    return Text(("\n",)).join(lines)


def skipped_text(result: SkipResult) -> Text:
    """Confirm a skipped month."""
    return text(
        f"{result.issue.title} will not go out ",
        Time(result.skipped_date, TimeStyle.DATE),
        "; it moves to ",
        Time(result.next_date),
        " and its items wait for it.",
    )


def archive_embed(page: ArchivePage) -> Embed:
    """List published issues, newest first (and how many of each issue's items only the archive holds)."""
    lines = [
        text(
            f"Flash Report #{s.number} · ",
            Time(s.published_at, TimeStyle.DATE),
            f" · {s.resources} resources, {s.nominations} nominations, {s.stories} stories",
            f" ({s.archive_only} only here: /flash archive issue:{s.number})" if s.archive_only else "",
        )
        for s in page.issues
    ]
    return Embed(
        title=f"Flash Report archive ({page.total})",
        description=Text(("\n",)).join(lines) if lines else "No Flash Report has been published yet.",
        colour=COLOUR,
        footer=f"Page {page.page} of {max(page.pages, 1)}",
    )


def issue_archive_embed(found: IssueArchivePage) -> Embed:
    """Show a page of what an issue holds beyond its posted messages."""
    issue = found.issue
    if found.archive_only:
        title = f"{issue.title}: {found.archive_only} more beyond the {found.posted} posted"
        description: RichText = found.text
    else:
        title = f"{issue.title} in the archive"
        description = f"Everything in {issue.title} was posted ({found.posted} items); /flash latest shows the latest."
    return Embed(title=title, description=description, colour=COLOUR, footer=f"Page {found.page} of {found.pages}")


def bulk_text(result: BulkResult, user_id: int) -> Text:
    """Confirm a bulk include or exclude of one person's items."""
    things, are = ("item", "is") if result.changed == 1 else ("items", "are")
    if result.state is ItemState.INCLUDED:
        tail = f" {are} now in the next Flash Report."
    else:
        tail = " will be left out of the next Flash Report."
    return text(f"{result.changed} waiting {things} of ", user(user_id), tail)


def page_done(result: BulkResult) -> str:
    """Confirm an "Include page" / "Exclude page" press."""
    things = "item" if result.changed == 1 else "items"
    verb = "included" if result.state is ItemState.INCLUDED else "excluded"
    return f"{result.changed} {things} on this page {verb}."


def limits_text(found: FlashLimits) -> Text:
    """Describe the flood limits in force."""
    per_person = " (the default)" if found.is_default_per_person else ""
    size = " (the default)" if found.is_default_issue_size else ""
    return text(
        "Flash Report limits: ",
        strong(str(found.per_person_per_day)),
        f" items per person per day{per_person}, counted from midnight to midnight {found.timezone} time "
        "(shares, stories and nominated messages together; facilitators are not limited); ",
        strong(str(found.issue_size)),
        f" items per published issue{size}, the rest listed by /flash archive issue:<number>. "
        "Change them with /flash limits.",
    )


def latest_text(found: PublishedIssue) -> Text:
    """Introduce the latest issue."""
    issue = found.issue
    parts: list[Any] = [strong(issue.title)]
    if issue.published_at is not None:
        parts += [", published ", Time(issue.published_at, TimeStyle.DATE)]
    if issue.channel_id is not None:
        parts += [" in ", channel(issue.channel_id)]
    count = len(found.snapshot.messages)
    if count > 1:
        parts.append(f"\nBelow is part 1 of {count}.")
    return text(*parts)


def intro_form(intro: str) -> Form:
    """The "Edit intro" form, pre-filled with the issue's current intro."""
    field = Field(
        "intro",
        "Intro (leave empty for the default)",
        FieldKind.PARAGRAPH,
        default=intro[:INTRO_LIMIT],
        max_length=INTRO_LIMIT,
    )
    return Form("Edit the Flash Report intro", (field,))


async def _publish(context: Context, issue_id: int | None) -> None:
    request = await context.services.flash.publish_now(context.actor, issue_id)
    programme = await context.services.programme.get_programme(context.actor.guild_id)
    await context.reply(publish_text(request, programme.flash_reports_channel_id if programme else None))


def register(registry: Registry) -> None:
    """Add the Flash Report commands and the draft's buttons."""
    item = Option("item", "The item's number from /flash items", Kind.INTEGER, required=True, min=1)

    @registry.command(
        "share",
        "Share a useful tool or resource for the next Flash Report.",
        Option("url", "The link (http or https)", required=True, min=1, max=2000),
        Option("title", "A short name for it", min=0, max=1000, default=""),
        Option("note", "Why it is useful, in a sentence or two", min=0, max=1000, default=""),
        Option("tags", 'Comma-separated topics, e.g. "toolkit, funding"', default=""),
    )
    async def share(context: Context, values: dict[str, Any]) -> None:
        result = await context.services.flash.share_resource(
            context.actor, values["url"], values["title"], values["note"], values["tags"]
        )
        thanks = f"Thank you, {context.member.name}! Your resource is in the next Flash Report."
        await context.reply(thanks, embeds=[result.preview])

    @registry.command(
        "story",
        "Tell a story of change in your community for the next Flash Report.",
        Option("text", "What changed, for whom, and how", required=True, min=1, max=STORY_LIMIT + 500),
        Option(
            "credit_me_by_name",
            "Show your name with the story (only if you agreed to be quoted)",
            Kind.BOOLEAN,
            default=False,
        ),
    )
    async def story(context: Context, values: dict[str, Any]) -> None:
        result = await context.services.flash.share_story(
            context.actor, values["text"], credit_by_name=values["credit_me_by_name"]
        )
        await context.reply(story_text(result))

    @registry.command(
        "flash items",
        "List what is collected for the next Flash Report.",
        Option("page", "Which page (10 items each)", Kind.INTEGER, min=1, default=1),
        Option("kind", "Only resources, nominations or stories", Kind.CHOICE, choices=KINDS),
        facilitator=True,
    )
    async def flash_items(context: Context, values: dict[str, Any]) -> None:
        kind = ItemKind(values["kind"]) if values["kind"] else None
        found = await context.services.flash.list_items(context.actor, values["page"], kind=kind)
        await context.send(render_items_message(found))

    @registry.command("flash include", "Put an item back into the next Flash Report.", item, facilitator=True)
    async def flash_include(context: Context, values: dict[str, Any]) -> None:
        found = await context.services.flash.include_item(context.actor, values["item"])
        await context.reply(f"Item #{found.id} ({found.label}) is in the next Flash Report.")

    @registry.command("flash exclude", "Leave an item out of the next Flash Report.", item, facilitator=True)
    async def flash_exclude(context: Context, values: dict[str, Any]) -> None:
        found = await context.services.flash.exclude_item(context.actor, values["item"])
        await context.reply(f"Item #{found.id} ({found.label}) will be left out.")

    member = Option("member", "Whose items: what they shared, told or nominated, and their messages", Kind.MEMBER, True)

    @registry.command(
        "flash include-by",
        "Put every waiting item of one person into the next Flash Report, held ones too.",
        member,
        facilitator=True,
    )
    async def flash_include_by(context: Context, values: dict[str, Any]) -> None:
        result = await context.services.flash.include_by(context.actor, values["member"])
        await context.reply(bulk_text(result, values["member"]))

    @registry.command(
        "flash exclude-by",
        "Leave every waiting item of one person out of the next Flash Report.",
        member,
        facilitator=True,
    )
    async def flash_exclude_by(context: Context, values: dict[str, Any]) -> None:
        result = await context.services.flash.exclude_by(context.actor, values["member"])
        await context.reply(bulk_text(result, values["member"]))

    @registry.command(
        "flash limits",
        "Show or change how much one person may add per day and how many items an issue posts.",
        Option(
            "per_person_per_day", "Items one person may add per day", Kind.INTEGER, min=1, max=MAX_PER_PERSON_PER_DAY
        ),
        Option("issue_size", "Items a published issue shows", Kind.INTEGER, min=MIN_ISSUE_SIZE, max=MAX_ISSUE_SIZE),
        facilitator=True,
    )
    async def flash_limits(context: Context, values: dict[str, Any]) -> None:
        flash = context.services.flash
        if values["per_person_per_day"] is None and values["issue_size"] is None:
            found = await flash.limits(context.actor)
        else:
            found = await flash.set_limits(
                context.actor, per_person_per_day=values["per_person_per_day"], issue_size=values["issue_size"]
            )
        await context.reply(limits_text(found))

    @registry.command(
        "flash edit",
        "Change an item's title, note or tags.",
        item,
        Option("title", "The new title"),
        Option("note", "The new note"),
        Option("tags", "The new comma-separated tags"),
        facilitator=True,
    )
    async def flash_edit(context: Context, values: dict[str, Any]) -> None:
        found = await context.services.flash.edit_item(
            context.actor, values["item"], title=values["title"], note=values["note"], tags=values["tags"]
        )
        await context.reply(f"Item #{found.id} saved: {found.label}.")

    @registry.command(
        "flash schedule",
        'Publish on a cadence, e.g. "first Monday of the month at 09:00".',
        Option("rule", "When each issue goes out, in the programme's time zone", required=True, min=1, max=200),
        Option(
            "lead_hours",
            "How many hours before that the draft goes to facilitators",
            Kind.INTEGER,
            min=1,
            max=336,
            default=48,
        ),
        facilitator=True,
    )
    async def flash_schedule(context: Context, values: dict[str, Any]) -> None:
        result = await context.services.flash.set_schedule(
            context.actor, values["rule"], lead_hours=values["lead_hours"]
        )
        await context.reply(schedule_text(result))

    @registry.command(
        "flash clear-schedule", "Stop publishing on a cadence; /flash publish still works.", facilitator=True
    )
    async def flash_clear_schedule(context: Context, values: dict[str, Any]) -> None:
        had = await context.services.flash.clear_schedule(context.actor)
        head = "The Flash Report schedule is cleared." if had else "There was no schedule to clear."
        await context.reply(head + " Publish by hand with /flash publish.")

    @registry.command(
        "flash draft", "Preview the next Flash Report as it would go out now, with its buttons.", facilitator=True
    )
    async def flash_draft(context: Context, values: dict[str, Any]) -> None:
        preview = await context.services.flash.build_draft(context.actor)
        for message in preview.messages:
            await context.send(message)

    @registry.command(
        "flash publish", "Publish the next Flash Report now (pressing twice posts once).", facilitator=True
    )
    async def flash_publish(context: Context, values: dict[str, Any]) -> None:
        await _publish(context, None)

    @registry.command("flash latest", "Show the latest Flash Report.")
    async def flash_latest(context: Context, values: dict[str, Any]) -> None:
        found = await context.services.flash.latest(context.actor)
        first = found.snapshot.messages[0] if found.snapshot.messages else None
        await context.reply(latest_text(found), embeds=first.embeds[:10] if first else ())

    @registry.command(
        "flash archive",
        "List the published Flash Reports, newest first, or what one issue holds beyond its post.",
        Option("page", "Which page (10 issues each, or a page of the issue's items)", Kind.INTEGER, min=1, default=1),
        Option("issue", "An issue's number: the items it holds that did not fit in its post", Kind.INTEGER, min=1),
    )
    async def flash_archive(context: Context, values: dict[str, Any]) -> None:
        if values["issue"] is not None:
            found_issue = await context.services.flash.archive_issue(context.actor, values["issue"], values["page"])
            await context.reply(embeds=[issue_archive_embed(found_issue)])
            return
        found = await context.services.flash.archive(context.actor, values["page"])
        await context.reply(embeds=[archive_embed(found)])

    @registry.button(ids.PAGE_TEMPLATE, "Include page / Exclude page")
    async def page_button(context: Context, match: re.Match[str], shown: Shown) -> None:
        result = await context.services.flash.set_page_state(context.actor, ids.parse_page_id(match.group(0)))
        if result.page is None:  # not reached: the service always returns the page
            await context.reply(page_done(result))
            return
        context.shell.timeline.edit(shown.message_id, render_items_message(result.page, note=page_done(result)))

    @registry.message_action(
        "nominate", 'add a chat message to the next Flash Report (Discord\'s "Add to Flash Report")'
    )
    async def nominate(context: Context, shown: Shown) -> None:
        result = await context.services.flash.nominate_message(context.actor, message_ref(context, shown))
        await context.reply(nominated_text(result))

    @registry.message_action(
        "pin", "react with 📌: a facilitator's pin nominates the message; anyone else's does nothing"
    )
    async def pin(context: Context, shown: Shown) -> None:
        result = await context.services.flash.nominate_by_reaction(context.actor, message_ref(context, shown))
        if result is None:
            context.shell.note("📌 added (only a facilitator's 📌 nominates a message, so nothing else happens).")
        else:
            context.shell.note(f"📌 added: the message is item #{result.item.id} of the next Flash Report.")

    @registry.button(ids.CUSTOM_ID_TEMPLATE, "Flash Report draft")
    async def draft_button(context: Context, match: re.Match[str], shown: Shown) -> None:
        button = ids.parse_custom_id(match.group(0))
        flash = context.services.flash
        if button.action is ids.FlashAction.PUBLISH:
            await _publish(context, button.issue_id)
        elif button.action is ids.FlashAction.SKIP:
            await context.reply(skipped_text(await flash.skip_issue(context.actor, button.issue_id)))
        else:
            intro = await flash.get_intro(context.actor, button.issue_id)
            answers = await context.form(intro_form(intro))
            typed = answers.get("intro")
            issue = await flash.set_intro(context.actor, button.issue_id, typed if isinstance(typed, str) else "")
            await context.reply(f"Intro of {issue.title} saved. /flash draft shows the draft with it.")
