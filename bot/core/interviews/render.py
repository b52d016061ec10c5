"""Interview messages as platform-free OutboundMessages (the invitation DM)."""

from bot.core.interviews.ids import answer_button_id
from bot.core.messages import Button, ButtonStyle, OutboundMessage


def invitation(guild_id: int) -> OutboundMessage:
    """Return the interview invitation DM with "Yes, contact me" / "No thanks"."""
    return OutboundMessage(
        content=(
            "You said the evaluation team may contact you about an interview. Would you like to talk to them about "
            "your experience of the programme (about 45 minutes, online or by phone)? Saying no changes nothing "
            "else, and you can withdraw at any time with /me consent."
        ),
        buttons=(
            Button("Yes, contact me", answer_button_id(guild_id, "yes"), style=ButtonStyle.SUCCESS),
            Button("No thanks", answer_button_id(guild_id, "no")),
        ),
    )


def answered(accepted: bool) -> str:
    """Return the reply to an invitation button."""
    if accepted:
        return "Thank you — the evaluation team will be in touch. You can still change your mind with /me consent."
    return "Thank you for letting us know; nobody will contact you about an interview."
