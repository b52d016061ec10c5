"""Settings: read once from a mapping (the environment after .env), validated with clear messages."""

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.core.delivery.leadership import connect_options_problem
from bot.core.keys import key_weakness, weak_key_message

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///blether.db"
DEFAULT_TIMEZONE = "Europe/London"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
TOKEN_HELP = (
    "DISCORD_TOKEN is not set: create a bot at https://discord.com/developers/applications "
    "(Bot -> Reset Token), then put DISCORD_TOKEN=... in .env (copy .env.example)."
)


PLATFORMS = ("discord", "matrix")
DEFAULT_FACILITATOR_POWER_LEVEL = 50
MATRIX_HELP = (
    "MATRIX_USER_ID is not set: create the bot's Matrix account (docs/deploy.md, 'Running on Matrix') and put "
    "MATRIX_HOMESERVER, MATRIX_USER_ID and MATRIX_ACCESS_TOKEN (or MATRIX_PASSWORD) in .env."
)


class ConfigError(RuntimeError):
    """Raised at startup when a setting is missing or invalid; the message names the variable and the fix."""


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_endpoint_url(name: str, value: str, *, secure: str, plain: str) -> str:
    """Accept a secure URL anywhere, or a plain one only on loopback; raise ConfigError otherwise."""
    parts = urlsplit(value)
    if parts.scheme == secure and parts.hostname:
        return value.rstrip("/")
    if parts.scheme == plain and _is_loopback(parts.hostname):
        return value.rstrip("/")
    raise ConfigError(
        f"{name}={value!r} is not allowed: use a {secure}:// URL, or {plain}:// only on loopback "
        f"(127.0.0.1, ::1 or localhost); or remove it to talk to Discord itself."
    )


