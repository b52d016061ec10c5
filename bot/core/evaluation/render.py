"""Render the report's figures: Discord embeds (within Discord's limits) and one self-contained HTML file.

Every count of people goes through figures.suppress (rates and means through suppress_rate / suppress_mean),
so no renderer shows 1–4 of anything about people. User-written text (session titles, community names, quotes)
is cleaned and kept literal in the embeds' rich text (each adapter escapes it) and HTML-escaped for the report.
"""

import base64
import html
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.evaluation.charts import Chart
from bot.core.evaluation.figures import (
    MAX_QUOTES,
    NOT_AVAILABLE,
    OTHER_COMMUNITIES,
    RATINGS,
    SMALL_NUMBER,
    ConnectionFigures,
    ProgrammeFigures,
    Quote,
    SessionFigures,
    Tally,
    suppress,
    suppress_breakdown,
    suppress_mean,
    suppress_median,
    suppress_rate,
)
from bot.core.evaluation.outcome_tables import (
    AGREEMENT_HEADERS,
    BAND_HEADERS,
    OUTCOME_HEADERS,
    RATE_HEADERS,
    agreement_rows,
    band_rows,
    baseline_rows,
    mentor_rows,
    outcome_rows,
    rate_rows,
)
from bot.core.evaluation.outcomes import OutcomeFigures
from bot.core.messages import Embed, EmbedField, Text, clip, fit, lines, markup_size, strong, text
from bot.core.text import one_line

COLOUR = 0x2E6F95
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELDS_PER_EMBED = 25
EMBEDS_PER_MESSAGE = 10
MESSAGE_EMBED_CHARS = 6000
SMALL_NUMBERS_NOTE = (
    f"Counts of 1–{SMALL_NUMBER - 1} people show as <5; rates and means from them as n<5; * is a larger count "
    "withheld so that a <5 cannot be worked out from the total."
)


def embed_length(embed: Embed) -> int:
    """Return an upper bound of the characters Discord counts against its 6,000 per message (after markup)."""
    return (
        markup_size(embed.title)
        + markup_size(embed.description)
        + markup_size(embed.footer)
        + sum(markup_size(f.name) + markup_size(f.value) for f in embed.fields)
    )


def _local(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(ZoneInfo(timezone))


def _when(moment: datetime, timezone: str) -> str:
    local = _local(moment, timezone)
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M} {local.tzname()}"


def _day(moment: datetime, timezone: str) -> str:
    local = _local(moment, timezone)
    return f"{local.day} {local:%b %Y}"


def _distribution(figures: SessionFigures | ProgrammeFigures) -> str:
    shown = suppress_breakdown([_rating(figures, v) for v in RATINGS])
    return " · ".join(f"{v}: {text}" for v, text in zip(RATINGS, shown, strict=True))


def _rating(figures: SessionFigures | ProgrammeFigures, value: int) -> int:
    return next((t.count for t in figures.ratings if t.key == str(value)), 0)


def _tally_lines(tallies: Sequence[Tally], *, people: bool = True, skip_zero: bool = False) -> str:
    shown = suppress_breakdown([t.count for t in tallies]) if people else [str(t.count) for t in tallies]
    lines = [f"{t.label}: {text}" for t, text in zip(tallies, shown, strict=True) if t.count or not skip_zero]
    return "\n".join(lines) or "None yet"


# -- embeds ------------------------------------------------------------------------------------------------------


def _session_line(s: SessionFigures) -> str:
    return (
        f"Attendance {suppress(s.attendance)} · Reflections {suppress(s.reflections)} "
        f"({suppress_rate(s.reflections, s.attendance)})\n"
        f"Ratings {_distribution(s)} · mean {suppress_mean(s.mean_rating, s.ratings_count)}"
    )


def _session_name(s: SessionFigures) -> str:
    return clip(f"Session {s.number} · {one_line(s.title, 200)}", FIELD_NAME_LIMIT)


