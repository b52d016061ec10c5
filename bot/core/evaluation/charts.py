"""Charts of the programme report as PNG bytes (matplotlib, Agg), each with an accessible table of its data.

Small numbers in charts: a count of 1–4 is never drawn at its true height. It is drawn as a hatched block of
height 4 (the most it could be) labelled "<5", so a reader learns only "fewer than five"; the legend says so.
In the stacked rating chart this can overstate a bar's total by up to 3 per hatched block; the accessible
table beside each chart shows the same suppressed values. Response rates resting on 1–4 people are not drawn
at all: the bar is left out and labelled "n<5".

ChartSpec is pure data built from the figures (tests check suppression there: the exact small numbers never
reach it); render_chart draws a spec. Rendering uses matplotlib's object API (Figure + the Agg canvas) and
never pyplot, so there is no global figure registry to leak or close and no GUI backend; it still selects
Agg before anything could import pyplot. matplotlib is imported by the first chart drawn (``_figure``), not
when the bot starts. Rendering blocks, so render_charts runs it in a worker thread
(asyncio.to_thread), one chart set at a time (matplotlib is not thread-safe).
"""

import asyncio
import io
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from bot.core.evaluation.figures import (
    RATINGS,
    SMALL_NUMBER,
    SMALL_SAMPLE,
    SUPPRESSED,
    WITHHELD,
    ProgrammeFigures,
    is_small,
    suppress,
    suppress_breakdown,
)
from bot.core.evaluation.outcomes import OutcomeFigures

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

SMALL_HEIGHT = SMALL_NUMBER - 1
"""The height a 1–4 count is drawn at (the most it could be)."""
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SMALL_NOTE = "Hatched blocks: fewer than 5 people (drawn at height 4; the exact number is withheld)."
WITHHELD_NOTE = "Bars marked * are not drawn: a larger count withheld so that a <5 cannot be worked out from the total."
RATE_NOTE = "Sessions marked n<5 are not drawn: fewer than 5 people attended or reflected."
EMPTY_NOTE = "No sessions have been held yet."
BAR_COLOUR = "#2E6F95"
RATING_COLOURS = ("#D55E00", "#E69F00", "#F0E442", "#56B4E9", "#009E73")  # Okabe–Ito, colour-blind safe
_render_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Bar:
    """One drawn bar or block: its height, the text on it, and whether it stands for a suppressed count."""

    category: str
    height: float
    label: str
    suppressed: bool = False
    drawn: bool = True


@dataclass(frozen=True, slots=True)
class Series:
    """A named series of bars (one per category)."""

    name: str
    bars: tuple[Bar, ...]
    colour: str = BAR_COLOUR


@dataclass(frozen=True, slots=True)
class ChartSpec:
    """What a chart shows (kind: "bar", "stacked", "barh" or "network"), with its accessible table."""

    name: str
    title: str
    kind: str
    x_label: str
    y_label: str
    series: tuple[Series, ...]
    notes: tuple[str, ...]
    table_headers: tuple[str, ...]
    table_rows: tuple[tuple[str, ...], ...]
    alt: str
    percent: bool = False

    @property
    def categories(self) -> tuple[str, ...]:
        """Return the categories along the axis."""
        return tuple(b.category for b in self.series[0].bars) if self.series else ()


@dataclass(frozen=True, slots=True)
class Chart:
    """A rendered chart."""

    spec: ChartSpec
    png: bytes

    @property
    def filename(self) -> str:
        """Return the PNG's file name."""
        return f"{self.spec.name}.png"


def count_bar(category: str, count: int) -> Bar:
    """Return the bar of a count of people (1–4 as a hatched block of height 4 labelled "<5")."""
    if is_small(count):
        return Bar(category, SMALL_HEIGHT, SUPPRESSED, suppressed=True)
    return Bar(category, count, suppress(count))


def breakdown_bars(categories: Sequence[str], counts: Sequence[int]) -> list[Bar]:
    """Return the bars of a breakdown whose total is published: small counts hatched, withheld ones not drawn."""
    return [
        Bar(category, 0, WITHHELD, suppressed=True, drawn=False) if shown == WITHHELD else count_bar(category, count)
        for category, count, shown in zip(categories, counts, suppress_breakdown(counts), strict=True)
    ]


def _notes(bars: Sequence[Bar]) -> tuple[str, ...]:
    notes = [SMALL_NOTE] if any(b.suppressed and b.drawn for b in bars) else []
    return (*notes, WITHHELD_NOTE) if any(b.label == WITHHELD for b in bars) else tuple(notes)


