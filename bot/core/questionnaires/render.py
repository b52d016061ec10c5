"""Questionnaire messages as platform-free OutboundMessages: the post, DMs, nudges, summaries and replies.

Names of people never appear in anything posted publicly; user text passes through bot.core.text first.
"""

from datetime import datetime

from bot.core.messages import Button, ButtonStyle, Embed, EmbedField, OutboundMessage
from bot.core.questionnaires.domain import (
    SUPPRESS_BELOW,
    Audience,
    PageSaved,
    Questionnaire,
    QuestionnaireView,
    StatusReport,
)
from bot.core.questionnaires.ids import continue_button_id, later_button_id, mentor_button_id, start_button_id
from bot.core.text import discord_timestamp as t
from bot.core.text import sanitise_block, sanitise_inline

COLOUR = 0x3B6EA5
CLOSED_COLOUR = 0x8A8A8A
FIELD_LIMIT = 1024


def _name(q: Questionnaire) -> str:
    return sanitise_inline(q.name, 60) or "questionnaire"


def _who(q: Questionnaire) -> str:
    return "facilitators, peer coaches and speakers" if q.audience is Audience.FACILITATOR else "participants"


def _start(q: Questionnaire, *, disabled: bool = False) -> tuple[Button, ...]:
    return (Button(label="Start", custom_id=start_button_id(q.id), style=ButtonStyle.PRIMARY, disabled=disabled),)


def start_post(q: Questionnaire) -> OutboundMessage:
    """Return the post in the reflections channel with the "Start" button."""
    closes = f" It closes {t(q.closes_at)} ({t(q.closes_at, 'R')})." if q.closes_at else ""
    embed = Embed(
        title=f"Questionnaire: {_name(q)}",
        description=(
            f"For {_who(q)}. Press **Start** to answer. It comes in short pages; each page is saved when you "
            f"submit it, so you can stop and carry on later where you left off, and change answers until it "
            f"closes.{closes}"
        ),
        colour=COLOUR,
        footer="The evaluation uses answers only with your evaluation consent, never with your name.",
    )
    return OutboundMessage(embeds=(embed,), buttons=_start(q))


def closed_post(q: Questionnaire) -> OutboundMessage:
    """Return the post after closing: thanks, button disabled."""
    embed = Embed(title=f"Questionnaire closed: {_name(q)}", description="Thank you to everyone who answered.")
    return OutboundMessage(embeds=(embed,), buttons=_start(q, disabled=True))


def invite_dm(q: Questionnaire) -> OutboundMessage:
    """Return the invitation DM."""
    closes = f" It closes {t(q.closes_at)}." if q.closes_at else ""
    return OutboundMessage(
        content=f"The questionnaire **{_name(q)}** is open. It takes a few minutes, page by page.{closes}",
        buttons=_start(q),
    )


def nudge_dm(q: Questionnaire, *, started: bool) -> OutboundMessage:
    """Return the reminder DM (to people who started but did not finish, or did not start)."""
    lead = "You started" if started else "There is still time for"
    tail = "; press Start to carry on where you left off" if started else ""
    closes = f" It closes {t(q.closes_at, 'R')}." if q.closes_at else ""
    return OutboundMessage(content=f"{lead} the questionnaire **{_name(q)}**{tail}.{closes}", buttons=_start(q))


def nudge_post(q: Questionnaire) -> OutboundMessage:
    """Return the public reminder before closing (names nobody)."""
    closes = f" It closes {t(q.closes_at)} ({t(q.closes_at, 'R')})." if q.closes_at else ""
    return OutboundMessage(
        content=f"A reminder: the questionnaire **{_name(q)}** is still open.{closes} Every answer helps.",
        buttons=_start(q),
    )


def completion_summary(q: Questionnaire, started: int, finished: int) -> OutboundMessage:
    """Return the facilitators' summary posted when a questionnaire closes."""
    embed = Embed(
        title=f"Questionnaire closed: {_name(q)}",
        description=(
            f"{started} people started it and {finished} finished. See /questionnaire status for the counts by "
            "area and role, and /report programme for the outcomes."
        ),
        colour=CLOSED_COLOUR,
    )
    return OutboundMessage(embeds=(embed,))


def between_pages(saved: PageSaved) -> OutboundMessage:
    """Return the private note after a page: "page 2 of 4" with Continue / Finish later, or the summary."""
    if saved.next_page is None:
        return summary(saved)
    closes = f" You can come back until {t(saved.closes_at)}." if saved.closes_at else ""
    return OutboundMessage(
        content=(f"Saved page {saved.page}. Next: page {saved.next_page} of {saved.pages}.{closes}"),
        buttons=(
            Button("Continue", continue_button_id(saved.questionnaire_id, saved.next_page), style=ButtonStyle.PRIMARY),
            Button("Finish later", later_button_id(saved.questionnaire_id)),
        ),
    )


