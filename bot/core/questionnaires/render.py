"""Questionnaire messages, platform-neutral: the post, DMs, nudges, summaries and replies (rich Text).

Names of people never appear in anything posted publicly. User text is plain str (literal: the adapter
escapes it); times are Time spans, emphasis is strong().
"""

from datetime import datetime

from bot.core.messages import (
    Button,
    ButtonStyle,
    Embed,
    EmbedField,
    OutboundMessage,
    Text,
    Time,
    TimeStyle,
    code,
    fit,
    lines,
    strong,
    text,
)
from bot.core.questionnaires.domain import (
    SUPPRESS_BELOW,
    Audience,
    PageSaved,
    Questionnaire,
    QuestionnaireStatus,
    QuestionnaireView,
    StatusReport,
)
from bot.core.questionnaires.ids import continue_button_id, later_button_id, mentor_button_id, start_button_id
from bot.core.text import one_line

COLOUR = 0x3B6EA5
CLOSED_COLOUR = 0x8A8A8A
FIELD_LIMIT = 1024
DESCRIPTION_LIMIT = 4000


def _name(q: Questionnaire | str) -> str:
    return one_line(q if isinstance(q, str) else q.name, 60) or "questionnaire"


def _who(q: Questionnaire) -> str:
    return "facilitators, peer coaches and speakers" if q.audience is Audience.FACILITATOR else "participants"


def _start(q: Questionnaire, *, disabled: bool = False) -> tuple[Button, ...]:
    return (Button(label="Start", custom_id=start_button_id(q.id), style=ButtonStyle.PRIMARY, disabled=disabled),)


def _closes(q: Questionnaire | PageSaved, lead: str, *, relative: bool = True) -> Text:
    if q.closes_at is None:
        return text()
    if relative:
        return text(lead, Time(q.closes_at), " (", Time(q.closes_at, TimeStyle.RELATIVE), ").")
    return text(lead, Time(q.closes_at), ".")


def start_post(q: Questionnaire) -> OutboundMessage:
    """Return the post in the reflections channel with the "Start" button."""
    embed = Embed(
        title=f"Questionnaire: {_name(q)}",
        description=text(
            f"For {_who(q)}. Press ",
            strong("Start"),
            " to answer. It comes in short pages; each page is saved when you submit it, so you can stop and carry "
            "on later where you left off, and change answers until it closes.",
            _closes(q, " It closes "),
        ),
        colour=COLOUR,
        footer="The evaluation uses answers only with your evaluation consent, never with your name.",
    )
    return OutboundMessage(embeds=(embed,), buttons=_start(q))


def baseline_offer(q: Questionnaire) -> OutboundMessage:
    """Return the private offer of the open baseline questionnaire shown after /join."""
    return OutboundMessage(
        content=text(
            "Before the programme gets going, would you answer the short questionnaire ",
            strong(_name(q)),
            "? It asks where you are now, so the programme can see what changes. Press ",
            strong("Start"),
            "; you can stop after any page and carry on later.",
        ),
        buttons=_start(q),
    )


def closed_post(q: Questionnaire) -> OutboundMessage:
    """Return the post after closing: thanks, button disabled."""
    embed = Embed(title=f"Questionnaire closed: {_name(q)}", description="Thank you to everyone who answered.")
    return OutboundMessage(embeds=(embed,), buttons=_start(q, disabled=True))


def invite_dm(q: Questionnaire) -> OutboundMessage:
    """Return the invitation DM."""
    return OutboundMessage(
        content=text(
            "The questionnaire ",
            strong(_name(q)),
            " is open. It takes a few minutes, page by page.",
            _closes(q, " It closes ", relative=False),
        ),
        buttons=_start(q),
    )


def nudge_dm(q: Questionnaire, *, started: bool) -> OutboundMessage:
    """Return the reminder DM (to people who started but did not finish, or did not start)."""
    lead = "You started" if started else "There is still time for"
    tail = "; press Start to carry on where you left off" if started else ""
    closes = text(" It closes ", Time(q.closes_at, TimeStyle.RELATIVE), ".") if q.closes_at else text()
    return OutboundMessage(
        content=text(f"{lead} the questionnaire ", strong(_name(q)), f"{tail}.", closes), buttons=_start(q)
    )