def _quote_lines(quotes: Sequence[Quote], limit: int) -> str:
    shown = [f"“{one_line(q.text, 300)}” — Session {q.session_number}" for q in quotes[:MAX_QUOTES]]
    return fit("\n\n".join(shown), limit)


def _figure(label: str, value: str) -> Text:
    return text(strong(label), " ", value)


def _programme_embeds(f: ProgrammeFigures) -> list[Embed]:
    footer = f"{SMALL_NUMBERS_NOTE} Generated {_when(f.generated_at, f.timezone)}."
    overview = lines(
        _figure(
            "Participants registered:",
            f"{suppress(f.participants_registered)} ({suppress(f.participants_active)} active)",
        ),
        _figure("Communities represented:", str(f.communities_count)),
        _figure(
            "Sessions held:",
            f"{f.sessions_held} of {f.sessions_planned} planned"
            + (f" ({f.sessions_cancelled} cancelled)" if f.sessions_cancelled else ""),
        ),
        _figure("Median attendance:", suppress_median(f.median_attendance)),
        _figure(
            "Reflections:",
            f"{suppress(f.reflections_total)} · mean rating {suppress_mean(f.mean_rating, f.ratings_count)} "
            f"from {suppress(f.ratings_count)} consented ratings",
        ),
        text(" · ").join(
            [
                _figure("Flash Reports published:", str(f.flash_reports_published)),
                _figure("Resources shared:", str(f.resources_shared)),
                _figure("Stories of change:", str(f.stories_of_change)),
            ]
        ),
        *([_connections_line(f.connections)] if f.connections is not None else []),
    )
    group_lines = _tally_lines(f.communities_by_group, people=False)
    fields = [
        EmbedField("Communities by area", group_lines, inline=True),
        EmbedField("Participants by area", _tally_lines(f.participants_by_group), inline=True),
        EmbedField("Roles", _tally_lines(f.roles, skip_zero=True), inline=True),
        EmbedField("Ratings 1–5 (all sessions)", _distribution(f), inline=False),
    ]
    embeds = [Embed(title="Programme report", description=overview, colour=COLOUR, fields=tuple(fields))]
    session_fields = [EmbedField(_session_name(s), _session_line(s)) for s in f.sessions]
    for start in range(0, len(session_fields), FIELDS_PER_EMBED):
        chunk = tuple(session_fields[start : start + FIELDS_PER_EMBED])
        title = "Sessions held" if start == 0 else "Sessions held (continued)"
        embeds.append(Embed(title=title, colour=COLOUR, fields=chunk))
    if f.quotes:
        embeds.append(Embed(title="In their words", description=_quote_lines(f.quotes, 2000), colour=COLOUR))
    if f.outcomes is not None:
        embeds.append(_outcomes_embed(f.outcomes))
    embeds[-1] = _with_footer(embeds[-1], footer)
    return _fit(embeds, footer)


def _outcomes_embed(o: OutcomeFigures) -> Embed:
    shown: list[Text | str] = []
    for row in outcome_rows(o):
        shown.append(
            text(
                strong(one_line(row[0], 80)),
                f" — before {row[1]}, now {row[4]} (change {row[7]}, improved {row[8]}, n {row[9]})",
            )
        )
    for row in agreement_rows(o):
        shown.append(f"{one_line(row[0], 100)}: {row[1]} agree (n {row[2]})")
    if o.mentor:
        shown.append("Would mentor a second cohort: " + ", ".join(f"{c} {v}" for c, v in mentor_rows(o)))
    body = lines(*shown) if shown else text("No consented answers yet.")
    title = clip(f"Outcomes ({one_line(o.questionnaire, 60)})", TITLE_LIMIT)
    return Embed(title=title, description=fit(body, 3500), colour=COLOUR)


