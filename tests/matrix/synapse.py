"""A real Synapse homeserver on loopback for the Matrix tests: SQLite in a temp dir, users by shared secret."""

import hmac
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class MatrixUser:
    """A registered account: its id, password and an access token of its own."""

    user_id: str
    password: str
    access_token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Synapse's message rate limit (rc_message) for every user the test does not override."""

    per_second: float = 1000.0
    burst_count: int = 1000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_signing_key(path: Path) -> None:
    """Write an ed25519 signing key as Synapse expects it, without starting Synapse once to generate it."""
    from signedjson.key import generate_signing_key, write_signing_keys

    with path.open("w") as handle:
        write_signing_keys(handle, [generate_signing_key("a_test")])


def config_yaml(directory: Path, port: int, shared_secret: str, limits: RateLimits) -> str:
    """Return a minimal homeserver.yaml: one loopback client listener, SQLite, no open registration."""
    return json.dumps(  # JSON is YAML; no quoting surprises in paths
        {
            "server_name": "localhost",
            "pid_file": str(directory / "homeserver.pid"),
            "listeners": [
                {
                    "port": port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(directory / "homeserver.db")}},
            "log_config": str(directory / "log.yaml"),
            "media_store_path": str(directory / "media"),
            "signing_key_path": str(directory / "signing.key"),
            "registration_shared_secret": shared_secret,
            "enable_registration": False,
            "enable_registration_without_verification": False,
            "report_stats": False,
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "macaroon_secret_key": secrets.token_hex(16),
            "form_secret": secrets.token_hex(16),
            "rc_message": {"per_second": limits.per_second, "burst_count": limits.burst_count},
            "rc_registration": {"per_second": 1000, "burst_count": 1000},
            "rc_login": {
                "address": {"per_second": 1000, "burst_count": 1000},
                "account": {"per_second": 1000, "burst_count": 1000},
                "failed_attempts": {"per_second": 1000, "burst_count": 1000},
            },
            "rc_joins": {"local": {"per_second": 1000, "burst_count": 1000}},
            "rc_invites": {"per_room": {"per_second": 1000, "burst_count": 1000}},
            "encryption_enabled_by_default_for_room_type": "off",
            "presence": {"enabled": False},
        }
    )


LOG_YAML = """\
version: 1
formatters:
  precise:
    format: '%(asctime)s - %(name)s - %(levelname)s - %(message)s'
handlers:
  file:
    class: logging.FileHandler
    formatter: precise
    filename: {path}
root:
  level: WARNING
  handlers: [file]
disable_existing_loggers: false
"""


class Synapse:
    """One Synapse process; start() waits until it answers, stop() ends it (and only it)."""

    def __init__(self, directory: Path, *, limits: RateLimits | None = None) -> None:
        self.directory = directory
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._secret = secrets.token_hex(16)
        self._limits = limits or RateLimits()
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Write the config, start Synapse and wait for its client API."""
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "media").mkdir(exist_ok=True)
        (self.directory / "log.yaml").write_text(LOG_YAML.format(path=self.directory / "homeserver.log"))
        config = self.directory / "homeserver.yaml"
        config.write_text(config_yaml(self.directory, self.port, self._secret, self._limits))
        _write_signing_key(self.directory / "signing.key")
        output = (self.directory / "stdout.log").open("wb")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "synapse.app.homeserver", "-c", str(config)],
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=self.directory,
            env={**os.environ, "SYNAPSE_ASYNC_IO_REACTOR": "0"},
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"Synapse exited with {self._process.returncode}: see {self.directory}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/_matrix/client/versions", timeout=1):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Synapse did not answer within {START_TIMEOUT:.0f} s: see {self.directory}")

    def stop(self) -> None:
        """Stop Synapse (SIGTERM, then SIGKILL after 10 s)."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def _request(self, method: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.base_url}{path}", data=data, headers=headers, method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    def register(self, localpart: str, *, admin: bool = False) -> MatrixUser:
        """Register a user through the shared-secret admin API and return its id and token."""
        password = secrets.token_urlsafe(12)
        nonce = self._request("GET", "/_synapse/admin/v1/register")["nonce"]
        kind = b"admin" if admin else b"notadmin"
        mac = hmac.new(
            self._secret.encode(), b"\x00".join([nonce.encode(), localpart.encode(), password.encode(), kind]), "sha1"
        ).hexdigest()
        body = {"nonce": nonce, "username": localpart, "password": password, "admin": admin, "mac": mac}
        answer = self._request("POST", "/_synapse/admin/v1/register", body)
        return MatrixUser(answer["user_id"], password, answer["access_token"])

    def override_rate_limit(self, admin: MatrixUser, user_id: str, *, per_second: int, burst_count: int) -> None:
        """Give one user its own message rate limit (admin API)."""
        path = f"/_synapse/admin/v1/users/{urllib.request.quote(user_id)}/override_ratelimit"
        self._request("POST", path, {"messages_per_second": per_second, "burst_count": burst_count}, admin.access_token)

    def clear_rate_limit(self, admin: MatrixUser, user_id: str) -> None:
        """Remove a user's own rate limit again."""
        path = f"/_synapse/admin/v1/users/{urllib.request.quote(user_id)}/override_ratelimit"
        self._request("DELETE", path, None, admin.access_token)


def synapse_installed() -> bool:
    """Tell whether the matrix-test extra (Synapse) is installed."""
    try:
        import synapse  # noqa: F401
    except ImportError:
        return False
    return True


__all__ = ["MatrixUser", "RateLimits", "Synapse", "synapse_installed"]
