"""The reflection modal is built from the core's form: one labelled component per field, pre-filled."""

from datetime import UTC, datetime

import discord

from bot.core.reflections import FormField, FormOption, QuestionKind, ReflectionForm
from cogs.participants import render as consent_render
from cogs.reflections.views import build_modal


def form() -> ReflectionForm:
    """Return a form with one field of every kind, answered before."""
    rating = tuple(FormOption(str(v), f"{v} stars", default=v == 4) for v in range(1, 6))
    return ReflectionForm(
        session_id=7,
        session_number=3,
        session_title="Listening",
        custom_id="blether:reflection:7",
        title="Reflect on Session 3 — a very long title that is cut",
        fields=(
            FormField("q1", QuestionKind.RATING, "How was it?", "", True, rating, default="4"),
            FormField(
                "q2",
                QuestionKind.LONG_TEXT,
                "What worked well?",
                "Be specific",
                False,
                max_length=1000,
                default="Groups",
            ),
            FormField("q3", QuestionKind.SHORT_TEXT, "One word?", "", False, max_length=100),
            FormField(
                "q4", QuestionKind.CHOICE, "Best part?", "", False, (FormOption("Talk", "Talk"),), default="Talk"
            ),
            FormField("q5", QuestionKind.CHECKBOX, "May we quote you?", "", False, default=True),
        ),
        closes_at=datetime(2026, 1, 1, tzinfo=UTC),
        editing=True,
    )


def test_modal_has_one_labelled_component_per_field_with_defaults() -> None:
    """Rating and choice become radio groups, text inputs keep style and default, the checkbox its state."""
    modal = build_modal(form())
    payload = modal.to_dict()
    assert payload["custom_id"] == "blether:reflection:7"
    assert len(payload["title"]) <= 45
    labels = payload["components"]
    assert len(labels) == 5 and all(label["type"] == 18 for label in labels)
    by_id = {label["component"]["custom_id"]: label["component"] for label in labels}
    assert by_id["q1"]["type"] == 21 and [o["value"] for o in by_id["q1"]["options"] if o.get("default")] == ["4"]
    assert by_id["q2"]["style"] == discord.TextStyle.paragraph.value and by_id["q2"]["value"] == "Groups"
    assert by_id["q3"]["style"] == discord.TextStyle.short.value and by_id["q3"]["required"] is False
    assert by_id["q4"]["type"] == 21
    assert by_id["q5"]["type"] == 23 and by_id["q5"]["default"] is True


def test_consent_view_has_yes_and_no_per_purpose_and_save() -> None:
    """The consent prompt offers Yes/No for each purpose plus Save, tied to the text version."""
    view = consent_render.consent_view(2, {})
    ids = {item.custom_id for item in view.children if isinstance(item, discord.ui.Button)}
    assert "blether:consent:evaluation:yes:2" in ids and "blether:consent:interview:no:2" in ids
    assert "blether:consent:save:2" in ids and len(ids) == 7
