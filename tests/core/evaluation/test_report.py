"""The programme report: charts (valid PNGs, suppressed small numbers), Discord embeds and the HTML page."""

import base64
import html
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.evaluation.charts import PNG_MAGIC, SMALL_HEIGHT, chart_specs, render_charts
from bot.core.evaluation.figures import (
    ProgrammeFigures,
    SessionFigures,
    Tally,
    compute_programme_figures,
    suppress,
    suppress_mean,
    suppress_median,
    suppress_rate,
)
from bot.core.evaluation.render import (
    EMBEDS_PER_MESSAGE,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FIELDS_PER_EMBED,
    MESSAGE_EMBED_CHARS,
    embed_length,
    render_html_report,
    report_summary_embeds,
)
from bot.core.evaluation.report import write_report
from bot.core.messages import Embed
from tests.core.evaluation.conftest import FACILITATOR, GUILD, World
from tests.rendering import embed_parts


async def figures_of(world: World) -> ProgrammeFigures:
    """Return the cohort's figures."""
    return await compute_programme_figures(world.database, GUILD, now=world.clock.now())


def assert_within_discord_limits(embeds: list[Embed]) -> None:
    """Check one message's embeds against Discord's limits."""
    assert 1 <= len(embeds) <= EMBEDS_PER_MESSAGE
    assert sum(embed_length(e) for e in embeds) <= MESSAGE_EMBED_CHARS
    total = 0
    for embed in embeds:
        title, description, footer, fields = embed_parts(embed)
        assert len(title) <= 256
        assert len(description) <= 4096
        assert len(footer) <= 2048
        assert len(fields) <= FIELDS_PER_EMBED
        for name, value in fields:
            assert 0 < len(name) <= FIELD_NAME_LIMIT and 0 < len(value) <= FIELD_VALUE_LIMIT
        total += len(title) + len(description) + len(footer) + sum(len(n) + len(v) for n, v in fields)
    assert total <= MESSAGE_EMBED_CHARS


def embed_text(embeds: list[Embed]) -> str:
    """Return every text of the embeds, as Discord gets them."""
    parts = []
    for e in embeds:
        title, description, footer, fields = embed_parts(e)
        parts += [title, description, footer]
        parts += [f"{name}\n{value}" for name, value in fields]
    return "\n".join(parts)


async def test_charts_are_valid_pngs_rendered_off_the_event_loop(world: World) -> None:
    """Four charts, each a PNG (magic bytes), named for the files written beside the report."""
    charts = await render_charts(await figures_of(world))
    assert [c.filename for c in charts] == [
        "attendance.png",
        "response_rate.png",
        "ratings.png",
        "participants_by_area.png",
    ]
    for chart in charts:
        assert chart.png.startswith(PNG_MAGIC)
        assert len(chart.png) > 2000


async def test_charts_never_draw_counts_of_one_to_four_at_their_height(world: World) -> None:
    """Small counts become hatched blocks of height 4 labelled <5; small-sample rates are not drawn at all."""
    attendance, rates, ratings, areas = chart_specs(await figures_of(world))
    assert [b.height for b in attendance.series[0].bars] == [10, 8, 7, 9, 6]
    area_bars = {b.category: b for b in areas.series[0].bars}
    skye = area_bars["Remote rural area"]  # 3 people
    assert (skye.height, skye.label, skye.suppressed) == (SMALL_HEIGHT, "<5", True)
    assert area_bars["Large urban area"].height == 5 and not area_bars["Large urban area"].suppressed
    assert (area_bars["Other urban area"].height, area_bars["Other urban area"].label) == (0, "0")
    for serie in ratings.series:
        for bar in serie.bars:
            assert bar.height == 0 or bar.height >= 5 or (bar.suppressed and bar.height == SMALL_HEIGHT)
            assert bar.label in ("0", "<5") or (bar.label == "*" and not bar.drawn) or int(bar.label) >= 5
    for row in ratings.table_rows:  # per session: never exactly one hidden cell beside exact ones
        cells = row[2:]
        assert not (cells.count("<5") == 1 and any(c.isdigit() and int(c) >= 5 for c in cells)), row
    rated_three_s1 = ratings.series[2].bars[0]  # one person rated session 1 a 3
    assert (rated_three_s1.height, rated_three_s1.label) == (SMALL_HEIGHT, "<5")
    last = rates.series[0].bars[-1]  # session 5: 4 reflections
    assert (last.drawn, last.label) == (False, "n<5")
    assert [b.label for b in rates.series[0].bars[:4]] == ["80%", "75%", "71%", "78%"]
    assert any("fewer than 5" in n for n in ratings.notes)
    assert ("1", "Session theme 1", "0", "0", "<5", "<5", "5") in ratings.table_rows
    assert ("Remote rural area", "<5") in areas.table_rows


