"""Forms (Discord's modals) answered question by question, from the keyboard or the script's "> " lines."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.core.reflections import QuestionKind, ReflectionForm
from bot.shell.options import FALSE, TRUE
from bot.shell.parser import ShellInputError

FormValue = str | bool | None
CLEAR = "-"


class FieldKind(StrEnum):
    """What a form field takes."""

    TEXT = "text"
    PARAGRAPH = "paragraph"
    PICK = "pick"  # one of the options (ratings, choices)
    CHECKBOX = "checkbox"


@dataclass(frozen=True, slots=True)
class Field:
    """One question of a form; default is what the modal shows pre-filled."""

    id: str
    label: str
    kind: FieldKind
    required: bool = False
    options: tuple[tuple[str, str], ...] = ()  # (value, label)
    default: FormValue = None
    max_length: int | None = None
    description: str = ""

    def prompt(self) -> str:
        """Return the question as the shell asks it, with how to answer."""
        if self.kind is FieldKind.PICK:
            how = " / ".join(label for _, label in self.options)
        elif self.kind is FieldKind.CHECKBOX:
            how = "yes / no"
        else:
            how = f"text, at most {self.max_length} characters" if self.max_length else "text"
        extras = []
        if self.required:
            extras.append("required")
        if self.default not in (None, "", False):
            shown = "yes" if self.default is True else str(self.default)
            extras.append(f"now: {shown if len(shown) <= 60 else shown[:59] + '…'}")
        tail = f" ({'; '.join(extras)})" if extras else ""
        return f"{self.label} [{how}]{tail}"


@dataclass(frozen=True, slots=True)
class Form:
    """A form to fill in: a title and up to five fields."""

    title: str
    fields: tuple[Field, ...]
    note: str = ""


def read_answer(field: Field, raw: str | None) -> FormValue:
    """Turn a typed answer into the modal's value: empty keeps the pre-filled value, "-" clears it."""
    if raw is None or raw.strip() == "":
        return field.default
    text = raw.strip()
    if text == CLEAR:
        return False if field.kind is FieldKind.CHECKBOX else None
    if field.kind is FieldKind.CHECKBOX:
        if text.lower() in TRUE:
            return True
        if text.lower() in FALSE:
            return False
        raise ShellInputError(f"{field.label}: answer yes or no.")
    if field.kind is FieldKind.PICK:
        lowered = text.lower()
        for value, label in field.options:
            if lowered in (value.lower(), label.lower()):
                return value
        offered = ", ".join(value for value, _ in field.options)
        raise ShellInputError(f"{field.label}: pick one of {offered}.")
    if field.max_length is not None and len(raw) > field.max_length:
        raise ShellInputError(f"{field.label}: at most {field.max_length} characters (that is {len(raw)}).")
    return raw.strip() if field.kind is FieldKind.TEXT else raw


def reflection_form(form: ReflectionForm) -> Form:
    """Turn the core's reflection form into a shell form (the same fields the Discord modal shows)."""
    fields = []
    for field in form.fields:
        if field.kind is QuestionKind.CHECKBOX:
            kind = FieldKind.CHECKBOX
        elif field.kind.is_text:
            kind = FieldKind.PARAGRAPH if field.kind is QuestionKind.LONG_TEXT else FieldKind.TEXT
        else:
            kind = FieldKind.PICK
        fields.append(
            Field(
                id=field.id,
                label=field.label,
                kind=kind,
                required=field.required,
                options=tuple((o.value, o.label) for o in field.options),
                default=field.default,
                max_length=field.max_length,
                description=field.description,
            )
        )
    note = "You are changing your earlier answers." if form.editing else ""
    return Form(title=form.title, fields=tuple(fields), note=note)


AnswerSource = Callable[[Field], Awaitable[str | None]]
"""Ask one field: return the typed answer, or None when there is none (script lines ran out)."""