def _outcomes_html(f: ProgrammeFigures) -> str:
    o = f.outcomes
    stories = _table(
        f"Most significant stories of change (of {f.stories_of_change} stories; quoted with consent only)",
        ("Month", "Story", "Why it was chosen"),
        [(s.month, s.text, s.reason) for s in f.significant_stories],
    )
    if o is None:
        return "<p>No end-of-programme questionnaire has opened yet.</p>" + stories
    parts = [
        f"<p>From the questionnaire {_e(o.questionnaire)}: {_e(suppress(o.respondents))} people answered, "
        f"{_e(suppress(o.consenting_respondents))} of them with evaluation consent (only their answers count).</p>",
        _table("Learning outcomes: before the programme and now (1–5)", OUTCOME_HEADERS, outcome_rows(o)),
    ]
    if o.has_baseline:
        parts.append(
            _table("True pre/post: baseline to end (“now” ratings)", ("Outcome", "Change", "n"), baseline_rows(o))
        )
    parts.append(_table("Agreement", AGREEMENT_HEADERS, agreement_rows(o)))
    if o.mentor:
        parts.append(_table("Would you support or mentor a second cohort?", ("Answer", "People"), mentor_rows(o)))
    parts.append(_table("Response rate by area group", RATE_HEADERS, rate_rows(o.by_area)))
    parts.append(_table("Response rate by role", RATE_HEADERS, rate_rows(o.by_role)))
    parts.append(_table("Outcome change by attendance", BAND_HEADERS, band_rows(o)))
    parts.append(stories)
    return "".join(parts)


def _with_footer(embed: Embed, footer: str) -> Embed:
    return Embed(
        title=embed.title,
        description=embed.description,
        url=embed.url,
        colour=embed.colour,
        fields=embed.fields,
        footer=footer,
        timestamp=embed.timestamp,
    )


def _fit(embeds: list[Embed], footer: str) -> list[Embed]:
    """Keep a message's embeds within 10 and 6,000 characters: drop quotes first, then the last sessions."""

    def total() -> int:
        return sum(embed_length(e) for e in embeds)

    if total() <= MESSAGE_EMBED_CHARS and len(embeds) <= EMBEDS_PER_MESSAGE:
        return embeds
    embeds = [e for e in embeds if e.title != "In their words"]
    embeds[-1] = _with_footer(embeds[-1], footer)
    dropped = 0
    room = MESSAGE_EMBED_CHARS - 80 - markup_size(footer)  # the footer may move to a new last embed, with a note
    while (total() > room or len(embeds) > EMBEDS_PER_MESSAGE) and len(embeds) > 1:
        last = embeds[-1]
        if len(last.fields) <= 1:
            embeds.pop()
            dropped += len(last.fields)
            continue
        embeds[-1] = Embed(title=last.title, colour=last.colour, fields=last.fields[:-1], footer=last.footer)
        dropped += 1
    if dropped:
        note = f"…and {dropped} more session{'s' if dropped != 1 else ''}: see the HTML report."
        embeds[-1] = _with_footer(embeds[-1], f"{note} {footer}")
    return embeds


def _session_embeds(s: SessionFigures) -> list[Embed]:
    title = clip(f"Session {s.number}: {one_line(s.title, 200)}", TITLE_LIMIT)
    when = _when(s.starts_at, s.timezone)
    if s.cancelled:
        status = "This session was cancelled."
    elif not s.held:
        status = "This session has not been held yet."
    else:
        status = f"Held {when}."
    fields = [
        EmbedField("Attendance", suppress(s.attendance), inline=True),
        EmbedField("Reflections", suppress(s.reflections), inline=True),
        EmbedField("Response rate", suppress_rate(s.reflections, s.attendance), inline=True),
        EmbedField("Mean rating", suppress_mean(s.mean_rating, s.ratings_count), inline=True),
        EmbedField("Consented ratings", suppress(s.ratings_count), inline=True),
        EmbedField("Ratings 1–5", _distribution(s), inline=False),
    ]
    if s.quotes:
        fields.append(EmbedField("In their words", _quote_lines(s.quotes, FIELD_VALUE_LIMIT)))
    footer = f"{SMALL_NUMBERS_NOTE} Generated {_when(s.generated_at, s.timezone)}."
    return [Embed(title=title, description=status, colour=COLOUR, fields=tuple(fields), footer=footer)]


