"""Settings validation: every bad value gives one clear message naming the variable."""

import pytest

from bot.config import DEFAULT_DATABASE_URL, ConfigError, Settings

TOKEN = "MTA5MjM0NTY3ODkwMTIzNDU2Nw.GQ2x9a.abcdefghijklmnopqrstuvwxyz012345"


def test_defaults_apply_when_only_the_token_is_set() -> None:
    """A token alone gives the embedded SQLite database and Europe/London."""
    settings = Settings.from_env({"DISCORD_TOKEN": TOKEN})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.timezone == "Europe/London"
    assert settings.guild_id is None
    assert settings.log_level == "INFO"


def test_missing_token_says_where_to_create_one() -> None:
    """Without DISCORD_TOKEN the message names the developer portal and .env."""
    with pytest.raises(ConfigError, match=r"DISCORD_TOKEN.*discord.com/developers.*\.env"):
        Settings.from_env({})


def test_token_is_optional_for_offline_commands() -> None:
    """`blether check` and `migrate` work without a token."""
    assert Settings.from_env({}, require_token=False).discord_token == ""


@pytest.mark.parametrize(
    ("name", "value", "pattern"),
    [
        ("DATABASE_URL", "not a url", "DATABASE_URL"),
        ("DATABASE_URL", "mysql://u@h/db", "DATABASE_URL uses 'mysql'"),
        ("DISCORD_GUILD_ID", "abc", "DISCORD_GUILD_ID"),
        ("DISCORD_GUILD_ID", "12", "DISCORD_GUILD_ID"),
        ("LOG_LEVEL", "chatty", "LOG_LEVEL"),
        ("BLETHER_TIMEZONE", "Mars/Olympus", "BLETHER_TIMEZONE"),
        ("DISCORD_API_BASE_URL", "http://example.com/api/v10", "DISCORD_API_BASE_URL"),
        ("DISCORD_API_BASE_URL", "ftp://127.0.0.1/api", "DISCORD_API_BASE_URL"),
        ("DISCORD_GATEWAY_URL", "ws://10.0.0.5/gateway", "DISCORD_GATEWAY_URL"),
        ("DISCORD_TOKEN", "Bot abc def", "DISCORD_TOKEN"),
    ],
)
def test_malformed_values_name_the_variable(name: str, value: str, pattern: str) -> None:
    """Each malformed value raises ConfigError naming the variable."""
    env = {"DISCORD_TOKEN": TOKEN, name: value}
    with pytest.raises(ConfigError, match=pattern):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("api", "gateway"),
    [
        ("https://proxy.example.org/api/v10", "wss://gw.example.org/"),
        ("http://127.0.0.1:8080/api/v10", "ws://127.0.0.1:8080/gateway"),
        ("http://localhost:1/api/v10", "ws://[::1]:2/gateway"),
    ],
)
def test_https_anywhere_and_plain_http_only_on_loopback(api: str, gateway: str) -> None:
    """Secure endpoints anywhere and loopback test servers are accepted."""
    settings = Settings.from_env({"DISCORD_TOKEN": TOKEN, "DISCORD_API_BASE_URL": api, "DISCORD_GATEWAY_URL": gateway})
    assert settings.api_base_url == api.rstrip("/")
    assert settings.gateway_url == gateway.rstrip("/")


def test_describe_never_shows_secrets() -> None:
    """The configuration summary says whether secrets are set, never their value."""
    settings = Settings.from_env(
        {
            "DISCORD_TOKEN": TOKEN,
            "BLETHER_EXPORT_KEY": "export-secret-value",
            "DATABASE_URL": "postgresql+asyncpg://blether:hunter2@db/blether",
        }
    )
    text = repr(settings) + str(settings.describe())
    assert TOKEN not in text
    assert "export-secret-value" not in text
    assert "hunter2" not in text