def _session_label(number: int) -> str:
    return f"S{number}"


def attendance_spec(figures: ProgrammeFigures) -> ChartSpec:
    """Return the attendance-per-session chart."""
    bars = tuple(count_bar(_session_label(s.number), s.attendance) for s in figures.sessions)
    notes = [SMALL_NOTE] if any(b.suppressed for b in bars) else []
    if not bars:
        notes.append(EMPTY_NOTE)
    return ChartSpec(
        name="attendance",
        title="Attendance per session",
        kind="bar",
        x_label="Session",
        y_label="People attending",
        series=(Series("Attendance", bars),),
        notes=tuple(notes),
        table_headers=("Session", "Title", "Attendance"),
        table_rows=tuple((str(s.number), s.title, suppress(s.attendance)) for s in figures.sessions),
        alt="Bar chart of how many people attended each session held. "
        + "; ".join(f"Session {s.number}: {suppress(s.attendance)}" for s in figures.sessions),
    )


def response_rate_spec(figures: ProgrammeFigures) -> ChartSpec:
    """Return the response-rate-per-session chart (reflections ÷ attendance, in %)."""
    bars = []
    rows = []
    for s in figures.sessions:
        category = _session_label(s.number)
        hidden = is_small(s.attendance) or is_small(s.reflections) or s.attendance == 0
        if hidden:
            label = SMALL_SAMPLE if s.attendance else "–"
            bars.append(Bar(category, 0, label, suppressed=True, drawn=False))
        else:
            percent = round(100 * s.reflections / s.attendance)
            bars.append(Bar(category, percent, f"{percent}%"))
        rows.append((str(s.number), s.title, suppress(s.reflections), suppress(s.attendance), bars[-1].label))
    notes = [RATE_NOTE] if any(b.suppressed for b in bars) else []
    if not bars:
        notes.append(EMPTY_NOTE)
    return ChartSpec(
        name="response_rate",
        title="Reflections as a share of attendance",
        kind="bar",
        x_label="Session",
        y_label="Response rate (%)",
        series=(Series("Response rate", tuple(bars)),),
        notes=tuple(notes),
        table_headers=("Session", "Title", "Reflections", "Attendance", "Response rate"),
        table_rows=tuple(rows),
        alt="Bar chart of reflections as a percentage of attendance per session. "
        + "; ".join(f"Session {r[0]}: {r[4]}" for r in rows),
        percent=True,
    )


def ratings_spec(figures: ProgrammeFigures) -> ChartSpec:
    """Return the stacked rating-distribution-per-session chart (consenting people's ratings)."""
    per_session = [  # each session's five ratings: a breakdown of its published ratings count
        breakdown_bars([_session_label(s.number)] * len(RATINGS), [s.rating(v) for v in RATINGS])
        for s in figures.sessions
    ]
    series = tuple(
        Series(f"Rated {value}", tuple(bars[value - 1] for bars in per_session), colour=RATING_COLOURS[value - 1])
        for value in RATINGS
    )
    notes = list(_notes([b for bars in per_session for b in bars]))
    if not figures.sessions:
        notes.append(EMPTY_NOTE)
    rows = tuple(
        (str(s.number), s.title, *suppress_breakdown([s.rating(v) for v in RATINGS])) for s in figures.sessions
    )
    return ChartSpec(
        name="ratings",
        title="How valuable people found each session (ratings 1–5)",
        kind="stacked",
        x_label="Session",
        y_label="People giving each rating",
        series=series,
        notes=tuple(notes),
        table_headers=("Session", "Title", *(f"Rated {v}" for v in RATINGS)),
        table_rows=rows,
        alt="Stacked bar chart of the ratings (1 to 5) given for each session. "
        + "; ".join(
            f"Session {r[0]}: " + ", ".join(f"{v}: {c}" for v, c in zip(RATINGS, r[2:], strict=True)) for r in rows
        ),
    )


