"""The report's Outcomes section: learning outcomes before and now, agreement items, mentoring, response rates.

Definitions (also printed in the HTML report's "How these figures are made"):

* the end-of-programme questionnaire is the newest questionnaire made from the end-of-programme template that
  has opened; the baseline is the newest one from the baseline template;
* answers count only from people whose current evaluation consent is yes (they are questionnaire content),
  so an evaluator recomputes every figure exactly from questionnaire_answers.csv; an answer is matched to its
  item by the item's stable id, whatever version it was given under;
* per outcome: "before" and "now" ratings (1–5, a retrospective pre/post), each with n, mean and median;
  the paired change is the mean of (now − before) over people who gave both, and "improved" the share of
  them whose now is higher than their before;
* true pre/post (when a baseline exists): the mean of (end "now" − baseline "now") over people who gave both;
* agreement items: the share answering 4 or 5 ("agree" or "strongly agree") of those who answered;
* would mentor: how many answered yes, maybe and no;
* response rates: people who finished the questionnaire (everyone, as counts of people, not content) ÷
  participants registered, by area group and role;
* change by attendance band: each person's mean paired change over the outcomes they rated, averaged over
  the people in the band (sessions attended: 1–3, 4–6, 7–10).

Figures here are exact; renderers suppress small numbers exactly as for the rest of the report.
"""

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.core.evaluation.domain import Cohort
from bot.core.participants.domain import AreaGroup, ConsentPurpose, ParticipantRole
from bot.core.questionnaires.domain import (
    MENTOR_KEY,
    YES_MAYBE_NO,
    ItemKind,
    QuestionnaireData,
    QuestionnaireStatus,
)

BANDS = (("1–3", 1, 3), ("4–6", 4, 6), ("7–10", 7, 10))
AGREE = (4, 5)


@dataclass(frozen=True, slots=True)
class Spread:
    """n, mean and median of some ratings (mean and median None without any)."""

    n: int
    mean: float | None
    median: float | None


def spread(values: Iterable[float]) -> Spread:
    """Return n, mean and median of values."""
    found = list(values)
    if not found:
        return Spread(0, None, None)
    return Spread(len(found), statistics.fmean(found), float(statistics.median(found)))


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    """One learning outcome's figures."""

    key: str
    label: str
    before: Spread
    now: Spread
    paired: int
    mean_change: float | None
    improved: int
    baseline_paired: int = 0
    baseline_change: float | None = None


@dataclass(frozen=True, slots=True)
class AgreementRow:
    """One agreement item: how many answered and how many agreed (4–5)."""

    key: str
    label: str
    n: int
    agreeing: int
    disagreeing: int = 0


@dataclass(frozen=True, slots=True)
class GroupRate:
    """Participants of a group, and how many of them started and finished the questionnaire."""

    label: str
    participants: int
    started: int
    finished: int


@dataclass(frozen=True, slots=True)
class BandRow:
    """An attendance band: people with a paired change, and their mean change."""

    label: str
    n: int
    mean_change: float | None


@dataclass(frozen=True, slots=True)
class OutcomeFigures:
    """The Outcomes section's figures (exact)."""

    questionnaire: str
    has_baseline: bool
    respondents: int
    consenting_respondents: int
    outcomes: tuple[OutcomeRow, ...]
    agreement: tuple[AgreementRow, ...]
    mentor: tuple[tuple[str, int], ...]
    by_area: tuple[GroupRate, ...]
    by_role: tuple[GroupRate, ...]
    by_attendance: tuple[BandRow, ...]


def _latest(cohort: Cohort, template: str) -> QuestionnaireData | None:
    opened = [
        d
        for d in cohort.questionnaires
        if d.questionnaire.template == template
        and d.questionnaire.status in (QuestionnaireStatus.OPEN, QuestionnaireStatus.CLOSED)
    ]
    return opened[-1] if opened else None


def consented_answers(cohort: Cohort, data: QuestionnaireData) -> dict[int, dict[str, Any]]:
    """Return {user: {item key: value}} from people with evaluation consent (a later version's answer wins)."""
    found: dict[int, dict[str, Any]] = defaultdict(dict)
    for answer in sorted(data.answers, key=lambda a: a.version):
        if cohort.consents(answer.user_id, ConsentPurpose.EVALUATION):
            found[answer.user_id][answer.item_key] = answer.value
    return dict(found)


def _labels(data: QuestionnaireData) -> dict[str, tuple[ItemKind, str, int | None]]:
    """Return each item key's kind, latest text and outcome id (the newest version's wording)."""
    labels: dict[str, tuple[ItemKind, str, int | None]] = {}
    for item in sorted(data.items, key=lambda i: (i.version, i.position)):
        labels[item.key] = (item.kind, item.text, item.outcome_id)
    return labels