async def test_html_report_contains_every_figure_suppressed_and_embeds_the_charts(world: World) -> None:
    """Every headline figure, every session's numbers, communities, roles and quotes are in the page, small
    numbers as <5, and each chart is an embedded PNG with a data table."""
    figures = await figures_of(world)
    charts = await render_charts(figures)
    page = render_html_report(figures, charts)
    text = html.unescape(page)
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en-GB">' in page
    assert "http://" not in page and "https://" not in page  # opens offline: nothing fetched
    for value in (
        suppress(figures.participants_registered),
        str(figures.communities_count),
        f"{figures.sessions_held} of {figures.sessions_planned}",
        suppress_median(figures.median_attendance),
        suppress(figures.reflections_total),
        suppress_mean(figures.mean_rating, figures.ratings_count),
    ):
        assert value in text
    assert "<dt>Median attendance</dt><dd>8</dd>" in page
    assert "<dt>Flash Reports published</dt><dd>1</dd>" in page
    assert "<dt>Stories of change</dt><dd>2</dd>" in page
    for s in figures.sessions:
        row = [
            str(s.number),
            s.title,
            suppress(s.attendance),
            suppress(s.reflections),
            suppress_rate(s.reflections, s.attendance),
            suppress_mean(s.mean_rating, s.ratings_count),
        ]
        row += [suppress(s.rating(v)) for v in range(1, 6)]
        cells = re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", page)
        assert all(html.escape(c) in cells or c in cells for c in row)
    assert "Isle of Skye" not in text and re.search(  # fewer than five consenting members: not named
        r"Other communities \(3\)</th><td>–</td><td>–</td><td class=\"n\">7</td>",
        page,
    )
    assert re.search(r"Leith</th><td>Large urban area</td><td>Urban</td><td class=\"n\">5</td>", page)
    for quote in figures.quotes:
        assert html.escape(quote.text) in page
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 4
    assert all(base64.b64decode(i).startswith(PNG_MAGIC) for i in images)
    assert page.count("<caption>Data for") == 4
    assert all(f'alt="{html.escape(c.spec.alt)}"' in page for c in charts)


async def test_html_escapes_user_text(world: World) -> None:
    """A session title with markup is shown as text, not run."""
    figures = await figures_of(world)
    evil = replace(figures.sessions[0], title='<script>alert("x")</script>')
    page = render_html_report(replace(figures, sessions=(evil, *figures.sessions[1:])), ())
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


async def test_programme_embeds_show_the_figures_within_discord_limits(world: World) -> None:
    """/report programme: headline figures, one field per session, quotes; small numbers as <5 and n<5."""
    figures = await figures_of(world)
    embeds = report_summary_embeds(figures)
    assert_within_discord_limits(embeds)
    text = embed_text(embeds)
    assert "**Participants registered:** 12 (12 active)" in text
    assert "**Median attendance:** 8" in text
    assert "**Sessions held:** 5 of 6 planned (1 cancelled)" in text
    assert "Small town: <5" in text and "Urban: 5" in text
    assert "Attendance 10 · Reflections 8 (80%)\nRatings 1: 0 · 2: 0 · 3: <5 · 4: <5 · 5: 5 · mean 4.6" in text
    assert "Reflections <5 (n<5)" in text and "mean n<5" in text  # session 5
    assert "“The small groups in session 1 helped, said participant A.” — Session 1" in text


