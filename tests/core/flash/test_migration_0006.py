"""Revision 0006 (flash floods): stored links take the new normal form, clashes keep their old key, and the
downgrade turns held items into excluded ones."""

import importlib.util
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import column, select
from sqlalchemy import table as sql_table

from bot.core.flash.urls import normalise_url
from bot.core.storage.database import Database
from bot.core.storage.migrations import downgrade_to, upgrade_to_head
from bot.core.storage.models.flash import FlashItemRow

REVISION = Path(__file__).resolve().parents[3] / "migrations" / "versions" / "0006_flash_limits_and_url_normal_form.py"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _revision() -> ModuleType:
    spec = importlib.util.spec_from_file_location("flash_revision_0006", REVISION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(item_id: int, url: str | None, *, kind: str = "resource", key: str | None = None, state: str = "included"):
    return {
        "id": item_id,
        "guild_id": 1,
        "kind": kind,
        "state": state,
        "dedupe_key": key if key is not None or kind != "resource" else f"url:{url}",
        "url": url,
        "title": "",
        "body": "",
        "excerpt": "",
        "tags": [],
        "author_id": 7,
        "author_name": "Pat",
        "credit_by_name": False,
        "created_at": NOW,
        "updated_at": NOW,
    }


OLD_FORMS = [  # as the earlier normaliser stored them: tracking kept where it did not know it, order kept
    "https://example.org/guide?b=2&a=1",
    "https://example.org/guide?a=1&b=2&ref=newsletter",  # clashes with the first once renormalised
    "https://example.org/video?v=abc&si=XyZ",
    "https://example.org/plain",
    "https://example.org/p?%75tm_x=1&z=%C3%A9&a",
]


@pytest.mark.parametrize("old", OLD_FORMS)
def test_renormalise_agrees_with_the_new_normaliser(old: str) -> None:
    """For links already in the earlier normal form, the frozen rewrite gives what normalise_url gives today."""
    assert _revision().renormalise(old) == normalise_url(old)


async def test_upgrade_rewrites_links_and_downgrade_releases_nothing_held(fresh_database_url: str) -> None:
    """Links are rewritten; the older of two clashing resources takes the new key; held becomes excluded."""
    module = _revision()
    await upgrade_to_head(fresh_database_url)
    await downgrade_to(fresh_database_url, module.down_revision)
    database = Database(fresh_database_url)
    table = FlashItemRow.__table__
    try:
        async with database.engine.begin() as conn:
            rows = [_row(i + 1, url) for i, url in enumerate(OLD_FORMS)]
            rows.append(_row(9, "https://slides.example/d?utm_campaign=x&id=3", kind="nomination", key="message:99"))
            # The columns of revision 0005 only: later revisions add columns the model (and its defaults) has.
            then = sql_table("flash_items", *(column(name, table.c[name].type) for name in rows[0]))
            await conn.execute(then.insert(), rows)
        await upgrade_to_head(fresh_database_url)
        async with database.engine.begin() as conn:
            found = {
                r.id: (r.url, r.dedupe_key)
                for r in await conn.execute(select(table.c.id, table.c.url, table.c.dedupe_key))
            }
            assert found[1] == ("https://example.org/guide?a=1&b=2", "url:https://example.org/guide?a=1&b=2")
            assert found[2] == (  # the same resource shared earlier keeps its old key: no clash, no loss
                "https://example.org/guide?a=1&b=2",
                "url:https://example.org/guide?a=1&b=2&ref=newsletter",
            )
            assert found[3] == ("https://example.org/video?v=abc", "url:https://example.org/video?v=abc")
            assert found[4] == ("https://example.org/plain", "url:https://example.org/plain")
            assert found[9] == ("https://slides.example/d?id=3", "message:99")
            await conn.execute(table.update().where(table.c.id == 4).values(state="held"))
        await downgrade_to(fresh_database_url, module.down_revision)
        async with database.engine.connect() as conn:
            states = dict((await conn.execute(select(table.c.id, table.c.state))).all())
        assert states[4] == "excluded" and states[1] == "included"
    finally:
        await database.dispose()