def report_summary_embeds(figures: ProgrammeFigures | SessionFigures) -> list[Embed]:
    """Return the embeds of /report programme or /report session (one message: ≤ 10 embeds, ≤ 6,000 chars)."""
    if isinstance(figures, SessionFigures):
        return _session_embeds(figures)
    return _programme_embeds(figures)


# -- HTML --------------------------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;color:#1d2a33;line-height:1.5}
h1{font-size:1.8rem;margin-bottom:.2rem}h2{margin-top:2.4rem;border-bottom:2px solid #2e6f95;padding-bottom:.2rem}
.meta{color:#4a5a66}
dl.headline{display:grid;grid-template-columns:repeat(auto-fit,minmax(13rem,1fr));gap:.8rem;margin:1.2rem 0}
dl.headline div{background:#eef4f8;border-radius:.5rem;padding:.7rem .9rem}
dl.headline dt{font-size:.85rem;color:#4a5a66}dl.headline dd{margin:0;font-size:1.6rem;font-weight:600}
table{border-collapse:collapse;margin:.8rem 0 1.6rem;width:100%}caption{text-align:left;font-weight:600;
padding:.3rem 0}th,td{border:1px solid #c8d3db;padding:.35rem .6rem;text-align:left;vertical-align:top}
th{background:#eef4f8}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1.6rem 0}figure img{max-width:100%;height:auto;border:1px solid #c8d3db}
figcaption{font-weight:600;margin:.4rem 0}.note{color:#4a5a66;font-size:.9rem}
blockquote{margin:1rem 0;padding:.6rem 1rem;border-left:4px solid #2e6f95;background:#f6f9fb}
blockquote footer{color:#4a5a66;font-size:.9rem}
@media print{body{max-width:none}figure,table{break-inside:avoid}}
"""


_NUM = ' class="n"'


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int = 1) -> str:
    head = "".join(f'<th scope="col"{_NUM if i >= numeric_from else ""}>{_e(h)}</th>' for i, h in enumerate(headers))
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            if i == 0:
                cells.append(f'<th scope="row">{_e(cell)}</th>')
            else:
                cells.append(f"<td{_NUM if i >= numeric_from else ''}>{_e(cell)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(headers)}">None yet</td></tr>')
    return (
        f"<table><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _headline(f: ProgrammeFigures) -> str:
    items = [
        ("Participants registered", suppress(f.participants_registered)),
        ("Still active", suppress(f.participants_active)),
        ("Communities represented", str(f.communities_count)),
        ("Sessions held", f"{f.sessions_held} of {f.sessions_planned}"),
        ("Median attendance", suppress_median(f.median_attendance)),
        ("Reflections", suppress(f.reflections_total)),
        ("Mean rating (1–5)", suppress_mean(f.mean_rating, f.ratings_count)),
        ("Flash Reports published", str(f.flash_reports_published)),
        ("Resources shared", str(f.resources_shared)),
        ("Stories of change", str(f.stories_of_change)),
    ]
    cells = "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in items)
    return f'<dl class="headline">{cells}</dl>'


def _chart(chart: Chart) -> str:
    spec = chart.spec
    data = base64.b64encode(chart.png).decode("ascii")
    notes = "".join(f'<p class="note">{_e(n)}</p>' for n in spec.notes)
    numeric_from = 2 if "Title" in spec.table_headers else 1
    table = _table(f"Data for “{spec.title}”", spec.table_headers, spec.table_rows, numeric_from=numeric_from)
    return (
        f'<figure id="chart-{_e(spec.name)}"><figcaption>{_e(spec.title)}</figcaption>'
        f'<img src="data:image/png;base64,{data}" alt="{_e(spec.alt)}" width="800">{notes}{table}</figure>'
    )


def _sessions_table(f: ProgrammeFigures) -> str:
    headers = (
        "Session",
        "Title",
        "Date",
        "Attendance",
        "Reflections",
        "Response rate",
        "Mean rating",
        *(f"Rated {v}" for v in RATINGS),
    )
    rows = [
        (
            str(s.number),
            s.title,
            _day(s.starts_at, f.timezone),
            suppress(s.attendance),
            suppress(s.reflections),
            suppress_rate(s.reflections, s.attendance),
            suppress_mean(s.mean_rating, s.ratings_count),
            *(suppress(s.rating(v)) for v in RATINGS),
        )
        for s in f.sessions
    ]
    return _table("Sessions held", headers, rows, numeric_from=3)


def _quotes(quotes: Sequence[Quote]) -> str:
    if not quotes:
        return "<p>No quotes yet: quotes appear only when their authors agreed to be quoted.</p>"
    return "".join(
        f"<blockquote><p>“{_e(q.text)}”</p><footer>— a participant, Session {q.session_number}</footer></blockquote>"
        for q in quotes
    )


def _methods(f: ProgrammeFigures) -> str:
    points = [
        "Participants registered counts everyone who joined with /join and has not asked for their data to be "
        "erased, whether or not they are still in the server.",
        "A community's area type is the one most of its participants chose; “Not said” means nobody said. A "
        f"community is named only when at least {SMALL_NUMBER} of its participants agree to the evaluation; the "
        "others are counted together as “other communities”.",
        "Sessions held are sessions that were not cancelled and whose start has passed. Attendance counts distinct "
        "people recorded as present by check-in, time in the voice channel, a facilitator or an imported list.",
        "Median attendance is the middle value of attendance across the sessions held.",
        "Reflections count every response; the response rate divides them by attendance and can pass 100% when "
        "people reflect without being recorded as present.",
        "Ratings, their distribution and mean include only people who currently agree to their reflections being "
        "used in the evaluation. Quotes come only from people who agreed to evaluation and to being quoted, and "
        "who ticked “you may quote these words” on that reflection.",
        f"Small numbers: any count of 1 to {SMALL_NUMBER - 1} people is shown as <5, and a rate or mean resting on "
        "such a count as n<5, so nobody can be singled out. In charts such counts are hatched blocks drawn at "
        "height 4. Zero is shown as 0. Where a breakdown (by area, role, community or rating) would hide just one "
        "such count beside a published total, its smallest other count is withheld too and shown as *, so the "
        "hidden one cannot be worked out by subtraction; starred bars are not drawn.",
        "Outcomes: only answers from people with evaluation consent count. Before/now are retrospective 1–5 "
        "ratings; the paired change is the mean of now minus before over people who gave both, and improved is the "
        "share of them whose now is higher. Agreement is the share answering 4 or 5. Response rates divide people "
        "who finished by participants registered. Attendance bands count the sessions held each person attended.",
        f"Free text is removed {f.retention_months} months after the programme's last session; ratings and counts "
        "are kept.",
    ]
    return "<ul>" + "".join(f"<li>{_e(p)}</li>" for p in points) + "</ul>"


def _connections_line(c: ConnectionFigures) -> Text:
    return text(" · ").join(
        [
            _figure(
                "Small groups:",
                f"{c.groups} groups, {suppress(c.people_in_groups)} people · {c.community_pairs_met} pairs of "
                f"communities met · {suppress_rate(c.met_other_area, c.people_with_area)} met someone from another "
                f"area type · {c.repeat_pairings} repeat pairings",
            ),
            _figure(
                "Introductions:",
                f"{c.introductions} (did you meet? yes {suppress(c.met_yes)}, not yet {suppress(c.met_not_yet)})",
            ),
        ]
    )


def _connections(c: ConnectionFigures | None) -> str:
    if c is None:
        return "<p>No small groups yet.</p>"
    return _table(
        "What small groups achieved between communities",
        ("Measure", "Value"),
        [
            ("Groups made", str(c.groups)),
            ("People placed in groups", suppress(c.people_in_groups)),
            ("Distinct pairs of communities whose members shared a group", str(c.community_pairs_met)),
            (
                "Share of people in groups who met someone from another area type",
                suppress_rate(c.met_other_area, c.people_with_area),
            ),
            ("Pairs placed together again in a later session", str(c.repeat_pairings)),
            ("Introductions between sessions", str(c.introductions)),
            ("Distinct pairs of communities introduced", str(c.introduced_community_pairs)),
            ('"Did you meet?": yes', suppress(c.met_yes)),
            ('"Did you meet?": not yet', suppress(c.met_not_yet)),
            ('"Did you meet?": skipped', suppress(c.met_skip)),
        ],
    )


def render_html_report(figures: ProgrammeFigures, charts: Sequence[Chart]) -> str:
    """Return the programme report as one self-contained HTML page (inline CSS, charts as data: URIs)."""
    f = figures
    named = [(c.name, c.area_label, c.group_label) for c in f.communities]
    counts = [c.participants for c in f.communities]
    if f.other_communities:
        named.append((f"{OTHER_COMMUNITIES} ({f.other_communities})", NOT_AVAILABLE, NOT_AVAILABLE))
        counts.append(f.other_community_participants)
    communities = _table(
        "Communities represented",
        ("Community", "Area type", "Group", "Participants"),
        [(*row, shown) for row, shown in zip(named, suppress_breakdown(counts), strict=True)],
        numeric_from=3,
    )
    by_group = _table(
        "Communities by urban / small town / rural group",
        ("Group", "Communities", "Participants"),
        [
            (g.label, str(g.count), shown)
            for g, shown in zip(
                f.communities_by_group, suppress_breakdown([p.count for p in f.participants_by_group]), strict=True
            )
        ],
    )
    by_area = _table(
        "Communities and participants by area type",
        ("Area type", "Communities", "Participants"),
        [
            (a.label, str(a.count), shown)
            for a, shown in zip(
                f.communities_by_area, suppress_breakdown([p.count for p in f.participants_by_area]), strict=True
            )
        ],
    )
    roles = _table(
        "Participants by role",
        ("Role", "Participants"),
        list(zip([t.label for t in f.roles], suppress_breakdown([t.count for t in f.roles]), strict=True)),
    )
    ratings = _table(
        "Ratings across all sessions held (consented)",
        ("Rating", "People"),
        list(
            zip([str(v) for v in RATINGS], suppress_breakdown([f.ratings[v - 1].count for v in RATINGS]), strict=True)
        ),
    )
    generated = _when(f.generated_at, f.timezone)
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Programme report</title>
<style>{_CSS}</style>
</head>
<body>
<header>
<h1>Programme report</h1>
<p class="meta">Generated {_e(generated)} · times in {_e(f.timezone)} · {_e(SMALL_NUMBERS_NOTE)}</p>
</header>
<main>
<section aria-labelledby="headline"><h2 id="headline">At a glance</h2>{_headline(f)}</section>
<section aria-labelledby="who"><h2 id="who">Who took part</h2>{by_group}{by_area}{roles}{communities}</section>
<section aria-labelledby="sessions"><h2 id="sessions">Sessions</h2>{_sessions_table(f)}{ratings}</section>
<section aria-labelledby="outcomes"><h2 id="outcomes">Outcomes</h2>{_outcomes_html(f)}</section>
<section aria-labelledby="connections"><h2 id="connections">Connections</h2>{_connections(f.connections)}</section>
<section aria-labelledby="charts"><h2 id="charts">Charts</h2>{"".join(_chart(c) for c in charts)}</section>
<section aria-labelledby="words"><h2 id="words">In their words</h2>{_quotes(f.quotes)}</section>
<section aria-labelledby="methods"><h2 id="methods">How these figures are made</h2>{_methods(f)}</section>
</main>
</body>
</html>
"""
