"""The built-in questionnaire templates: end-of-programme, facilitators and baseline."""

from collections.abc import Sequence

from bot.core.programme.domain import Outcome
from bot.core.questionnaires.domain import MENTOR_KEY, MENTOR_TEXT, Audience, ItemDraft, ItemKind

TEMPLATES = ("end-of-programme", "facilitators", "baseline")

AGREEMENT = (
    ("grown", "I have grown personally"),
    ("influence", "I have more influence in my community"),
    ("network", "I feel part of a network with a shared purpose"),
)


def _outcome_pairs(outcomes: Sequence[Outcome]) -> list[ItemDraft]:
    items: list[ItemDraft] = []
    for outcome in outcomes:
        items.append(ItemDraft(f"o{outcome.id}_before", ItemKind.BEFORE, outcome.text, outcome.id))
        items.append(ItemDraft(f"o{outcome.id}_now", ItemKind.NOW, outcome.text, outcome.id))
    return items


def template_items(template: str, outcomes: Sequence[Outcome]) -> tuple[Audience, list[ItemDraft]]:
    """Return the audience and items of a built-in template for the programme's outcomes."""
    if template == "end-of-programme":
        return Audience.PARTICIPANT, [
            *_outcome_pairs(outcomes),
            *(ItemDraft(key, ItemKind.AGREEMENT, text) for key, text in AGREEMENT),
            ItemDraft("best", ItemKind.LONG_TEXT, "What has been the most significant change for you or your place?"),
            ItemDraft("better", ItemKind.LONG_TEXT, "What would make the programme even better?"),
            ItemDraft(MENTOR_KEY, ItemKind.YES_MAYBE_NO, MENTOR_TEXT),
        ]
    if template == "facilitators":
        return Audience.FACILITATOR, [
            ItemDraft("aims", ItemKind.AGREEMENT, "The programme met its aims"),
            ItemDraft("growth", ItemKind.AGREEMENT, "I saw participants grow in confidence"),
            ItemDraft("network", ItemKind.AGREEMENT, "Participants formed a network with a shared purpose"),
            ItemDraft(
                "part",
                ItemKind.CHOICE,
                "How were you part of the programme?",
                choices=("Facilitator", "Peer coach", "Speaker", "Other"),
            ),
            ItemDraft("worked", ItemKind.LONG_TEXT, "What worked well?"),
            ItemDraft("better", ItemKind.LONG_TEXT, "What would make the programme even better?"),
            ItemDraft(MENTOR_KEY, ItemKind.YES_MAYBE_NO, MENTOR_TEXT),
        ]
    if template == "baseline":
        return Audience.PARTICIPANT, [
            *(ItemDraft(f"o{o.id}_now", ItemKind.NOW, o.text, o.id) for o in outcomes),
            *(ItemDraft(key, ItemKind.AGREEMENT, text) for key, text in AGREEMENT[1:]),
            ItemDraft("hopes", ItemKind.LONG_TEXT, "What do you hope to get from the programme?"),
        ]
    raise ValueError(template)
