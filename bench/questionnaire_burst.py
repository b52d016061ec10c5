"""How fast are questionnaire pages saved when everyone finishes at once, and how long does the report take?

Run with ``python -m bench.questionnaire_burst``. On a temporary SQLite file (WAL, synchronous=FULL, as in
production), 80 participants answer the 4-page end-of-programme questionnaire (four learning outcomes) at
the same moment: each person submits page 1, 2, 3 and 4 one after another, all 80 people concurrently, so
320 page submits go through ``QuestionnaireService.submit_page``. Beside it, in the same run, an "ack-only"
baseline (a coroutine that returns at once) is launched the same way. Each submit's time from its call to
its completion (saved and committed) is recorded; the run reports p50/p99/max and checks that no page was
lost (every answer row and every finished response is there).

Then the programme report (figures, charts and HTML) is generated for 80 people × 30 items (eight outcomes'
before/now pairs plus agreement, text and mentoring items), and its time is reported.

Targets: submit p99 ≤ 0.5 s and 0 pages lost; the report is reported (no target). ``run()`` returns a dict.
"""

import argparse
import asyncio
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from bench._util import summarise, table
from bot.core.actors import Actor
from bot.core.clock import SystemClock
from bot.core.evaluation.report import build_report
from bot.core.participants.domain import ConsentPurpose, ConsentSource
from bot.core.participants.repository import SqlConsentRepository
from bot.core.programme.domain import Programme
from bot.core.programme.repository import SqlOutcomeRepository, SqlProgrammeRepository
from bot.core.questionnaires.domain import ItemKind, PageWrite, QuestionnaireStatus
from bot.core.questionnaires.pages import paginate
from bot.core.questionnaires.repository import SqlQuestionnaireRepository
from bot.core.questionnaires.service import QuestionnaireService
from bot.core.storage.database import Database
from bot.core.storage.models import Base
from bot.core.storage.models.participants import ParticipantRow
from bot.core.storage.models.questionnaires import QuestionnaireAnswerRow, QuestionnaireResponseRow

GUILD = 4343
PEOPLE = 80
TARGET_P99_S = 0.5
FACILITATOR = Actor(GUILD, 1, can_manage_events=True)


async def _prepare(path: Path, outcomes: int, extra_agreement: int = 0) -> tuple[Database, QuestionnaireService, int]:
    """Create a programme with outcomes, 80 consenting participants and an open end-of-programme questionnaire."""
    database = Database(f"sqlite+aiosqlite:///{path}")
    async with database.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)  # a throwaway file; migrations are tested elsewhere
    now = datetime.now(UTC)
    async with database.unit_of_work() as uow:
        await uow.repo(SqlProgrammeRepository).create(Programme(id=0, guild_id=GUILD), now=now)
        for n in range(outcomes):
            await uow.repo(SqlOutcomeRepository).add(GUILD, f"learning outcome number {n + 1}", now=now)
        await uow.session.execute(
            insert(ParticipantRow),
            [
                {"guild_id": GUILD, "user_id": 10_000 + i, "active": True, "joined_at": now, "updated_at": now}
                for i in range(PEOPLE)
            ],
        )
        consent = uow.repo(SqlConsentRepository)
        for i in range(PEOPLE):
            await consent.append(
                GUILD,
                10_000 + i,
                {ConsentPurpose.EVALUATION: True},
                text_version=1,
                source=ConsentSource.PROMPT,
                now=now,
            )
        await uow.commit()
    service = QuestionnaireService(database, SystemClock())
    view = await service.create(FACILITATOR, "end-of-programme")
    for n in range(extra_agreement):
        view = await service.edit_items(
            FACILITATOR, view.questionnaire.name, "add", kind="agreement", text=f"Statement {n}"
        )
    async with database.unit_of_work() as uow:
        await uow.repo(SqlQuestionnaireRepository).update(
            view.questionnaire.id,
            {"status": QuestionnaireStatus.OPEN, "opened_at": now, "closes_at": now + timedelta(days=21)},
            now=now,
        )
        await uow.commit()
    return database, service, view.questionnaire.id


def _values(fields: Any, person: int) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for index, field in enumerate(fields):
        if field.kind.is_rating:
            values[field.id] = [str(1 + (person + index) % 5)]
        elif field.kind is ItemKind.YES_MAYBE_NO:
            values[field.id] = [("yes", "maybe", "no")[person % 3]]
        else:
            values[field.id] = "The people I met and what we built together"
    return values


async def _chains(calls: list[list[Callable[[], Awaitable[object]]]]) -> tuple[list[float], int]:
    """Run every person's calls in order, all people at once; return each call's own latency and failures."""
    latencies: list[float] = []
    failures = 0

    async def person(chain: list[Callable[[], Awaitable[object]]]) -> None:
        nonlocal failures
        for call in chain:
            start = time.perf_counter()
            try:
                await call()
            except Exception:
                failures += 1
                logging.getLogger(__name__).exception("A page submit failed")
            latencies.append(time.perf_counter() - start)

    await asyncio.gather(*(person(chain) for chain in calls))
    return latencies, failures


