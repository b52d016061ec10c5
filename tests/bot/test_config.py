"""Settings validation: every bad value gives one clear message naming the variable."""

import pytest

from bot.config import DEFAULT_DATABASE_URL, ConfigError, Settings

TOKEN = "MTA5MjM0NTY3ODkwMTIzNDU2Nw.GQ2x9a.abcdefghijklmnopqrstuvwxyz012345"
EXPORT_KEY = "cV3q-8hTz_Lk2WmN9pRx4sYb7dFg1jQe5uA6oI0nK"  # what secrets.token_urlsafe(32) makes


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
            "BLETHER_EXPORT_KEY": EXPORT_KEY,
            "DATABASE_URL": "postgresql+asyncpg://blether:hunter2@db/blether",
        }
    )
    text = repr(settings) + str(settings.describe())
    assert TOKEN not in text
    assert EXPORT_KEY not in text
    assert "hunter2" not in text


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("0123456789abcdef", "shorter than 32 characters"),
        ("x" * 64, "only 1 different character;"),
        ("abcdefgh" * 6, "only 8 different characters"),
        ("Correct-Horse-Battery-Staple-Is-Our-Export-Key", "like a phrase of words"),
        ("the quick brown fox jumps over the lazy dog again", "like a phrase of words"),
    ],
)
def test_an_export_key_too_easy_to_guess_is_refused_with_the_command_for_a_good_one(key: str, why: str) -> None:
    """A short, repetitive or phrase-like BLETHER_EXPORT_KEY stops start-up with one line showing the generator."""
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"DISCORD_TOKEN": TOKEN, "BLETHER_EXPORT_KEY": key})
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("BLETHER_EXPORT_KEY is too easy to guess") and why in message
    assert 'python -c "import secrets; print(secrets.token_urlsafe(32))"' in message
    assert key not in message


@pytest.mark.parametrize(
    "key",
    [
        EXPORT_KEY,
        "SegLfwpZOEnsMhmSuhotn79SY4QZzTp_0hNU0jepB1g",  # secrets.token_urlsafe(32)
        "4ca42ebf9e6f2514b5ddddc34e9b0bb030b5da55a7aa0610e3c157258754a8ca",  # secrets.token_hex(32)
        "0011223344556677889900aabbccddeeff00112233445566778899aabbccddee",  # 16 hex digits: enough variety
        "3f2a9c0b1d4e3f2a" + "9c0b1d4e5f6a7b8c" + "1d2e3f4a5b6c7d8e" + "9f0a1b2c3d4e5f60",  # hex, all digits
    ],
)
def test_random_keys_are_accepted_including_the_hex_keys_blether_recommended_before(key: str) -> None:
    """token_urlsafe(32) keys and 64-digit hex keys (the old advice, token_hex(32)) pass."""
    assert Settings.from_env({"DISCORD_TOKEN": TOKEN, "BLETHER_EXPORT_KEY": key}).export_key == key


def test_a_hex_key_missing_a_few_digits_is_still_accepted_but_not_a_hex_pattern() -> None:
    """token_hex(32) keys lacking one or two of the 16 digits pass; a repeated run of 12 hex digits does not."""
    random_hex = "19bca834b44b1a747ad66c143d55c45caa8228aa420a11950143d669791daa19"  # random, no e or f
    assert Settings.from_env({"BLETHER_EXPORT_KEY": random_hex}, require_token=False).export_key == random_hex
    with pytest.raises(ConfigError, match="only 12 different characters"):
        Settings.from_env({"BLETHER_EXPORT_KEY": "0123456789ab" * 6}, require_token=False)
