"""Reflections in a direct room: one question at a time, each answer kept as it comes (a restart loses none).

The core saves a reflection whole (submit_reflection), as Discord's modal does. Here the answers given so far
are kept in bot_state after each reply (committed before the next question is asked), and the reflection is
submitted when the last question is answered; answering again later (until the poll closes) edits it.
"""

import json
from dataclasses import dataclass

from bot.core.actors import Actor
from bot.core.errors import DomainError
from bot.core.messages import Span, Text, strong, text
from bot.core.participants.domain import ConsentPrompt
from bot.core.reflections.domain import FormField, ReflectionForm, SavedReflection, SubmittedValue
from bot.core.reflections.questions import QuestionKind

SKIP_WORDS = ("skip", "-", "pass")


class AnswerError(DomainError):
    """The reply does not answer the question; the message says what would."""


@dataclass(frozen=True, slots=True)
class Draft:
    """A reflection under way: whose, which session, in which room, the answers so far."""

    guild_id: int
    user_id: int
    session_id: int
    room_id: str
    answers: dict[str, SubmittedValue]

    def dump(self) -> str:
        """Serialise for bot_state."""
        return json.dumps(
            {"g": self.guild_id, "u": self.user_id, "s": self.session_id, "r": self.room_id, "a": self.answers}
        )

    @classmethod
    def load(cls, raw: str) -> "Draft":
        """Read a draft back from bot_state."""
        data = json.loads(raw)
        return cls(data["g"], data["u"], data["s"], data["r"], dict(data["a"]))

    def actor(self) -> Actor:
        """Return the participant answering."""
        return Actor(guild_id=self.guild_id, user_id=self.user_id)


def next_field(form: ReflectionForm, draft: Draft) -> FormField | None:
    """Return the first question not answered yet, or None when every one is."""
    return next((f for f in form.fields if f.id not in draft.answers), None)


def ask(form: ReflectionForm, field: FormField) -> Text:
    """Return one question with how to answer it."""
    position = [f.id for f in form.fields].index(field.id) + 1
    lines: list[Text | Span] = [strong(f"Question {position} of {len(form.fields)}: {field.label}")]
    if field.description:
        lines.append(f"\n{field.description}")
    if field.kind in (QuestionKind.RATING, QuestionKind.CHOICE):
        options = "\n".join(f"{i}. {o.label}" for i, o in enumerate(field.options, start=1))
        lines.append(f"\n{options}\nReply with a number.")
    elif field.kind is QuestionKind.CHECKBOX:
        lines.append("\nReply yes or no.")
    else:
        lines.append("\nReply with your answer.")
    if not field.required:
        lines.append(" (Or reply skip.)")
    if field.default not in (None, ""):
        lines.append(f"\nYour earlier answer: {field.default}")
    return text(*lines)


def read_answer(field: FormField, reply: str) -> SubmittedValue:
    """Turn a reply into the value the form takes; raise AnswerError with what would do."""
    cleaned = reply.strip()
    if cleaned.lower() in SKIP_WORDS:
        if field.required:
            raise AnswerError("This question needs an answer.")
        return False if field.kind is QuestionKind.CHECKBOX else ""
    if field.kind in (QuestionKind.RATING, QuestionKind.CHOICE):
        if not cleaned.isdigit() or not 1 <= int(cleaned) <= len(field.options):
            raise AnswerError(f"Reply with a number from 1 to {len(field.options)}.")
        return field.options[int(cleaned) - 1].value
    if field.kind is QuestionKind.CHECKBOX:
        if cleaned.lower() in ("yes", "y"):
            return True
        if cleaned.lower() in ("no", "n"):
            return False
        raise AnswerError("Reply yes or no.")
    if field.max_length is not None and len(cleaned) > field.max_length:
        raise AnswerError(f"That is {len(cleaned)} characters; at most {field.max_length} are kept. Shorten it.")
    return cleaned


def summary(saved: SavedReflection) -> Text:
    """Return the closing summary of a saved reflection."""
    lines: list[Text | Span] = [strong(f"Thank you: your reflection on session {saved.session_number} is saved.")]
    for answer in saved.answers:
        value = answer.value if answer.value not in (None, "") else "(no answer)"
        lines.append(f"\n• {answer.label}: {value}")
    lines.append("\nYou can change it until it closes: type !blether reflect again.")
    return text(*lines)


def consent_prompt_text(prompt: ConsentPrompt) -> Text:
    """Return the consent text and its questions, with how to answer them by command."""
    lines: list[Text | Span] = [strong("Before your answers are used"), f"\n{prompt.text.text}\n"]
    for question in prompt.questions:
        lines.append(f"\n• {question.label}: {question.description}")
    example = " ".join(f"{q.purpose.value}:yes|no" for q in prompt.questions)
    lines.append(f"\nAnswer each with: !blether consent {example}")
    return text(*lines)
