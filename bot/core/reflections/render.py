"""Messages of the reflection feature: the card, its closed form, the nudge, the reminder DM and the summary."""

from datetime import datetime

from bot.core.groups.ids import join_button_id
from bot.core.messages import (
    Button,
    ButtonStyle,
    Embed,
    EmbedField,
    OutboundMessage,
    Text,
    Time,
    TimeStyle,
    clip,
    code_block,
    fit,
    quote,
    small,
    strong,
    text,
)
from bot.core.programme.domain import Session
from bot.core.reflections.domain import PollResults
from bot.core.reflections.ids import attend_button_id, reflect_button_id
from bot.core.reflections.questions import RATING_MAX, RATING_MIN
from bot.core.text import one_line

CARD_COLOUR = 0x2E8B57
CLOSED_COLOUR = 0x808080
TITLE_LIMIT = 200
BAR_WIDTH = 12


def session_heading(session: Session) -> str:
    """Return "Session 3: Title" (the title cleaned onto one line and clipped; nothing escaped)."""
    return f"Session {session.number}: {one_line(session.title, TITLE_LIMIT)}"


def card_buttons(session_id: int, *, disabled: bool = False, groups: bool = False) -> tuple[Button, ...]:
    """Return the card's "Reflect" and "I attended" buttons (and "Join a group" when the session has groups)."""
    buttons: tuple[Button, ...] = (
        Button("Reflect", custom_id=reflect_button_id(session_id), style=ButtonStyle.PRIMARY, disabled=disabled),
        Button("I attended", custom_id=attend_button_id(session_id), style=ButtonStyle.SUCCESS, disabled=disabled),
    )
    if groups:
        buttons += (Button("Join a group", custom_id=join_button_id(session_id), disabled=disabled),)
    return buttons


def reflection_card(session: Session, closes_at: datetime, *, groups: bool = False) -> OutboundMessage:
    """Return the card posted after a session: a thank-you and the two buttons."""
    description = text(
        "Thank you for being part of ",
        strong(session_heading(session)),
        ".\n\nIf you were there, press ",
        strong("I attended"),
        ", then ",
        strong("Reflect"),
        " to share what worked well and what would make it even better — it takes about two minutes, and every "
        "question but the first is optional.\n\nReflections close ",
        Time(closes_at),
        " (",
        Time(closes_at, TimeStyle.RELATIVE),
        "). You can change your answers until then.",
    )
    embed = Embed(
        title=f"How was Session {session.number}?",
        description=description,
        colour=CARD_COLOUR,
        footer="Facilitators see your answers. Your words are quoted only if you allow it, never with your name.",
    )
    return OutboundMessage(embeds=(embed,), buttons=card_buttons(session.id, groups=groups))


def closed_card(session: Session, closed_at: datetime) -> OutboundMessage:
    """Return the card as it looks after the poll closed: same text, buttons disabled."""
    embed = Embed(
        title=f"Reflections on Session {session.number} are closed",
        description=text(
            "Thank you to everyone who reflected on ",
            strong(session_heading(session)),
            ". Reflections closed ",
            Time(closed_at),
            ".",
        ),
        colour=CLOSED_COLOUR,
    )
    return OutboundMessage(embeds=(embed,), buttons=card_buttons(session.id, disabled=True))


def reopened_card(session: Session, closes_at: datetime) -> OutboundMessage:
    """Return the card with its buttons enabled again after a facilitator reopened the poll."""
    return reflection_card(session, closes_at)


def nudge_post(session: Session, closes_at: datetime) -> OutboundMessage:
    """Return the channel reminder before closing (names nobody)."""
    content = text(
        "Reflections on ",
        strong(session_heading(session)),
        " close ",
        Time(closes_at, TimeStyle.RELATIVE),
        ". If you attended and have not reflected yet, there is still time — press ",
        strong("Reflect"),
        " below or on the reflection card.",
    )
    return OutboundMessage(
        content=content,
        buttons=(Button("Reflect", custom_id=reflect_button_id(session.id), style=ButtonStyle.PRIMARY),),
    )


def nudge_dm(session: Session, closes_at: datetime) -> OutboundMessage:
    """Return the reminder DM to someone who attended and has not reflected (they opted in to DMs)."""
    content = text(
        "Hello! You attended ",
        strong(session_heading(session)),
        " — thank you. Reflections close ",
        Time(closes_at, TimeStyle.RELATIVE),
        "; if you would like to share what worked well and what would make it even better, press ",
        strong("Reflect"),
        ".",
        small("You get this because you turned on DM reminders; turn them off with /reminders dm off."),
    )
    return OutboundMessage(
        content=content,
        buttons=(Button("Reflect", custom_id=reflect_button_id(session.id), style=ButtonStyle.PRIMARY),),
    )


def _bar(count: int, largest: int) -> str:
    if largest <= 0 or count <= 0:
        return ""
    return "█" * max(1, round(BAR_WIDTH * count / largest))


def distribution_lines(results: PollResults) -> list[str]:
    """Return one line per rating, 5 down to 1, with a bar and the count."""
    largest = max(results.distribution.values(), default=0)
    return [
        f"{value} ★ {_bar(results.distribution.get(value, 0), largest)} {results.distribution.get(value, 0)}"
        for value in range(RATING_MAX, RATING_MIN - 1, -1)
    ]


def response_line(results: PollResults) -> str:
    """Return "12 responses from 15 attendees (80%)" (or without the rate when attendance is unknown)."""
    noun = "response" if results.responses == 1 else "responses"
    if results.response_rate is None:
        return f"{results.responses} {noun}; no attendance recorded"
    people = "attendee" if results.attendance == 1 else "attendees"
    if results.response_rate > 1:
        return (
            f"{results.responses} {noun}, but only {results.attendance} {people} recorded — mark attendance "
            "(I attended, /attendance) for a true response rate"
        )
    return f"{results.responses} {noun} from {results.attendance} {people} ({results.response_rate:.0%})"


def ratings_text(mean: str, results: PollResults) -> Text:
    """Return the mean and a bar chart of the ratings, one line per value."""
    return text(mean, code_block("\n".join(distribution_lines(results))))


def quotes_text(quotes: tuple[str, ...], limit: int) -> Text:
    """Return consented quotes as a quotation, one per line, within limit characters (whole quotes only)."""
    kept: list[str] = []
    used = 0
    for line in quotes:
        if kept and used + len(line) + 3 > limit:
            break
        kept.append(line)
        used += len(line) + 3
    return fit(text(quote("\n".join(kept))), limit)


def close_summary(session: Session, results: PollResults) -> OutboundMessage:
    """Return the facilitators' summary when a poll closes: counts, rate, ratings and consented quotes."""
    fields = []
    if results.ratings:
        noun = "rating" if results.ratings == 1 else "ratings"
        mean = f"Mean {results.mean_rating or 0:.1f} from {results.ratings} {noun}"
        fields.append(EmbedField("Ratings", ratings_text(mean, results)))
    else:
        fields.append(EmbedField("Ratings", "No ratings."))
    if results.quotes:
        fields.append(EmbedField("Quotes (with permission)", quotes_text(results.quotes, 1024)))
    embed = Embed(
        title=clip(f"Reflections closed — {session_heading(session)}", 256),
        description=response_line(results),
        colour=CLOSED_COLOUR,
        fields=tuple(fields),
        footer="Quotes are from people who ticked the quote box and agreed to quotes in /me consent.",
    )
    return OutboundMessage(embeds=(embed,))
