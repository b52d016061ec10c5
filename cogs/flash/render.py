"""Replies of the Flash Report commands: short texts and embeds around what the core returns."""

import discord

from bot.core.flash.domain import (
    ArchivePage,
    BulkResult,
    FlashLimits,
    IssueArchivePage,
    ItemState,
    NominationResult,
    PublishedIssue,
    PublishOutcome,
    PublishRequest,
    ScheduleResult,
    SkipResult,
    StoryResult,
)
from bot.core.flash.render import COLOUR
from bot.core.flash.safetext import rich_text
from bot.core.messages import Embed, Link, Text, Time, TimeStyle, channel, code, strong, text, user
from bot.discord_ports import to_discord_embed
from bot.discord_render import render

_OUTCOMES = {
    PublishOutcome.STARTED: ("{title} is going out to ", " now."),
    PublishOutcome.RESUMED: ("{title} stopped part-way earlier; the missing parts are going out to ", " now."),
    PublishOutcome.ALREADY_GOING_OUT: ("{title} is already going out to ", "; nothing new was started."),
    PublishOutcome.ALREADY_PUBLISHED: ("{title} is already published; nothing was posted again.", None),
}


def jump_url(guild_id: int, channel_id: int | None, message_id: int | None) -> str | None:
    """Return a link to a posted message, when its ids are known."""
    if channel_id is None or message_id is None:
        return None
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def shared(sharer: str) -> str:
    """Thank the person who shared a resource (the preview embed goes with it)."""
    name = rich_text(sharer, 100) or text("friend")
    return render(text("Thank you, ", name, "! Your resource is in the next Flash Report."))


def nominated(result: NominationResult) -> str:
    """Confirm a nomination from the context menu."""
    if not result.created:
        return f"That message is already in the next Flash Report (item #{result.item.id})."
    text = f"Added that message to the next Flash Report (item #{result.item.id})."
    if result.item.restricted:
        text += (
            " It comes from a channel not everyone in the programme can see, so it goes out only once its author "
            "agrees to be quoted (/me consent)."
        )
    return text


def story(result: StoryResult) -> str:
    """Confirm a story, saying whether quote consent lets it appear."""
    thanks = f"Thank you for your story (item #{result.item.id})."
    if result.will_appear:
        credit = "with your name" if result.item.credit_by_name else "without your name"
        return f"{thanks} It will appear in the next Flash Report {credit}."
    return f"{thanks} It will wait until you agree to be quoted (see /me consent); until then it is not published."


def publish(request: PublishRequest, channel_id: int | None) -> str:
    """Say what "publish now" did."""
    head, tail = _OUTCOMES[request.outcome]
    said = head.format(title=request.issue.title)
    if tail is None:
        return render(said)
    return render(text(said, channel(channel_id or request.issue.channel_id or 0), tail))


def schedule(result: ScheduleResult) -> str:
    """Confirm a cadence with the next draft and publication times."""
    said: list[Text] = [
        text("Flash Reports now go out ", strong(rich_text(result.cadence, 200)), f" ({result.timezone})."),
        text(
            f"{result.issue.title}: draft to facilitators ",
            Time(result.draft_at),
            ", published ",
            Time(result.publish_at),
            ".",
        ),
    ]
    if result.following:
        dates = text(", ").join(Time(when, TimeStyle.DATE) for when in result.following)
        said.append(text("After that: ", dates, "."))
    return render(text("\n").join(said))


def skipped(result: SkipResult) -> str:
    """Confirm a skipped month."""
    return render(
        text(
            f"{result.issue.title} will not go out ",
            Time(result.skipped_date, TimeStyle.DATE),
            "; it moves to ",
            Time(result.next_date),
            " and its items wait for it.",
        )
    )


def archive_embed(page: ArchivePage, guild_id: int) -> discord.Embed:
    """List published issues, newest first, with links to where they were posted."""
    lines: list[Text] = []
    for summary in page.issues:
        link = jump_url(guild_id, summary.channel_id, summary.message_ids[0] if summary.message_ids else None)
        name = f"Flash Report #{summary.number}"
        line = text(
            Link(name, link) if link else name,
            " · ",
            Time(summary.published_at, TimeStyle.DATE),
            f" · {summary.resources} resources, {summary.nominations} nominations, {summary.stories} stories",
        )
        if summary.archive_only:
            line += text(f" ({summary.archive_only} only here: ", code(f"/flash archive issue:{summary.number}"), ")")
        lines.append(line)
    return to_discord_embed(
        Embed(
            title=f"Flash Report archive ({page.total})",
            description=text("\n").join(lines) if lines else "No Flash Report has been published yet.",
            colour=COLOUR,
            footer=f"Page {page.page} of {max(page.pages, 1)}",
        )
    )


def latest(found: PublishedIssue) -> str:
    """Introduce the latest issue, with a link to where it was posted."""
    issue = found.issue
    link = jump_url(issue.guild_id, issue.channel_id, issue.message_ids[0] if issue.message_ids else None)
    parts = len(found.snapshot.messages)
    said = text(strong(issue.title))
    if issue.published_at is not None:
        said += text(", published ", Time(issue.published_at, TimeStyle.DATE))
    if link:
        said += text(" — read it in full: ", Link(link, link))
    if parts > 1:
        said += f"\nBelow is part 1 of {parts}."
    return render(said)


def issue_archive_embed(found: IssueArchivePage) -> discord.Embed:
    """Show a page of what an issue holds beyond its posted messages."""
    issue = found.issue
    if found.archive_only:
        title = f"{issue.title}: {found.archive_only} more beyond the {found.posted} posted"
        description: Text | str = found.text
    else:
        title = f"{issue.title} in the archive"
        description = f"Everything in {issue.title} was posted ({found.posted} items); /flash latest shows the latest."
    return to_discord_embed(
        Embed(title=title, description=description, colour=COLOUR, footer=f"Page {found.page} of {found.pages}")
    )


def bulk(result: BulkResult, user_id: int) -> str:
    """Confirm a bulk include or exclude of one person's items (named by a mention that pings nobody)."""
    things, are = ("item", "is") if result.changed == 1 else ("items", "are")
    if result.state is ItemState.INCLUDED:
        said = text(f"{result.changed} waiting {things} of ", user(user_id), f" {are} now in the next Flash Report.")
    else:
        said = text(
            f"{result.changed} waiting {things} of ", user(user_id), " will be left out of the next Flash Report."
        )
    return render(said)


def page_done(result: BulkResult) -> str:
    """Confirm an "Include page" / "Exclude page" press."""
    things = "item" if result.changed == 1 else "items"
    verb = "included" if result.state is ItemState.INCLUDED else "excluded"
    return f"{result.changed} {things} on this page {verb}."


def limits(found: FlashLimits) -> str:
    """Describe the flood limits in force."""
    per_person = text(strong(str(found.per_person_per_day)), " items per person per day") + (
        " (the default)" if found.is_default_per_person else ""
    )
    size = text(strong(str(found.issue_size)), " items per published issue") + (
        " (the default)" if found.is_default_issue_size else ""
    )
    return render(
        text(
            "Flash Report limits: ",
            per_person,
            f", counted from midnight to midnight {found.timezone} time (shares, stories and nominated messages "
            "together; facilitators are not limited); ",
            size,
            ", the rest listed by /flash archive issue:<number>. Change them with /flash limits.",
        )
    )
