"""Add Flash Report flood limits; store shared links in the new normal form

Creates flash_settings (per-person daily limit and issue size per server; NULL keeps the default).
Rewrites stored links to the normal form of bot.core.flash.urls as of this revision: tracking parameters
(utm_*, fbclid, gclid, ref, si …) dropped and the other query parameters sorted by name, so a link that
differs only by those no longer slips past the duplicate check. Rows were already normalised otherwise
(scheme and host in lower case, no fragment, no default port), so only the query changes. When two stored
resources now share one normal form, the oldest takes the new dedupe key and the others keep their old one.

Downgrade drops flash_settings and turns held items (their author left the server) into excluded ones,
which the earlier code understands and never publishes; links stay in the new form (still valid links).

Revision ID: 0006_flash_floods
Revises: 0005
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence
from urllib.parse import unquote_plus

import sqlalchemy as sa
from alembic import op

import bot.core.storage.types

revision: str = "0006_flash_floods"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of bot.core.flash.urls.TRACKING_PARAMS at this revision (later changes must not alter it).
_TRACKING = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid", "li_fat_id",
        "mc_cid", "mc_eid", "igshid", "igsh", "si", "_hsenc", "_hsmi", "mkt_tok", "vero_id", "oly_anon_id",
        "oly_enc_id", "wickedid", "s_cid", "ref", "ref_src", "ref_url",
    }
)  # fmt: skip

_items = sa.table(
    "flash_items",
    sa.column("id", sa.Integer()),
    sa.column("guild_id", sa.BigInteger()),
    sa.column("kind", sa.String()),
    sa.column("state", sa.String()),
    sa.column("url", sa.String()),
    sa.column("dedupe_key", sa.String()),
)


def renormalise(url: str) -> str:
    """Drop tracking parameters from an already normalised link and sort the rest by name (stably)."""
    base, mark, query = url.partition("?")
    if not mark:
        return url
    kept = []
    for pair in query.split("&"):
        key = unquote_plus(pair.split("=", 1)[0]).strip().lower()
        if not pair or key in _TRACKING or key.startswith("utm_"):
            continue
        kept.append(pair)
    kept.sort(key=lambda pair: pair.split("=", 1)[0])
    return f"{base}?{'&'.join(kept)}" if kept else base


def _rewrite_links(connection: sa.Connection) -> None:
    rows = connection.execute(
        sa.select(_items.c.id, _items.c.guild_id, _items.c.kind, _items.c.url, _items.c.dedupe_key)
        .where(_items.c.url.is_not(None))
        .order_by(_items.c.id)
    ).all()
    keys = {
        (guild_id, key)
        for guild_id, key in connection.execute(
            sa.select(_items.c.guild_id, _items.c.dedupe_key).where(_items.c.dedupe_key.is_not(None))
        )
    }
    for item_id, guild_id, kind, url, dedupe_key in rows:
        new_url = renormalise(url)
        if new_url == url:
            continue
        values: dict[str, str] = {"url": new_url}
        if kind == "resource" and dedupe_key == f"url:{url}" and (guild_id, f"url:{new_url}") not in keys:
            values["dedupe_key"] = f"url:{new_url}"
            keys.discard((guild_id, dedupe_key))
            keys.add((guild_id, values["dedupe_key"]))
        connection.execute(sa.update(_items).where(_items.c.id == item_id).values(**values))


def upgrade() -> None:
    """Create flash_settings and rewrite stored links to the new normal form."""
    op.create_table(
        "flash_settings",
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("per_person_per_day", sa.Integer(), nullable=True),
        sa.Column("issue_size", sa.Integer(), nullable=True),
        sa.Column("updated_at", bot.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_flash_settings")),
    )
    _rewrite_links(op.get_bind())


def downgrade() -> None:
    """Drop flash_settings; held items become excluded (the earlier code knows no held state)."""
    op.execute(sa.update(_items).where(_items.c.state == "held").values(state="excluded"))
    op.drop_table("flash_settings")