def areas_spec(figures: ProgrammeFigures) -> ChartSpec:
    """Return the participants-by-area-type chart (horizontal bars, six-fold classification plus not said)."""
    bars = tuple(
        breakdown_bars([t.label for t in figures.participants_by_area], [t.count for t in figures.participants_by_area])
    )
    shown = [b.label for b in bars]
    return ChartSpec(
        name="participants_by_area",
        title="Participants by area type",
        kind="barh",
        x_label="Participants",
        y_label="",
        series=(Series("Participants", bars),),
        notes=_notes(bars),
        table_headers=("Area type", "Participants"),
        table_rows=tuple((t.label, text) for t, text in zip(figures.participants_by_area, shown, strict=True)),
        alt="Horizontal bar chart of participants by the area type they live in. "
        + "; ".join(f"{t.label}: {text}" for t, text in zip(figures.participants_by_area, shown, strict=True)),
    )


LINK_NOTE = "Links between communities where fewer than 5 pairs of people met are not drawn."


def connections_spec(figures: ProgrammeFigures) -> ChartSpec | None:
    """Return the connection chart: communities as nodes, pairs of people who met across them as links.

    Links resting on fewer than 5 pairs are neither drawn nor counted in the table ("<5"); no person is named.
    None before any small group or introduction.
    """
    c = figures.connections
    if c is None or not c.links:
        return None
    nodes = tuple(sorted({name for a, b, _ in c.links for name in (a, b)}, key=str.casefold))
    rows = tuple((a, b, suppress(count)) for a, b, count in c.links)
    drawn = [(a, b, count) for a, b, count in c.links if not is_small(count)]
    return ChartSpec(
        name="connections",
        title="Connections between communities",
        kind="network",
        x_label="",
        y_label="",
        series=(Series("Communities", tuple(Bar(name, float(len(nodes)), name) for name in nodes)),),
        notes=(LINK_NOTE,),
        table_headers=("Community", "Community", "Pairs of people who met"),
        table_rows=rows,
        alt=f"Network of {len(nodes)} communities; {len(drawn)} links drawn where at least 5 pairs of people met. "
        + "; ".join(f"{a} – {b}: {count}" for a, b, count in drawn),
    )


def _short(text: str, limit: int = 38) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def outcomes_spec(outcomes: OutcomeFigures) -> ChartSpec:
    """Return the before/now dot plot: each outcome's mean before and now (not drawn from fewer than 5)."""
    before: list[Bar] = []
    now: list[Bar] = []
    rows: list[tuple[str, str, str]] = []
    for row in outcomes.outcomes:
        category = _short(row.label)
        for spread_, bars in ((row.before, before), (row.now, now)):
            small = spread_.n < SMALL_NUMBER or spread_.mean is None
            label = SMALL_SAMPLE if small else f"{spread_.mean:.1f}"
            bars.append(
                Bar(category, 0 if small else round(spread_.mean or 0, 2), label, suppressed=small, drawn=not small)
            )
        rows.append((row.label, before[-1].label, now[-1].label))
    return ChartSpec(
        name="outcomes_before_now",
        title="Learning outcomes: mean rating before the programme and now",
        kind="dots",
        x_label="Mean rating (1–5)",
        y_label="",
        series=(Series("Before", tuple(before), "#E69F00"), Series("Now", tuple(now), "#009E73")),
        notes=("Outcomes marked n<5 are not drawn: fewer than 5 consented ratings.",)
        if any(not b.drawn for b in before + now)
        else (),
        table_headers=("Outcome", "Before (mean)", "Now (mean)"),
        table_rows=tuple(rows),
        alt="Mean before and now per learning outcome: " + "; ".join(f"{r[0]}: {r[1]} → {r[2]}" for r in rows),
    )


def agreement_spec(outcomes: OutcomeFigures) -> ChartSpec:
    """Return the diverging bars of agreement items: % disagreeing (1–2) left, % agreeing (4–5) right."""
    agree, disagree, rows = [], [], []
    for row in outcomes.agreement:
        category = _short(row.label)
        small = row.n < SMALL_NUMBER or is_small(row.agreeing) or is_small(row.disagreeing)
        a = 100 * row.agreeing / row.n if row.n else 0
        d = 100 * row.disagreeing / row.n if row.n else 0
        agree.append(Bar(category, 0 if small else a, SMALL_SAMPLE if small else f"{round(a)}%", small, not small))
        disagree.append(Bar(category, 0 if small else -d, SMALL_SAMPLE if small else f"{round(d)}%", small, not small))
        rows.append((row.label, disagree[-1].label, agree[-1].label, suppress(row.n)))
    return ChartSpec(
        name="agreement",
        title="Agreement: % disagreeing (1–2) and % agreeing (4–5)",
        kind="diverging",
        x_label="% of people who answered",
        y_label="",
        series=(Series("Disagree", tuple(disagree), "#D55E00"), Series("Agree", tuple(agree), "#009E73")),
        notes=(RATE_NOTE.replace("Sessions", "Statements").replace("attended or reflected", "answered or agreed"),)
        if any(not b.drawn for b in agree)
        else (),
        table_headers=("Statement", "Disagreeing", "Agreeing", "n"),
        table_rows=tuple(rows),
        alt="Agreement: " + "; ".join(f"{r[0]}: {r[2]} agree, {r[1]} disagree" for r in rows),
        percent=True,
    )