@dataclass(frozen=True, slots=True)
class MatrixSettings:
    """How Blether reaches its Matrix homeserver (BLETHER_PLATFORM=matrix)."""

    homeserver: str
    user_id: str
    access_token: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    facilitator_power_level: int = DEFAULT_FACILITATOR_POWER_LEVEL

    @classmethod
    def from_env(cls, get: "Callable[[str], str]") -> "MatrixSettings":
        """Validate the MATRIX_* settings (get returns a stripped value or "")."""
        homeserver = get("MATRIX_HOMESERVER")
        if not homeserver:
            raise ConfigError(
                "MATRIX_HOMESERVER is not set: put your homeserver's client URL in .env, e.g. "
                "MATRIX_HOMESERVER=https://matrix.example.org."
            )
        homeserver = check_endpoint_url("MATRIX_HOMESERVER", homeserver, secure="https", plain="http")
        user_id = get("MATRIX_USER_ID")
        if not user_id:
            raise ConfigError(MATRIX_HELP)
        localpart, _, server = user_id[1:].partition(":")
        if not user_id.startswith("@") or not localpart or not server or any(ch.isspace() for ch in user_id):
            raise ConfigError(f"MATRIX_USER_ID={user_id!r} is not a Matrix user id: write it as @blether:example.org.")
        token = get("MATRIX_ACCESS_TOKEN")
        password = get("MATRIX_PASSWORD")
        if not token and not password:
            raise ConfigError(
                "MATRIX_ACCESS_TOKEN is not set: put the bot account's access token in .env, or MATRIX_PASSWORD "
                "for a login on first start (the token is then kept in the database)."
            )
        if any(ch.isspace() for ch in token):
            raise ConfigError(
                "MATRIX_ACCESS_TOKEN contains spaces: paste the token alone, without 'Bearer ' or quotes."
            )
        level_raw = get("MATRIX_FACILITATOR_POWER_LEVEL") or str(DEFAULT_FACILITATOR_POWER_LEVEL)
        try:
            level = int(level_raw)
        except ValueError:
            level = -1
        if not 1 <= level <= 100:
            raise ConfigError(
                f"MATRIX_FACILITATOR_POWER_LEVEL={level_raw!r} is not a power level from 1 to 100 "
                "(50 is a moderator in Element; leave it empty for 50)."
            )
        return cls(homeserver, user_id, token, password, level)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything Blether is configured with; build it with ``Settings.from_env``."""

    discord_token: str = field(default="", repr=False)
    database_url: str = field(default=DEFAULT_DATABASE_URL, repr=False)
    guild_id: int | None = None
    api_base_url: str | None = None
    gateway_url: str | None = None
    log_level: str = "INFO"
    timezone: str = DEFAULT_TIMEZONE
    export_key: str = field(default="", repr=False)
    platform: str = "discord"
    matrix: MatrixSettings | None = None

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, require_token: bool = True, platform: str | None = None
    ) -> "Settings":
        """Validate settings from a mapping (os.environ by default); platform overrides BLETHER_PLATFORM."""
        env = os.environ if env is None else env

        def get(name: str) -> str:
            return (env.get(name) or "").strip()

        platform = (platform or get("BLETHER_PLATFORM") or "discord").lower()
        if platform not in PLATFORMS:
            raise ConfigError(f"BLETHER_PLATFORM={platform!r} is not a platform: use one of {', '.join(PLATFORMS)}.")
        matrix = MatrixSettings.from_env(get) if platform == "matrix" else None

        token = get("DISCORD_TOKEN")
        if require_token and platform == "discord" and not token:
            raise ConfigError(TOKEN_HELP)
        if token and any(ch.isspace() for ch in token):
            raise ConfigError("DISCORD_TOKEN contains spaces: paste the token alone, without 'Bot ' or quotes.")

        database_url = get("DATABASE_URL") or DEFAULT_DATABASE_URL
        try:
            url = make_url(database_url)
        except ArgumentError:
            raise ConfigError(
                "DATABASE_URL is not a valid database URL: use e.g. sqlite+aiosqlite:///blether.db "
                "or postgresql+asyncpg://user:password@host/dbname."
            ) from None
        if url.drivername not in SUPPORTED_DRIVERS:
            raise ConfigError(
                f"DATABASE_URL uses {url.drivername!r}: Blether supports "
                "sqlite+aiosqlite:///path.db and postgresql+asyncpg://user:password@host/dbname."
            )
        if url.drivername == "postgresql+asyncpg":
            problem = connect_options_problem(url)
            if problem is not None:
                raise ConfigError(
                    f"DATABASE_URL {problem}; Blether passes every ?option to asyncpg.connect as it is (see "
                    "https://magicstack.github.io/asyncpg/current/api/index.html#connection)."
                )

        guild_raw = get("DISCORD_GUILD_ID")
        guild_id: int | None = None
        if guild_raw:
            if not guild_raw.isdigit() or not 15 <= len(guild_raw) <= 21:
                raise ConfigError(
                    "DISCORD_GUILD_ID must be a server id (a 17-20 digit number): in Discord turn on "
                    "Developer Mode, right-click the server and choose 'Copy Server ID'; or leave it empty."
                )
            guild_id = int(guild_raw)

        api = get("DISCORD_API_BASE_URL") or None
        if api:
            api = check_endpoint_url("DISCORD_API_BASE_URL", api, secure="https", plain="http")
        gateway = get("DISCORD_GATEWAY_URL") or None
        if gateway:
            gateway = check_endpoint_url("DISCORD_GATEWAY_URL", gateway, secure="wss", plain="ws")

        log_level = (get("LOG_LEVEL") or "INFO").upper()
        if log_level not in LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL={log_level!r} is not a level: use one of {', '.join(LOG_LEVELS)}.")

        timezone = get("BLETHER_TIMEZONE") or DEFAULT_TIMEZONE
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"BLETHER_TIMEZONE={timezone!r} is not a known time zone: use an IANA name such as Europe/London."
            ) from None

        export_key = get("BLETHER_EXPORT_KEY")
        weakness = key_weakness(export_key) if export_key else None
        if weakness is not None:
            raise ConfigError(weak_key_message("BLETHER_EXPORT_KEY", weakness))

        return cls(
            discord_token=token,
            database_url=database_url,
            guild_id=guild_id,
            api_base_url=api,
            gateway_url=gateway,
            log_level=log_level,
            timezone=timezone,
            export_key=export_key,
            platform=platform,
            matrix=matrix,
        )

    def describe(self) -> list[tuple[str, str]]:
        """List what is configured, for `blether check` and the start-up log (never secrets)."""
        if self.matrix is not None:
            return [
                ("BLETHER_PLATFORM", "matrix"),
                ("MATRIX_HOMESERVER", self.matrix.homeserver),
                ("MATRIX_USER_ID", self.matrix.user_id),
                ("MATRIX_ACCESS_TOKEN", "set" if self.matrix.access_token else "not set (password login)"),
                ("MATRIX_FACILITATOR_POWER_LEVEL", str(self.matrix.facilitator_power_level)),
                ("DATABASE_URL", make_url(self.database_url).render_as_string(hide_password=True)),
                ("LOG_LEVEL", self.log_level),
                ("BLETHER_TIMEZONE", self.timezone),
                ("BLETHER_EXPORT_KEY", "set" if self.export_key else "not set (exports are refused)"),
            ]
        return [
            ("DISCORD_TOKEN", "set" if self.discord_token else "not set"),
            ("DATABASE_URL", make_url(self.database_url).render_as_string(hide_password=True)),
            ("DISCORD_GUILD_ID", str(self.guild_id) if self.guild_id else "not set (commands sync globally)"),
            ("DISCORD_API_BASE_URL", self.api_base_url or "Discord (default)"),
            ("DISCORD_GATEWAY_URL", self.gateway_url or "Discord (default)"),
            ("LOG_LEVEL", self.log_level),
            ("BLETHER_TIMEZONE", self.timezone),
            ("BLETHER_EXPORT_KEY", "set" if self.export_key else "not set (exports are refused)"),
        ]