async def test_session_embed_and_report_through_the_service(world: World) -> None:
    """/report session gives one embed; /report programme attaches report.html and the four PNGs."""
    session = await world.evaluation.session_report(FACILITATOR, world.sessions[0].id)
    assert isinstance(session.figures, SessionFigures)
    assert_within_discord_limits(list(session.embeds))
    fields = dict(embed_parts(session.embeds[0])[3])
    assert fields["Attendance"] == "10" and fields["Response rate"] == "80%" and fields["Mean rating"] == "4.6"
    assert fields["Ratings 1–5"] == "1: 0 · 2: 0 · 3: <5 · 4: <5 · 5: 5"
    programme = await world.evaluation.programme_report(FACILITATOR)
    assert [f.filename for f in programme.files] == [
        "report.html",
        "attendance.png",
        "response_rate.png",
        "ratings.png",
        "participants_by_area.png",
    ]
    assert b"data:image/png;base64," in programme.files[0].data


def _many_sessions(figures: ProgrammeFigures, count: int) -> ProgrammeFigures:
    template = figures.sessions[0]
    sessions = tuple(
        replace(
            template,
            number=n,
            session_id=n,
            title=f"A very long session title number {n} " + "x" * 150,
            starts_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=7 * n),
        )
        for n in range(1, count + 1)
    )
    quotes = tuple(replace(q, text="word " * 60) for q in figures.quotes * 3)[:5]
    return replace(figures, sessions=sessions, quotes=quotes)


async def test_embeds_stay_within_limits_for_a_long_programme(world: World) -> None:
    """60 sessions with long titles still make one valid message, saying how many sessions were left out."""
    embeds = report_summary_embeds(_many_sessions(await figures_of(world), 60))
    assert_within_discord_limits(embeds)
    assert "more sessions: see the HTML report" in embed_parts(embeds[-1])[2]


async def test_an_empty_programme_still_reports(world: World) -> None:
    """Before any session is held the report renders, with dashes and a note instead of charts' bars."""
    figures = await figures_of(world)
    empty = replace(
        figures,
        sessions=(),
        median_attendance=None,
        reflections_total=0,
        ratings_count=0,
        mean_rating=None,
        quotes=(),
        ratings=tuple(Tally(str(v), str(v), 0) for v in range(1, 6)),
    )
    charts = await render_charts(empty)
    assert all(c.png.startswith(PNG_MAGIC) for c in charts)
    assert "<dt>Median attendance</dt><dd>–</dd>" in render_html_report(empty, charts)
    assert_within_discord_limits(report_summary_embeds(empty))


async def test_write_report_writes_the_page_and_pngs_beside_it(world: World, tmp_path: Path) -> None:
    """write_report(database, guild_id, out) writes report.html and the four PNGs in one directory."""
    paths = await write_report(world.database, GUILD, tmp_path / "out", now=world.clock.now())
    assert [p.name for p in paths] == [
        "report.html",
        "attendance.png",
        "response_rate.png",
        "ratings.png",
        "participants_by_area.png",
    ]
    assert all(p.parent == tmp_path / "out" and p.exists() for p in paths)
    assert paths[1].read_bytes().startswith(PNG_MAGIC)
    named = await write_report(world.database, GUILD, tmp_path / "named" / "cohort.html", now=world.clock.now())
    assert named[0] == tmp_path / "named" / "cohort.html"
    assert "Median attendance" in named[0].read_text(encoding="utf-8")