async def _burst(directory: Path) -> dict[str, Any]:
    database, service, qid = await _prepare(directory / "burst.db", outcomes=4)
    try:
        async with database.unit_of_work() as uow:
            items = await uow.repo(SqlQuestionnaireRepository).items(qid, 1)
        pages = paginate(items)
        forms = [await service.page(Actor(GUILD, 10_000), qid, n) for n in range(1, len(pages) + 1)]

        async def ack() -> None:
            return None

        baseline, _ = await _chains([[ack] * len(pages) for _ in range(PEOPLE)])
        chains = [
            [
                (lambda i=i, f=f: service.submit_page(Actor(GUILD, 10_000 + i), qid, 1, f.page, _values(f.fields, i)))
                for f in forms
            ]
            for i in range(PEOPLE)
        ]
        latencies, failures = await _chains(chains)
        async with database.unit_of_work() as uow:
            answers = int(await uow.session.scalar(select(func.count(QuestionnaireAnswerRow.id))) or 0)
            finished = int(
                await uow.session.scalar(
                    select(func.count(QuestionnaireResponseRow.id)).where(
                        QuestionnaireResponseRow.finished_at.is_not(None)
                    )
                )
                or 0
            )
    finally:
        await database.dispose()
    submit, ack_only = summarise(latencies), summarise(baseline)
    expected = PEOPLE * len(items)
    return {
        "people": PEOPLE,
        "pages": len(pages),
        "submits": len(latencies),
        "submit_p50_s": submit["p50"],
        "submit_p99_s": submit["p99"],
        "submit_max_s": submit["max"],
        "ack_p50_s": ack_only["p50"],
        "ack_p99_s": ack_only["p99"],
        "failed": failures,
        "answers": answers,
        "answers_expected": expected,
        "finished": finished,
        "lost": (expected - answers) + (PEOPLE - finished),
    }


async def _report(directory: Path) -> dict[str, Any]:
    """Time the programme report for 80 people × 30 items (answers written straight through the repository)."""
    database, _, qid = await _prepare(directory / "report.db", outcomes=8, extra_agreement=8)
    try:
        now = datetime.now(UTC)
        async with database.unit_of_work() as uow:
            repo = uow.repo(SqlQuestionnaireRepository)
            q = await repo.get(qid)
            assert q is not None
            items = await repo.items(qid, q.version)
            writes = []
            for i in range(PEOPLE):
                values = {
                    item.id: (1 + (i + n) % 5)
                    if item.kind.is_rating
                    else ("yes" if item.kind is ItemKind.YES_MAYBE_NO else "x")
                    for n, item in enumerate(items)
                }
                writes.append(PageWrite(10_000 + i, 1, values, (), True))
            await repo.save_pages(q, writes, {}, now=now)
            await uow.commit()
        start = time.perf_counter()
        report = await build_report(database, GUILD)
        elapsed = time.perf_counter() - start
    finally:
        await database.dispose()
    assert report.figures.outcomes is not None
    return {
        "people": PEOPLE,
        "items": len(items),
        "report_s": elapsed,
        "charts": len(report.charts),
        "html_kib": len(report.html) // 1024,
    }


async def _run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="blether-questionnaire-") as tmp:
        burst = await _burst(Path(tmp))
        report = await _report(Path(tmp))
    return {
        "burst": burst,
        "report": report,
        "target_p99_s": TARGET_P99_S,
        "met": burst["submit_p99_s"] <= TARGET_P99_S and burst["lost"] == 0 and burst["failed"] == 0,
    }


def run() -> dict[str, Any]:
    """Run the burst and the report timing; return their figures (seconds)."""
    return asyncio.run(_run())


def describe(result: dict[str, Any]) -> str:
    """Return the figures as a table."""
    b, r = result["burst"], result["report"]
    rows = [
        [
            f"{b['people']} × {b['pages']} pages",
            f"{b['ack_p99_s'] * 1000:.2f}",
            f"{b['submit_p50_s'] * 1000:.0f}",
            f"{b['submit_p99_s'] * 1000:.0f}",
            f"{b['submit_max_s'] * 1000:.0f}",
            b["lost"],
            f"{r['report_s']:.2f} s ({r['people']} × {r['items']} items, {r['charts']} charts)",
        ]
    ]
    headers = ["burst", "ack p99 ms", "submit p50 ms", "submit p99 ms", "max ms", "lost", "report"]
    verdict = "met" if result["met"] else "MISSED"
    return f"{table(headers, rows)}\n\ntarget p99 ≤ {TARGET_P99_S * 1000:.0f} ms, 0 lost: {verdict}"


def main() -> None:
    """Run from the command line and print a table."""
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(describe(run()))


if __name__ == "__main__":
    main()