def chart_specs(figures: ProgrammeFigures) -> tuple[ChartSpec, ...]:
    """Return the report's charts: four always, two more once an end-of-programme questionnaire opened, and the
    connection chart once groups or introductions exist."""
    specs: tuple[ChartSpec, ...] = (
        attendance_spec(figures),
        response_rate_spec(figures),
        ratings_spec(figures),
        areas_spec(figures),
    )
    if figures.outcomes is not None and figures.outcomes.outcomes:
        specs += (outcomes_spec(figures.outcomes),)
    if figures.outcomes is not None and figures.outcomes.agreement:
        specs += (agreement_spec(figures.outcomes),)
    network = connections_spec(figures)
    return specs if network is None else (*specs, network)


def _figure(width: float, height: float) -> "Figure":
    """Return a new matplotlib Figure, importing matplotlib on the first chart (not at start-up)."""
    # matplotlib with numpy and PIL is ~48 MiB and ~0.5 s of imports that a bot drawing no chart never needs.
    import matplotlib

    matplotlib.use("Agg")  # before anything imports pyplot: no GUI backend in a bot
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def render_network(spec: ChartSpec) -> bytes:
    """Draw communities on a circle and a line per drawn link, its width growing with the count."""
    nodes = spec.categories
    figure = _figure(8, 8)
    axes = figure.add_subplot()
    angles = [2 * math.pi * i / max(len(nodes), 1) for i in range(len(nodes))]
    where = {name: (math.cos(a), math.sin(a)) for name, a in zip(nodes, angles, strict=True)}
    for a, b, shown in spec.table_rows:
        if not shown.isdigit():
            continue
        (x1, y1), (x2, y2) = where[a], where[b]
        axes.plot([x1, x2], [y1, y2], color=BAR_COLOUR, linewidth=0.5 + min(int(shown), 40) / 4, alpha=0.7)
    for name, (x, y) in where.items():
        axes.scatter([x], [y], s=120, color="#E69F00", zorder=3)
        axes.text(x * 1.12, y * 1.12, name, ha="center", va="center", fontsize=8)
    axes.set_xlim(-1.4, 1.4)
    axes.set_ylim(-1.4, 1.4)
    axes.set_aspect("equal")
    axes.axis("off")
    axes.set_title(spec.title)
    figure.supxlabel("  ".join(spec.notes), fontsize=8, color="#444444")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _render_special(spec: ChartSpec, axes: "Axes") -> None:
    """Draw the dot plot ("dots") or the diverging bars ("diverging") of the Outcomes section."""
    from matplotlib.patches import Patch

    positions = list(range(len(spec.categories)))
    if spec.kind == "dots":
        before, now = spec.series
        for index, (b, n) in enumerate(zip(before.bars, now.bars, strict=True)):
            if b.drawn and n.drawn:
                axes.plot([b.height, n.height], [index, index], color="#999999", linewidth=1.5, zorder=1)
            for bar, serie in ((b, before), (n, now)):
                if bar.drawn:
                    axes.scatter([bar.height], [index], color=serie.colour, s=60, zorder=2, label=serie.name)
                else:
                    axes.text(3, index, SMALL_SAMPLE, va="center", ha="center", fontsize=9, color="#555555")
        axes.set_xlim(0.8, 5.2)
    else:
        for serie in spec.series:
            for index, bar in enumerate(serie.bars):
                if bar.drawn:
                    axes.barh(index, bar.height, color=serie.colour, edgecolor="#FFFFFF")
                    x = bar.height + (3 if bar.height >= 0 else -3)
                    axes.text(x, index, bar.label, va="center", ha="left" if bar.height >= 0 else "right", fontsize=9)
                elif serie.name == "Agree":
                    axes.text(0, index, SMALL_SAMPLE, va="center", ha="center", fontsize=9, color="#555555")
        axes.axvline(0, color="#333333", linewidth=0.8)
        axes.set_xlim(-110, 110)
    handles = [Patch(facecolor=s.colour, label=s.name) for s in spec.series]
    axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    axes.set_yticks(positions, spec.categories)
    axes.invert_yaxis()
    axes.set_xlabel(spec.x_label)


