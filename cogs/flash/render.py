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
from bot.core.flash.safetext import discord_text
from bot.core.text import discord_timestamp

_OUTCOMES = {
    PublishOutcome.STARTED: "{title} is going out to <#{channel}> now.",
    PublishOutcome.RESUMED: "{title} stopped part-way earlier; the missing parts are going out to <#{channel}> now.",
    PublishOutcome.ALREADY_GOING_OUT: "{title} is already going out to <#{channel}>; nothing new was started.",
    PublishOutcome.ALREADY_PUBLISHED: "{title} is already published; nothing was posted again.",
}


def jump_url(guild_id: int, channel_id: int | None, message_id: int | None) -> str | None:
    """Return a link to a posted message, when its ids are known."""
    if channel_id is None or message_id is None:
        return None
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def shared(sharer: str) -> str:
    """Thank the person who shared a resource (the preview embed goes with it)."""
    return f"Thank you, {discord_text(sharer, 100) or 'friend'}! Your resource is in the next Flash Report."


def nominated(result: NominationResult) -> str:
    """Confirm a nomination from the context menu."""
    if not result.created:
        return f"That message is already in the next Flash Report (item #{result.item.id})."
    return f"Added that message to the next Flash Report (item #{result.item.id})."


def story(result: StoryResult) -> str:
    """Confirm a story, saying whether quote consent lets it appear."""
    text = f"Thank you for your story (item #{result.item.id})."
    if result.will_appear:
        credit = "with your name" if result.item.credit_by_name else "without your name"
        return f"{text} It will appear in the next Flash Report {credit}."
    return f"{text} It will wait until you agree to be quoted (see /me consent); until then it is not published."


def publish(request: PublishRequest, channel_id: int | None) -> str:
    """Say what "publish now" did."""
    template = _OUTCOMES[request.outcome]
    return template.format(title=request.issue.title, channel=channel_id or request.issue.channel_id or 0)


def schedule(result: ScheduleResult) -> str:
    """Confirm a cadence with the next draft and publication times."""
    lines = [
        f"Flash Reports now go out **{discord_text(result.cadence, 200)}** ({result.timezone}).",
        f"{result.issue.title}: draft to facilitators {discord_timestamp(result.draft_at, 'F')}, "
        f"published {discord_timestamp(result.publish_at, 'F')}.",
    ]
    if result.following:
        lines.append("After that: " + ", ".join(discord_timestamp(when, "D") for when in result.following) + ".")
    return "\n".join(lines)


def skipped(result: SkipResult) -> str:
    """Confirm a skipped month."""
    return (
        f"{result.issue.title} will not go out {discord_timestamp(result.skipped_date, 'D')}; "
        f"it moves to {discord_timestamp(result.next_date, 'F')} and its items wait for it."
    )


def archive_embed(page: ArchivePage, guild_id: int) -> discord.Embed:
    """List published issues, newest first, with links to where they were posted."""
    lines = []
    for summary in page.issues:
        link = jump_url(guild_id, summary.channel_id, summary.message_ids[0] if summary.message_ids else None)
        name = f"[Flash Report #{summary.number}]({link})" if link else f"Flash Report #{summary.number}"
        line = (
            f"{name} · {discord_timestamp(summary.published_at, 'D')} · {summary.resources} resources, "
            f"{summary.nominations} nominations, {summary.stories} stories"
        )
        if summary.archive_only:
            line += f" ({summary.archive_only} only here: `/flash archive issue:{summary.number}`)"
        lines.append(line)
    embed = discord.Embed(
        title=f"Flash Report archive ({page.total})",
        description="\n".join(lines) or "No Flash Report has been published yet.",
        colour=COLOUR,
    )
    embed.set_footer(text=f"Page {page.page} of {max(page.pages, 1)}")
    return embed


def latest(found: PublishedIssue) -> str:
    """Introduce the latest issue, with a link to where it was posted."""
    issue = found.issue
    link = jump_url(issue.guild_id, issue.channel_id, issue.message_ids[0] if issue.message_ids else None)
    parts = len(found.snapshot.messages)
    text = f"**{issue.title}**"
    if issue.published_at is not None:
        text += f", published {discord_timestamp(issue.published_at, 'D')}"
    if link:
        text += f" — read it in full: {link}"
    if parts > 1:
        text += f"\nBelow is part 1 of {parts}."
    return text


def issue_archive_embed(found: IssueArchivePage) -> discord.Embed:
    """Show a page of what an issue holds beyond its posted messages."""
    issue = found.issue
    if found.archive_only:
        title = f"{issue.title}: {found.archive_only} more beyond the {found.posted} posted"
        description = found.text
    else:
        title = f"{issue.title} in the archive"
        description = f"Everything in {issue.title} was posted ({found.posted} items); /flash latest shows the latest."
    embed = discord.Embed(title=title[:256], description=description[:4096], colour=COLOUR)
    embed.set_footer(text=f"Page {found.page} of {found.pages}")
    return embed


def bulk(result: BulkResult, who: str) -> str:
    """Confirm a bulk include or exclude of one person's items."""
    things, are = ("item", "is") if result.changed == 1 else ("items", "are")
    if result.state is ItemState.INCLUDED:
        return f"{result.changed} waiting {things} of {who} {are} now in the next Flash Report."
    return f"{result.changed} waiting {things} of {who} will be left out of the next Flash Report."


def page_done(result: BulkResult) -> str:
    """Confirm an "Include page" / "Exclude page" press."""
    things = "item" if result.changed == 1 else "items"
    verb = "included" if result.state is ItemState.INCLUDED else "excluded"
    return f"{result.changed} {things} on this page {verb}."


def limits(found: FlashLimits) -> str:
    """Describe the flood limits in force."""
    per_person = f"**{found.per_person_per_day}** items per person per day" + (
        " (the default)" if found.is_default_per_person else ""
    )
    size = f"**{found.issue_size}** items per published issue" + (
        " (the default)" if found.is_default_issue_size else ""
    )
    return (
        f"Flash Report limits: {per_person}, counted from midnight to midnight {found.timezone} time "
        "(shares, stories and nominated messages together; facilitators are not limited); "
        f"{size}, the rest listed by /flash archive issue:<number>. Change them with /flash limits."
    )
