"""Fixtures for the command line tests: a clean environment and no .env file."""

from pathlib import Path

import pytest

SETTINGS = (
    "DISCORD_TOKEN",
    "DATABASE_URL",
    "DISCORD_GUILD_ID",
    "DISCORD_API_BASE_URL",
    "DISCORD_GATEWAY_URL",
    "LOG_LEVEL",
    "BLETHER_TIMEZONE",
    "BLETHER_EXPORT_KEY",
)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """Clear Blether's settings from the environment; return the argv prefix naming an absent .env file."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return ["--env-file", str(tmp_path / "absent.env")]
