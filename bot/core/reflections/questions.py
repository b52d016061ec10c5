"""Reflection questions: kinds, the built-in "appreciative" and "quick" sets, and facilitators' own sets."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.core.reflections.errors import QuestionSetError
from bot.core.reflections.ids import MAX_FIELDS
from bot.core.text import clean_text

LABEL_LIMIT = 45  # a Discord modal Label
DESCRIPTION_LIMIT = 100
CHOICE_LIMIT = 100  # a RadioGroup option's label and value
MIN_CHOICES = 2
MAX_CHOICES = 10
SET_NAME_LIMIT = 40
SHORT_TEXT_LIMIT = 200
LONG_TEXT_LIMIT = 1000
RATING_MIN = 1
RATING_MAX = 5

BUILTIN_PREFIX = "builtin:"
CUSTOM_PREFIX = "custom:"


class QuestionKind(StrEnum):
    """What sort of answer a question takes."""

    RATING = "rating"
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    CHOICE = "choice"
    CHECKBOX = "checkbox"

    @property
    def is_text(self) -> bool:
        """Tell whether the answer is free text."""
        return self in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT)

    @property
    def max_length(self) -> int | None:
        """Return the longest text answer kept (None for non-text questions)."""
        if self is QuestionKind.SHORT_TEXT:
            return SHORT_TEXT_LIMIT
        if self is QuestionKind.LONG_TEXT:
            return LONG_TEXT_LIMIT
        return None


_KIND_WORDS = {
    "rating": QuestionKind.RATING,
    "stars": QuestionKind.RATING,
    "short": QuestionKind.SHORT_TEXT,
    "short text": QuestionKind.SHORT_TEXT,
    "short_text": QuestionKind.SHORT_TEXT,
    "long": QuestionKind.LONG_TEXT,
    "long text": QuestionKind.LONG_TEXT,
    "long_text": QuestionKind.LONG_TEXT,
    "paragraph": QuestionKind.LONG_TEXT,
    "choice": QuestionKind.CHOICE,
    "checkbox": QuestionKind.CHECKBOX,
    "quote": QuestionKind.CHECKBOX,
}


@dataclass(frozen=True, slots=True)
class Question:
    """One question. quote_permission marks the checkbox whose tick lets this response be quoted."""

    kind: QuestionKind
    label: str
    required: bool = False
    choices: tuple[str, ...] = ()
    description: str = ""
    quote_permission: bool = False

    def to_json(self) -> dict[str, Any]:
        """Return the question as JSON-safe values (stored on the poll and in question sets)."""
        data: dict[str, Any] = {"kind": self.kind.value, "label": self.label, "required": self.required}
        if self.choices:
            data["choices"] = list(self.choices)
        if self.description:
            data["description"] = self.description
        if self.quote_permission:
            data["quote_permission"] = True
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Question":
        """Read a question stored by to_json."""
        return cls(
            kind=QuestionKind(data["kind"]),
            label=str(data["label"]),
            required=bool(data.get("required", False)),
            choices=tuple(str(c) for c in data.get("choices", ())),
            description=str(data.get("description", "")),
            quote_permission=bool(data.get("quote_permission", False)),
        )


@dataclass(frozen=True, slots=True)
class QuestionSet:
    """A named list of one to five questions. key is "builtin:<name>" or "custom:<id>"."""

    key: str
    name: str
    questions: tuple[Question, ...]
    builtin: bool = False
    id: int | None = None

    @property
    def summary(self) -> str:
        """Return a one-line description ("3 questions: rating, long text, checkbox")."""
        kinds = ", ".join(q.kind.value.replace("_", " ") for q in self.questions)
        count = len(self.questions)
        return f"{count} question{'s' if count != 1 else ''}: {kinds}"


def questions_to_json(questions: Sequence[Question]) -> list[dict[str, Any]]:
    """Return questions as JSON-safe values."""
    return [q.to_json() for q in questions]


def questions_from_json(data: Sequence[Mapping[str, Any]]) -> tuple[Question, ...]:
    """Read questions stored by questions_to_json."""
    return tuple(Question.from_json(item) for item in data)


APPRECIATIVE = QuestionSet(
    key=BUILTIN_PREFIX + "appreciative",
    name="appreciative",
    builtin=True,
    questions=(
        Question(QuestionKind.RATING, "How valuable was this session for you?", required=True),
        Question(QuestionKind.LONG_TEXT, "What worked well, or what did you value most?"),
        Question(QuestionKind.LONG_TEXT, "What would make it even better?"),
        # "One thing you will take back to your community" is 46 characters; a Label allows 45.
        Question(QuestionKind.SHORT_TEXT, "One thing you'll take back to your community"),
        Question(
            QuestionKind.CHECKBOX,
            "You may quote these words anonymously",
            description="Only if you also agreed to quotes in /me consent. Never with your name.",
            quote_permission=True,
        ),
    ),
)
QUICK = QuestionSet(
    key=BUILTIN_PREFIX + "quick",
    name="quick",
    builtin=True,
    questions=(
        Question(QuestionKind.RATING, "How valuable was this session for you?", required=True),
        Question(QuestionKind.LONG_TEXT, "What worked well, or what would be better?"),
    ),
)
BUILTIN_SETS: Mapping[str, QuestionSet] = {s.key: s for s in (APPRECIATIVE, QUICK)}
DEFAULT_SET = APPRECIATIVE


def set_name_key(name: str) -> str:
    """Return the comparison key of a set name (case and spacing do not matter)."""
    return clean_text(name, keep_newlines=False).casefold()


def builtin_by_name(name: str) -> QuestionSet | None:
    """Return the built-in set called name (any case), or None."""
    return BUILTIN_SETS.get(BUILTIN_PREFIX + set_name_key(name))


def parse_question(line: str, number: int = 1) -> Question:
    """Read one question written as "<kind>[*]: <label>[ = option; option; …]"; number is its 1-based position.

    kind is rating, short, long, choice, checkbox or quote (a checkbox that grants quote permission);
    a "*" after the kind makes the question required. Examples:
    "rating*: How useful was the speaker?", "choice: Which part helped most? = Talk; Discussion; Breakouts".

    Raises:
        QuestionSetError: when the line cannot be read or breaks a limit.
    """
    text = clean_text(line, keep_newlines=False)
    head, sep, rest = text.partition(":")
    if not sep:
        raise QuestionSetError(
            [
                f'Question {number} ("{text[:60]}") has no kind. '
                "Start with rating:, short:, long:, choice:, checkbox: or quote:."
            ]
        )
    word = head.strip().casefold()
    required = word.endswith("*")
    word = word.rstrip("*").strip()
    kind = _KIND_WORDS.get(word)
    if kind is None:
        raise QuestionSetError(
            [
                f'Question {number}: "{head.strip()[:20]}" is not a question kind. '
                "Use rating, short, long, choice, checkbox or quote."
            ]
        )
    label, eq, options = rest.partition("=")
    choices = tuple(o.strip() for o in options.split(";") if o.strip()) if eq else ()
    question = Question(
        kind=kind,
        label=label.strip(),
        required=required and kind is not QuestionKind.CHECKBOX,
        choices=choices,
        quote_permission=word == "quote",
    )
    problems = question_problems(question, number)
    if problems:
        raise QuestionSetError(problems)
    return question


def question_problems(question: Question, number: int) -> list[str]:
    """Return what is wrong with one question (empty when it is fine); number is its 1-based position."""
    where = f"Question {number}"
    problems = []
    if not question.label:
        problems.append(f"{where} has no text.")
    elif len(question.label) > LABEL_LIMIT:
        problems.append(
            f"{where} is {len(question.label)} characters long; Discord shows at most {LABEL_LIMIT} "
            f'("{question.label[:LABEL_LIMIT]}…"). Shorten it.'
        )
    if len(question.description) > DESCRIPTION_LIMIT:
        problems.append(f"{where}'s description is longer than {DESCRIPTION_LIMIT} characters.")
    if question.kind is QuestionKind.CHOICE:
        if not MIN_CHOICES <= len(question.choices) <= MAX_CHOICES:
            problems.append(
                f"{where} needs {MIN_CHOICES} to {MAX_CHOICES} options, separated by semicolons "
                f"(it has {len(question.choices)})."
            )
        if len({c.casefold() for c in question.choices}) != len(question.choices):
            problems.append(f"{where} has the same option twice.")
        long = [c for c in question.choices if len(c) > CHOICE_LIMIT]
        if long:
            problems.append(f"{where} has an option longer than {CHOICE_LIMIT} characters.")
    elif question.choices:
        problems.append(
            f"{where} is a {question.kind.value.replace('_', ' ')} question; only choice questions have options."
        )
    if question.quote_permission and question.kind is not QuestionKind.CHECKBOX:
        problems.append(f"{where}: only a checkbox can give quote permission.")
    return problems


def validate_questions(questions: Sequence[Question]) -> tuple[Question, ...]:
    """Return the questions cleaned, or raise QuestionSetError listing every problem."""
    cleaned = tuple(
        Question(
            kind=q.kind,
            label=clean_text(q.label, keep_newlines=False),
            required=q.required and q.kind is not QuestionKind.CHECKBOX,
            choices=tuple(clean_text(c, keep_newlines=False) for c in q.choices),
            description=clean_text(q.description, keep_newlines=False),
            quote_permission=q.quote_permission,
        )
        for q in questions
    )
    problems: list[str] = []
    if not 1 <= len(cleaned) <= MAX_FIELDS:
        problems.append(
            f"A question set has 1 to {MAX_FIELDS} questions (a Discord form holds five); this one has {len(cleaned)}."
        )
    for number, question in enumerate(cleaned, start=1):
        problems.extend(question_problems(question, number))
    if sum(q.quote_permission for q in cleaned) > 1:
        problems.append("Only one question can be the quote permission checkbox.")
    if problems:
        raise QuestionSetError(problems)
    return cleaned


def validate_set_name(name: str) -> str:
    """Return a cleaned set name, or raise QuestionSetError."""
    cleaned = clean_text(name, keep_newlines=False)
    if not cleaned:
        raise QuestionSetError(["Give the question set a name."])
    if len(cleaned) > SET_NAME_LIMIT:
        raise QuestionSetError([f"A question set name is at most {SET_NAME_LIMIT} characters."])
    if builtin_by_name(cleaned) is not None:
        raise QuestionSetError([f'"{cleaned}" is the name of a built-in set; choose another.'])
    return cleaned
