"""Split a questionnaire's items into modal pages, build a page form, and check a submitted page.

A page holds at most five components; an outcome's before/now pair always shares a page. Field ids
are "q1" … "q5" in the page's order; the modal's custom_id names the questionnaire, the item version
and the page, so a submit is routed and checked by id alone (also after a restart).
"""

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from bot.core.questionnaires.domain import (
    MAX_COMPONENTS,
    RATING_MAX,
    RATING_MIN,
    Item,
    ItemKind,
    PageField,
    PageForm,
    PageOption,
)
from bot.core.questionnaires.errors import TamperedPageError
from bot.core.questionnaires.ids import FIELD_IDS, page_modal_id
from bot.core.text import clean_text

log = logging.getLogger(__name__)

TITLE_LIMIT = 45
LABEL_LIMIT = 45
DESCRIPTION_LIMIT = 100
RATING_LABELS = {
    ItemKind.BEFORE: {1: "1 – Very little", 2: "2", 3: "3", 4: "4", 5: "5 – Very much"},
    ItemKind.NOW: {1: "1 – Very little", 2: "2", 3: "3", 4: "4", 5: "5 – Very much"},
    ItemKind.AGREEMENT: {
        1: "1 – Strongly disagree",
        2: "2 – Disagree",
        3: "3 – Neither agree nor disagree",
        4: "4 – Agree",
        5: "5 – Strongly agree",
    },
}
YMN_LABELS = {"yes": "Yes", "maybe": "Maybe", "no": "No"}

SubmittedValue = str | bool | list[str] | None


_PAIRED = (ItemKind.BEFORE, ItemKind.NOW)


def paginate(items: Sequence[Item]) -> list[list[Item]]:
    """Return the items in pages of at most five, keeping an outcome's before and now on one page.

    The outcome ratings end their own page, so the other items start on a fresh one.
    """
    pages: list[list[Item]] = []
    current: list[Item] = []
    index = 0
    while index < len(items):
        item = items[index]
        block = [item]
        following = items[index + 1] if index + 1 < len(items) else None
        if (
            item.kind is ItemKind.BEFORE
            and following is not None
            and following.kind is ItemKind.NOW
            and following.outcome_id == item.outcome_id
        ):
            block.append(following)
        section_ends = bool(current) and current[-1].kind in _PAIRED and item.kind not in _PAIRED
        if len(current) + len(block) > MAX_COMPONENTS or section_ends:
            pages.append(current)
            current = []
        current.extend(block)
        index += len(block)
    if current:
        pages.append(current)
    return pages


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _label_and_description(item: Item, outcome_number: int | None) -> tuple[str, str]:
    if item.kind in (ItemKind.BEFORE, ItemKind.NOW):
        when = "Before the programme" if item.kind is ItemKind.BEFORE else "Now"
        head = f"Outcome {outcome_number}: {when.lower()}" if outcome_number else when
        return _clip(head, LABEL_LIMIT), _clip(item.text, DESCRIPTION_LIMIT)
    if len(item.text) <= LABEL_LIMIT:
        return item.text, ""
    return _clip(item.text, LABEL_LIMIT), _clip(item.text, DESCRIPTION_LIMIT)


def build_page(
    questionnaire_id: int,
    name: str,
    version: int,
    pages: Sequence[Sequence[Item]],
    page: int,
    previous: Mapping[str, Any],
) -> PageForm:
    """Return page (1-based) as a form, pre-filled with the person's previous answers by item key."""
    outcome_numbers: dict[int, int] = {}
    for item_page in pages:
        for item in item_page:
            if item.outcome_id is not None:
                outcome_numbers.setdefault(item.outcome_id, len(outcome_numbers) + 1)
    fields: list[PageField] = []
    for index, item in enumerate(pages[page - 1]):
        label, description = _label_and_description(item, outcome_numbers.get(item.outcome_id or 0))
        old = previous.get(item.key)
        default = None if old is None else str(old)
        options: tuple[PageOption, ...] = ()
        if item.kind.is_rating:
            labels = RATING_LABELS[item.kind]
            options = tuple(PageOption(str(v), labels[v], str(v) == default) for v in range(RATING_MIN, RATING_MAX + 1))
        elif item.kind is ItemKind.YES_MAYBE_NO:
            options = tuple(PageOption(v, YMN_LABELS[v], v == default) for v in YMN_LABELS)
        elif item.kind is ItemKind.CHOICE:
            options = tuple(PageOption(c, c, c == default) for c in item.choices)
        fields.append(
            PageField(FIELD_IDS[index], item.kind, label, description, options, item.kind.max_length, default)
        )
    title = _clip(f"{name} — page {page} of {len(pages)}", TITLE_LIMIT)
    return PageForm(
        questionnaire_id,
        version,
        page,
        len(pages),
        title,
        page_modal_id(questionnaire_id, version, page),
        tuple(fields),
    )


def _one(value: SubmittedValue) -> SubmittedValue:
    if isinstance(value, list):
        if not value:
            return None
        if len(value) == 1:
            return value[0]
    return value


def check_page(
    items: Sequence[Item], submitted: Mapping[str, SubmittedValue], *, user_id: int, questionnaire_id: int, page: int
) -> dict[int, Any]:
    """Return {item id: value or None} for a submitted page; refuse (and log) anything out of range.

    Raises:
        TamperedPageError: unknown field ids, ratings outside 1–5, choices not offered, wrong value types.
    """
    allowed = FIELD_IDS[: len(items)]
    problems = [f"unknown field {k[:10]!r}" for k in submitted if k not in allowed]
    values: dict[int, Any] = {}
    for fid, item in zip(allowed, items, strict=False):
        raw = _one(submitted.get(fid))
        value: Any = None
        if raw is None or raw == "":
            value = None
        elif item.kind.is_text:
            if isinstance(raw, str):
                value = clean_text(raw, keep_newlines=item.kind is ItemKind.LONG_TEXT)[: item.kind.max_length or 0]
                value = value.strip() or None
            else:
                problems.append(f"{fid}: text of the wrong type")
        elif isinstance(raw, str) and raw in item.options:
            value = int(raw) if item.kind.is_rating else raw
        else:
            problems.append(f"{fid}: value outside the item's range")
        values[item.id] = value
    if problems:
        log.warning(
            "Refused a tampered questionnaire page from user %s (questionnaire %s, page %s): %s",
            user_id,
            questionnaire_id,
            page,
            "; ".join(problems),
        )
        raise TamperedPageError(problems)
    return values
