"""Matrix settings and rendering without a homeserver: one-line errors (exit 2), escaping, splitting."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from bot.config import ConfigError, Settings
from bot.core.messages import Link, OutboundMessage, Time, TimeStyle, text
from bot.matrix.render import Names, message_blocks, split_events

BASE = {
    "BLETHER_PLATFORM": "matrix",
    "MATRIX_HOMESERVER": "https://matrix.example.org",
    "MATRIX_USER_ID": "@blether:example.org",
    "MATRIX_ACCESS_TOKEN": "syt_secret_token_value",
}


def test_matrix_settings_need_no_discord_token() -> None:
    """On Matrix the Discord token is not required, and describe() names no secret."""
    settings = Settings.from_env(BASE)
    assert settings.platform == "matrix" and settings.matrix is not None
    assert settings.matrix.facilitator_power_level == 50
    assert "syt_secret_token_value" not in str(settings.describe()) + repr(settings)


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"MATRIX_HOMESERVER": "http://matrix.example.org"}, "loopback"),
        ({"MATRIX_HOMESERVER": ""}, "MATRIX_HOMESERVER is not set"),
        ({"MATRIX_USER_ID": "blether"}, "not a Matrix user id"),
        ({"MATRIX_ACCESS_TOKEN": ""}, "MATRIX_ACCESS_TOKEN is not set"),
        ({"MATRIX_FACILITATOR_POWER_LEVEL": "high"}, "not a power level"),
        ({"BLETHER_PLATFORM": "irc"}, "not a platform"),
    ],
)
def test_bad_matrix_settings_say_what_to_fix(change: dict, needle: str) -> None:
    """Each wrong setting raises ConfigError naming the variable."""
    with pytest.raises(ConfigError, match=needle):
        Settings.from_env({**BASE, **change})


def test_plain_http_is_allowed_on_loopback_only() -> None:
    """http:// is accepted for a homeserver on 127.0.0.1."""
    settings = Settings.from_env({**BASE, "MATRIX_HOMESERVER": "http://127.0.0.1:8008"})
    assert settings.matrix is not None and settings.matrix.homeserver == "http://127.0.0.1:8008"


def test_blether_check_reports_a_matrix_mistake_in_one_line(monkeypatch, capsys, tmp_path) -> None:
    """`blether check --platform matrix` with a bad homeserver exits 2 with one line on stderr."""
    for name, value in {**BASE, "MATRIX_HOMESERVER": "ftp://example.org"}.items():
        monkeypatch.setenv(name, value)
    assert main(["--env-file", str(tmp_path / "none.env"), "check", "--platform", "matrix"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "MATRIX_HOMESERVER" in err


def test_markup_from_users_is_escaped_and_links_are_http_only() -> None:
    """<script> stays text; javascript: never becomes a link; times show in the given zone."""
    names = Names(zone=ZoneInfo("Europe/London"), users={}, rooms={}, now=datetime(2027, 1, 1, tzinfo=UTC))
    when = Time(datetime(2027, 1, 15, 8, 0, tzinfo=UTC), TimeStyle.FULL)
    message = OutboundMessage(
        content=text("<script>alert(1)</script> [x](javascript:alert(1)) ", Link("x", "javascript:alert(1)"), when)
    )
    ((body, rich),) = split_events(message_blocks(message, names))
    assert "<script>" not in rich and "&lt;script&gt;" in rich
    assert 'href="javascript' not in rich
    assert "Friday, 15 January 2027 08:00 GMT" in body


def test_long_messages_split_under_the_budget_in_order() -> None:
    """Blocks are packed into events that each stay within the budget, in their order."""
    names = Names(zone=ZoneInfo("UTC"), users={}, rooms={})
    paragraphs = [f"P{i:03d} " + "é" * 500 for i in range(100)]
    events = split_events(message_blocks(OutboundMessage(content="\n\n".join(paragraphs)), names), budget=8_000)
    assert len(events) > 5
    assert all(len(b.encode()) + len(h.encode()) < 8_000 * 2 for b, h in events)
    assert [p[:4] for e in events for p in e[0].split("\n\n")] == [p[:4] for p in paragraphs]