def nudge_post(q: Questionnaire) -> OutboundMessage:
    """Return the public reminder before closing (names nobody)."""
    return OutboundMessage(
        content=text(
            "A reminder: the questionnaire ",
            strong(_name(q)),
            " is still open.",
            _closes(q, " It closes "),
            " Every answer helps.",
        ),
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
    return OutboundMessage(
        content=text(
            f"Saved page {saved.page}. Next: page {saved.next_page} of {saved.pages}.",
            _closes(saved, " You can come back until ", relative=False),
        ),
        buttons=(
            Button("Continue", continue_button_id(saved.questionnaire_id, saved.next_page), style=ButtonStyle.PRIMARY),
            Button("Finish later", later_button_id(saved.questionnaire_id)),
        ),
    )


def summary(saved: PageSaved) -> OutboundMessage:
    """Return what was saved, after the last page (and the mentoring contact question when it applies)."""
    rows = [text(strong(one_line(label, 60)), ": ", one_line(value, 200)) for label, value in saved.summary]
    body = fit(lines(*rows), DESCRIPTION_LIMIT) if rows else text("No answers.")
    embed = Embed(title=f"Thank you — your answers to {_name(saved.name)}", description=body, colour=COLOUR)
    content = text(
        "Everything is saved.", _closes(saved, " You can change your answers with Start until ", relative=False)
    )
    buttons: tuple[Button, ...] = ()
    if saved.mentor_offer:
        content = text(content, "\nMay the programme team contact you about supporting or mentoring a second cohort?")
        buttons = (
            Button("Yes, contact me", mentor_button_id(saved.questionnaire_id, "yes"), style=ButtonStyle.SUCCESS),
            Button("No thanks", mentor_button_id(saved.questionnaire_id, "no")),
        )
    return OutboundMessage(content=content, embeds=(embed,), buttons=buttons)


def finish_later(q: Questionnaire) -> Text:
    """Return the reply to "Finish later"."""
    closes = text(" before it closes ", Time(q.closes_at)) if q.closes_at else text()
    return text(
        "Your pages so far are saved. Press Start on the questionnaire post", closes, " to carry on where you left off."
    )


def view(v: QuestionnaireView) -> Embed:
    """Return a questionnaire's items for facilitators."""
    q = v.questionnaire
    rows = []
    for number, item in enumerate(v.items, 1):
        extra = f" ({', '.join(item.choices)})" if item.choices else ""
        rows.append(text(f"{number}. ", code(item.kind.value), " ", one_line(item.text + extra, 300)))
    when = []
    if q.opens_at:
        when.append(text("opens ", Time(q.opens_at, TimeStyle.SHORT)))
    if q.closes_at:
        when.append(text("closes ", Time(q.closes_at, TimeStyle.SHORT)))
    description = fit(lines(*rows, text(", ").join(when) if when else None), DESCRIPTION_LIMIT) if rows else "No items."
    footer = f"{q.status.value} · version {q.version} · {v.pages} pages · for {_who(q)}"
    fields = tuple(EmbedField("Note", fit(n, FIELD_LIMIT)) for n in v.notes[:3])
    return Embed(
        title=f"{_name(q)} ({q.template})", description=description, colour=COLOUR, fields=fields, footer=footer
    )


def _count(value: int | None) -> str:
    return f"<{SUPPRESS_BELOW}" if value is None else str(value)


def status(report: StatusReport) -> Embed:
    """Return /questionnaire status: started and finished overall, by area group and by role (suppressed)."""
    q = report.questionnaire
    audience = f" of {report.audience}" if report.audience else ""
    description = text(
        strong(str(report.started)),
        " started and ",
        strong(str(report.finished)),
        f" finished{audience}. {report.items} items on {report.pages} pages; {q.status.value}.",
    )
    fields = []
    for title, groups in (("By area", report.by_area), ("By role", report.by_role)):
        rows = [f"{one_line(g.label, 60)}: {_count(g.started)} started, {_count(g.finished)} finished" for g in groups]
        if rows:
            fields.append(EmbedField(title, fit("\n".join(rows), FIELD_LIMIT)))
    return Embed(
        title=f"Questionnaire status: {_name(q)}",
        description=description,
        colour=COLOUR,
        fields=tuple(fields),
        footer=f"Counts under {SUPPRESS_BELOW} are not shown.",
    )


def opened(q: Questionnaire, now: datetime) -> Text:
    """Return the reply to /questionnaire open."""
    if q.opens_at and q.opens_at > now and q.status is not QuestionnaireStatus.OPEN:
        return text(f'"{_name(q)}" will open ', Time(q.opens_at), " and close ", Time(q.closes_at or q.opens_at), ".")
    return text(f'"{_name(q)}" is opening now: the post goes to the reflections channel within a minute.')


def closed(q: Questionnaire) -> Text:
    """Return the reply to /questionnaire close."""
    return text(f'"{_name(q)}" is closed; the completion summary goes to the facilitator channel.')