# -- drawing -----------------------------------------------------------------------------------------------------


class _BarStyle(TypedDict, total=False):
    """Keyword arguments of Axes.bar/barh that style one bar."""

    color: str
    edgecolor: str
    hatch: str
    linewidth: float


def _style(bar: Bar, colour: str) -> _BarStyle:
    if bar.suppressed:
        return {"color": "#FFFFFF", "edgecolor": colour, "hatch": "///", "linewidth": 1.0}
    return {"color": colour, "edgecolor": "#FFFFFF", "linewidth": 0.5}


def render_chart(spec: ChartSpec) -> bytes:
    """Draw a chart and return PNG bytes (blocking; call through render_charts from async code)."""
    if spec.kind == "network":
        return render_network(spec)
    horizontal = spec.kind == "barh"
    height = max(3.5, 0.5 * len(spec.categories) + 1.5) if horizontal else 4.5
    if spec.kind in ("dots", "diverging"):
        height = max(3.5, 0.6 * len(spec.categories) + 1.5)
    figure = _figure(8, height)
    axes = figure.add_subplot()
    if spec.kind in ("dots", "diverging"):
        _render_special(spec, axes)
        axes.set_title(spec.title)
        axes.spines[["top", "right"]].set_visible(False)
        if spec.notes:
            figure.supxlabel("  ".join(spec.notes), fontsize=8, color="#444444")
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
        return buffer.getvalue()
    positions = list(range(len(spec.categories)))
    bottoms = [0.0] * len(positions)
    for serie in spec.series:
        for index, bar in enumerate(serie.bars):
            if not bar.drawn:
                axes.text(index, 1, bar.label, ha="center", va="bottom", fontsize=9, color="#555555")
                continue
            style = _style(bar, serie.colour)
            if horizontal:
                axes.barh(index, bar.height, left=bottoms[index], **style)
                axes.text(bottoms[index] + bar.height + 0.1, index, bar.label, va="center", fontsize=9)
            else:
                axes.bar(index, bar.height, bottom=bottoms[index], **style)
                if bar.height or spec.kind != "stacked":
                    y = bottoms[index] + bar.height / 2 if spec.kind == "stacked" else bottoms[index] + bar.height
                    va = "center" if spec.kind == "stacked" else "bottom"
                    axes.text(index, y, bar.label, ha="center", va=va, fontsize=9)
            if spec.kind == "stacked":
                bottoms[index] += bar.height
    if spec.kind == "stacked":
        from matplotlib.patches import Patch

        handles = [Patch(facecolor=s.colour, label=s.name) for s in spec.series]
        if any(b.suppressed for s in spec.series for b in s.bars):
            handles.append(Patch(facecolor="#FFFFFF", edgecolor="#333333", hatch="///", label="fewer than 5"))
        axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    if positions and not horizontal:
        axes.set_xlim(-0.6, len(positions) - 0.4)
    if horizontal:
        axes.set_yticks(positions, spec.categories)
        axes.invert_yaxis()
        axes.set_xlabel(spec.x_label)
    else:
        axes.set_xticks(positions, spec.categories)
        axes.set_xlabel(spec.x_label)
        axes.set_ylabel(spec.y_label)
        if spec.percent:
            axes.set_ylim(0, max([110, *(b.height + 10 for b in spec.series[0].bars)]) if spec.series else 110)
    if not positions:
        axes.text(0.5, 0.5, EMPTY_NOTE, ha="center", va="center", transform=axes.transAxes)
        axes.set_xticks([])
        axes.set_yticks([])
    axes.set_title(spec.title)
    axes.spines[["top", "right"]].set_visible(False)
    if spec.notes:
        figure.supxlabel("  ".join(spec.notes), fontsize=8, color="#444444")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _render_all(specs: tuple[ChartSpec, ...]) -> tuple[Chart, ...]:
    with _render_lock:
        return tuple(Chart(spec, render_chart(spec)) for spec in specs)


async def render_charts(figures: ProgrammeFigures) -> tuple[Chart, ...]:
    """Render the report's charts in a worker thread (matplotlib blocks)."""
    return await asyncio.to_thread(_render_all, chart_specs(figures))