def summary(saved: PageSaved) -> OutboundMessage:
    """Return what was saved, after the last page (and the mentoring contact question when it applies)."""
    lines = [f"**{sanitise_inline(label, 60)}**: {sanitise_block(value, 200)}" for label, value in saved.summary]
    body = "\n".join(lines) or "No answers."
    if len(body) > 4000:
        body = body[:3990] + "\n…"
    closes = f" You can change your answers until {t(saved.closes_at)} with Start." if saved.closes_at else ""
    embed = Embed(
        title=f"Thank you — your answers to {sanitise_inline(saved.name, 60)}", description=body, colour=COLOUR
    )
    content = f"Everything is saved.{closes}"
    buttons: tuple[Button, ...] = ()
    if saved.mentor_offer:
        content += "\nMay the programme team contact you about supporting or mentoring a second cohort?"
        buttons = (
            Button("Yes, contact me", mentor_button_id(saved.questionnaire_id, "yes"), style=ButtonStyle.SUCCESS),
            Button("No thanks", mentor_button_id(saved.questionnaire_id, "no")),
        )
    return OutboundMessage(content=content, embeds=(embed,), buttons=buttons)


def finish_later(q: Questionnaire) -> str:
    """Return the reply to "Finish later"."""
    closes = f" before it closes {t(q.closes_at)}" if q.closes_at else ""
    return f"Your pages so far are saved. Press Start on the questionnaire post{closes} to carry on where you left off."


def view(v: QuestionnaireView) -> Embed:
    """Return a questionnaire's items for facilitators."""
    q = v.questionnaire
    lines = []
    for number, item in enumerate(v.items, 1):
        extra = f" ({', '.join(item.choices)})" if item.choices else ""
        lines.append(f"{number}. `{item.kind.value}` {sanitise_inline(item.text, 150)}{sanitise_inline(extra, 200)}")
    text = "\n".join(lines) or "No items."
    if len(text) > 4000:
        text = text[:3990] + "\n…"
    when = []
    if q.opens_at:
        when.append(f"opens {t(q.opens_at)}")
    if q.closes_at:
        when.append(f"closes {t(q.closes_at)}")
    footer = f"{q.status.value} · version {q.version} · {v.pages} pages · for {_who(q)}"
    if when:
        footer += " · " + ", ".join(when).replace("<", "").replace(">", "")
    fields = tuple(EmbedField("Note", sanitise_block(n, FIELD_LIMIT)) for n in v.notes[:3])
    return Embed(title=f"{_name(q)} ({q.template})", description=text, colour=COLOUR, fields=fields, footer=footer)


def _count(value: int | None) -> str:
    return f"<{SUPPRESS_BELOW}" if value is None else str(value)


def status(report: StatusReport) -> Embed:
    """Return /questionnaire status: started and finished overall, by area group and by role (suppressed)."""
    q = report.questionnaire
    audience = f" of {report.audience}" if report.audience else ""
    description = (
        f"**{report.started}** started and **{report.finished}** finished{audience}. "
        f"{report.items} items on {report.pages} pages; {q.status.value}."
    )
    fields = []
    for title, groups in (("By area", report.by_area), ("By role", report.by_role)):
        rows = [
            f"{sanitise_inline(g.label, 60)}: {_count(g.started)} started, {_count(g.finished)} finished"
            for g in groups
        ]
        if rows:
            fields.append(EmbedField(title, "\n".join(rows)[:FIELD_LIMIT]))
    return Embed(
        title=f"Questionnaire status: {_name(q)}",
        description=description,
        colour=COLOUR,
        fields=tuple(fields),
        footer=f"Counts under {SUPPRESS_BELOW} are not shown.",
    )


def opened(q: Questionnaire, now: datetime) -> str:
    """Return the reply to /questionnaire open."""
    if q.opens_at and q.opens_at > now and q.status.value != "open":
        return f'"{_name(q)}" will open {t(q.opens_at)} and close 21 days later unless you set otherwise.'
    return f'"{_name(q)}" is opening now: the post goes to the reflections channel within a minute.'


def closed(q: Questionnaire) -> str:
    """Return the reply to /questionnaire close."""
    return f'"{_name(q)}" is closed; the completion summary goes to the facilitator channel.'
