"""The Outcomes section as rows of shown (suppressed) values: one source for HTML, Discord and tests."""

from collections.abc import Sequence

from bot.core.evaluation.figures import (
    SMALL_NUMBER,
    SMALL_SAMPLE,
    suppress,
    suppress_breakdown,
    suppress_mean,
    suppress_rate,
)
from bot.core.evaluation.outcomes import GroupRate, OutcomeFigures, Spread

OUTCOME_HEADERS = (
    "Outcome",
    "Before: mean",
    "Before: median",
    "Before: n",
    "Now: mean",
    "Now: median",
    "Now: n",
    "Change (paired)",
    "Improved",
    "Paired n",
)
AGREEMENT_HEADERS = ("Statement", "Agreeing (4–5)", "n")
RATE_HEADERS = ("Group", "Participants", "Started", "Finished", "Response rate")
BAND_HEADERS = ("Sessions attended", "People", "Mean change")


def shown_median(s: Spread) -> str:
    """Return a median of ratings: "–" without any, "n<5" from fewer than five, else one decimal."""
    if s.median is None or s.n == 0:
        return "–"
    if s.n < SMALL_NUMBER:
        return SMALL_SAMPLE
    return f"{s.median:.1f}"


def shown_change(change: float | None, n: int) -> str:
    """Return a mean change with its sign ("+1.2"), "–" without pairs, "n<5" from fewer than five."""
    if change is None or n == 0:
        return "–"
    if n < SMALL_NUMBER:
        return SMALL_SAMPLE
    return f"{change:+.1f}"


def outcome_rows(o: OutcomeFigures) -> list[tuple[str, ...]]:
    """Return the outcome table: before and now (mean, median, n), paired change, share improved, paired n."""
    return [
        (
            r.label,
            suppress_mean(r.before.mean, r.before.n),
            shown_median(r.before),
            suppress(r.before.n),
            suppress_mean(r.now.mean, r.now.n),
            shown_median(r.now),
            suppress(r.now.n),
            shown_change(r.mean_change, r.paired),
            suppress_rate(r.improved, r.paired),
            suppress(r.paired),
        )
        for r in o.outcomes
    ]


def baseline_rows(o: OutcomeFigures) -> list[tuple[str, ...]]:
    """Return the true pre/post table (baseline "now" to end "now"), when a baseline exists."""
    return [
        (r.label, shown_change(r.baseline_change, r.baseline_paired), suppress(r.baseline_paired)) for r in o.outcomes
    ]


def agreement_rows(o: OutcomeFigures) -> list[tuple[str, ...]]:
    """Return the agreement table: % agreeing (4–5) and n."""
    return [(a.label, suppress_rate(a.agreeing, a.n), suppress(a.n)) for a in o.agreement]


def mentor_rows(o: OutcomeFigures) -> list[tuple[str, ...]]:
    """Return "would you mentor a second cohort?" counts (secondary suppression across the three answers)."""
    shown = suppress_breakdown([count for _, count in o.mentor])
    return [(choice.capitalize(), value) for (choice, _), value in zip(o.mentor, shown, strict=True)]


def rate_rows(groups: Sequence[GroupRate]) -> list[tuple[str, ...]]:
    """Return response rates by group (finished ÷ participants), counts suppressed with secondary suppression."""
    people = suppress_breakdown([g.participants for g in groups])
    started = suppress_breakdown([g.started for g in groups])
    finished = suppress_breakdown([g.finished for g in groups])
    return [
        (g.label, p, s, f, suppress_rate(g.finished, g.participants))
        for g, p, s, f in zip(groups, people, started, finished, strict=True)
        if g.participants
    ]


def band_rows(o: OutcomeFigures) -> list[tuple[str, ...]]:
    """Return the mean paired change by attendance band."""
    return [(b.label, suppress(b.n), shown_change(b.mean_change, b.n)) for b in o.by_attendance]
