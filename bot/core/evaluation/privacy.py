"""The /privacy notice: what Blether keeps, why, for how long, who sees it, and how to see, change or erase it."""

from bot.core.messages import Text, italic, lines, strong, text
from bot.core.programme.domain import DEFAULT_RETENTION_MONTHS, Programme

PRIVACY_LIMIT = 4000
"""The notice fits one embed description (Discord allows 4,096 characters)."""


def _months(count: int) -> str:
    return f"{count} month" + ("" if count == 1 else "s")


def privacy_notice(programme: Programme | None) -> Text:
    """Return the privacy notice in plain words (rich text; ≤ 4,000 characters once written for Discord)."""
    months = programme.retention_months if programme is not None else DEFAULT_RETENTION_MONTHS
    return text("\n\n").join(
        [
            lines(
                strong("What Blether keeps about you"),
                "• Your profile from /join: the community you name, the kind of area you live in and your role — "
                "each optional.",
                "• Your consent answers (evaluation, quotes, interview), with every change and the consent text you "
                "answered.",
                "• Sessions you said you'd attend, and whether you want reminders by direct message.",
                "• Your reflections after sessions: ratings and what you wrote.",
                "• Your attendance: check-ins, time spent in the session's voice channel, or a facilitator marking "
                "you present.",
                "• What you share for the Flash Report: resources, stories of change, and messages of yours that "
                "people nominate.",
                "Blether does not keep your messages in general, and the evaluation never gets your Discord name "
                "or id.",
            ),
            lines(
                strong("Why"),
                "To run the programme: reminders, reflection polls, attendance and the monthly Flash Report. With "
                "your consent, the evaluation team also uses your reflections and stories to learn what difference "
                "the programme makes.",
            ),
            lines(
                strong("Who sees it"),
                "• Facilitators see attendance lists and reflection results (counts, ratings, and quotes you allowed).",
                "• The evaluation team gets pseudonymised files: you appear only as a code like P-3f2a9c0b1d4e, and "
                'only while your evaluation consent is "yes" (your profile, attendance, reflections, resources and '
                "stories alike).",
                text(
                    "• Quotes appear in reports only if you agreed to quotes ",
                    italic("and"),
                    ' ticked "you may quote" on that reflection.',
                ),
                "• Reports never show counts of fewer than 5 people, nor a community's name unless 5 who agreed "
                "belong to it.",
                "• Flash Reports are posted in the server for everyone in it.",
            ),
            lines(
                strong("How long"),
                "Free text (what you wrote in reflections and stories, the titles and notes of resources you shared, "
                "excerpts of your messages, and your name where it credits you) is deleted "
                f"{_months(months)} after the programme's last session, in the messages Blether posted too. "
                "Ratings and attendance counts are kept for the evaluation. If you leave the server you are marked "
                "inactive; use /me delete to have everything removed.",
            ),
            lines(
                strong("Your choices"),
                text("• ", strong("/me data"), " — get a file of everything Blether holds about you."),
                text(
                    "• ",
                    strong("/me consent"),
                    " — see or change what you agreed to; a change applies to every export made from then on.",
                ),
                text(
                    "• ",
                    strong("/me delete"),
                    " — erase everything Blether holds about you here. It cannot be undone. Your words and name are "
                    'also removed from what Blether already posted: published Flash Reports (marked "removed at the '
                    "person's request\"), drafts and reflection summaries. Files already sent to the evaluators "
                    "before that can't be recalled by Blether; ask a facilitator to tell them.",
                ),
            ),
        ]
    )