def _ints(values: Iterable[Any]) -> list[int]:
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


def _band(count: int) -> str | None:
    return next((label for label, low, high in BANDS if low <= count <= high), None)


def _rates(cohort: Cohort, data: QuestionnaireData) -> tuple[tuple[GroupRate, ...], tuple[GroupRate, ...]]:
    people = {p.user_id: p for p in cohort.participants}
    started = {r.user_id for r in data.responses}
    finished = {r.user_id for r in data.responses if r.finished_at is not None}
    areas = []
    for group in AreaGroup:
        members = {u for u, p in people.items() if p.area_group is group}
        areas.append(GroupRate(group.label, len(members), len(members & started), len(members & finished)))
    roles = []
    for role in (*ParticipantRole, None):
        members = {u for u, p in people.items() if p.role is role}
        label = role.label if role is not None else "Not said"
        roles.append(GroupRate(label, len(members), len(members & started), len(members & finished)))
    return tuple(areas), tuple(roles)


def outcome_figures(cohort: Cohort) -> OutcomeFigures | None:
    """Return the Outcomes section's figures, or None before an end-of-programme questionnaire has opened."""
    data = _latest(cohort, "end-of-programme")
    if data is None:
        return None
    answers = consented_answers(cohort, data)
    labels = _labels(data)
    baseline = _latest(cohort, "baseline")
    base_answers = consented_answers(cohort, baseline) if baseline is not None else {}
    outcome_ids = [oid for key, (kind, _, oid) in labels.items() if kind is ItemKind.BEFORE and oid is not None]
    rows: list[OutcomeRow] = []
    changes_by_person: dict[int, list[int]] = defaultdict(list)
    for oid in outcome_ids:
        before_key, now_key = f"o{oid}_before", f"o{oid}_now"
        before = {u: a[before_key] for u, a in answers.items() if isinstance(a.get(before_key), int)}
        now = {u: a[now_key] for u, a in answers.items() if isinstance(a.get(now_key), int)}
        pairs = {u: now[u] - before[u] for u in before.keys() & now.keys()}
        for user, change in pairs.items():
            changes_by_person[user].append(change)
        base_now = {u: a[now_key] for u, a in base_answers.items() if isinstance(a.get(now_key), int)}
        base_pairs = [now[u] - base_now[u] for u in now.keys() & base_now.keys()]
        rows.append(
            OutcomeRow(
                key=f"o{oid}",
                label=labels[before_key][1],
                before=spread(before.values()),
                now=spread(now.values()),
                paired=len(pairs),
                mean_change=statistics.fmean(pairs.values()) if pairs else None,
                improved=sum(1 for c in pairs.values() if c > 0),
                baseline_paired=len(base_pairs),
                baseline_change=statistics.fmean(base_pairs) if base_pairs else None,
            )
        )
    agreement = []
    for key, (kind, text, _) in labels.items():
        if kind is ItemKind.AGREEMENT:
            values = _ints(a.get(key) for a in answers.values())
            agreement.append(
                AgreementRow(
                    key, text, len(values), sum(1 for v in values if v in AGREE), sum(1 for v in values if v <= 2)
                )
            )
    mentor_values = [a.get(MENTOR_KEY) for a in answers.values()]
    mentor = tuple((choice, mentor_values.count(choice)) for choice in YES_MAYBE_NO) if MENTOR_KEY in labels else ()
    attended: dict[int, set[int]] = defaultdict(set)
    held = {s.id for s in cohort.held_sessions}
    for row in cohort.attendance:
        if row.session_id in held:
            attended[row.user_id].add(row.session_id)
    by_band: dict[str, list[float]] = defaultdict(list)
    for user, changes in changes_by_person.items():
        band = _band(len(attended.get(user, ())))
        if band is not None:
            by_band[band].append(statistics.fmean(changes))
    bands = tuple(
        BandRow(label, len(by_band[label]), statistics.fmean(by_band[label]) if by_band[label] else None)
        for label, _, _ in BANDS
    )
    by_area, by_role = _rates(cohort, data)
    return OutcomeFigures(
        questionnaire=data.questionnaire.name,
        has_baseline=bool(base_answers),
        respondents=len(data.responses),
        consenting_respondents=len(answers),
        outcomes=tuple(rows),
        agreement=tuple(agreement),
        mentor=mentor,
        by_area=by_area,
        by_role=by_role,
        by_attendance=bands,
    )
