"""Fault injection (429, 5xx, delays, resets) and an optional rate-limit mode with real X-RateLimit-* headers."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .state import RecordedRequest

FAULT_KINDS = ("429", "500", "502", "503", "504", "delay", "reset", "reset_after", "error")

# Discord's documented per-route limits are not published; these match what bots observe in practice.
DEFAULT_ROUTE_LIMITS: dict[str, tuple[int, float]] = {
    "POST /channels/{channel_id}/messages": (5, 5.0),
    "PATCH /channels/{channel_id}/messages/{message_id}": (5, 5.0),
    "DELETE /channels/{channel_id}/messages/{message_id}": (5, 1.0),
    "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me": (1, 0.25),
    "POST /users/@me/channels": (10, 10.0),
    "POST /guilds/{guild_id}/scheduled-events": (5, 5.0),
    "PATCH /guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}": (5, 5.0),
    "PUT /applications/{application_id}/commands": (2, 60.0),
    "PUT /applications/{application_id}/guilds/{guild_id}/commands": (2, 60.0),
}

# Interaction callbacks and followups are not bound by the global limit.
_GLOBAL_EXEMPT_PREFIXES = ("/interactions/", "/webhooks/")
_MAJOR_PARAMS = ("channel_id", "guild_id", "webhook_id", "webhook_token")


@dataclass
class Fault:
    """One injected fault rule; it fires on the next ``remaining`` matching requests."""

    route: str
    method: str | None
    kind: str
    remaining: int
    retry_after: float = 0.3
    delay: float = 0.0
    is_global: bool = False
    status: int = 400
    code: int = 0
    message: str | None = None
    where: Callable[[RecordedRequest], bool] | None = None
    hits: int = 0

    def matches(self, record: RecordedRequest) -> bool:
        """Return whether this rule applies to the request."""
        if self.remaining <= 0:
            return False
        if self.method is not None and self.method.upper() != record.method:
            return False
        if self.route not in ("*", record.route, record.path):
            return False
        return self.where is None or bool(self.where(record))


@dataclass
class FakeStats:
    """Counters tests can assert on."""

    requests: int = 0
    global_429: int = 0
    route_429: int = 0
    injected: dict[str, int] = field(default_factory=dict)
    route_429_by_route: dict[str, int] = field(default_factory=dict)

    @property
    def total_429(self) -> int:
        """Return all 429s the rate-limit mode produced."""
        return self.global_429 + self.route_429


def rate_limit_headers(*, limit: int, remaining: int, reset_after: float, bucket: str) -> dict[str, str]:
    """Return X-RateLimit-* headers as Discord sends them."""
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(max(0, remaining)),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        "X-RateLimit-Bucket": bucket,
    }


def too_many_requests(
    retry_after: float, *, is_global: bool, scope: str, extra: dict[str, str] | None = None
) -> tuple[dict[str, str], dict[str, Any]]:
    """Return headers and body of a 429 that discord.py accepts as a real rate limit (not a Cloudflare ban)."""
    headers = {
        "Via": "1.1 google",
        "Retry-After": str(max(1, math.ceil(retry_after))),
        "X-RateLimit-Scope": scope,
    }
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    if extra:
        headers.update(extra)
    body = {"message": "You are being rate limited.", "retry_after": round(retry_after, 3), "global": is_global}
    if is_global:
        body["code"] = 0
    return headers, body


def bucket_hash(route_key: str) -> str:
    """Return a stable opaque bucket id for a route."""
    return hashlib.sha1(route_key.encode()).hexdigest()[:32]


@dataclass
class _Window:
    started: float
    count: int = 0


class RateLimiter:
    """Fixed-window buckets per route + major parameters, plus a global per-second limit."""

    def __init__(
        self, *, global_per_s: int | None, per_route: dict[str, tuple[int, float]], default: tuple[int, float] | None
    ) -> None:
        self.global_per_s = global_per_s
        self.per_route = per_route
        self.default = default
        self._windows: dict[str, _Window] = {}
        self._global: _Window | None = None

    def _limit_for(self, record: RecordedRequest) -> tuple[str, tuple[int, float]] | None:
        key = f"{record.method} {record.route}"
        if key in self.per_route:
            return key, self.per_route[key]
        if record.route in self.per_route:
            return str(record.route), self.per_route[str(record.route)]
        if self.default is not None:
            return key, self.default
        return None

    def check(self, record: RecordedRequest, stats: FakeStats) -> tuple[int, dict[str, str], dict[str, Any] | None]:
        """Count the request; return (status, headers, 429 body or None)."""
        now = time.monotonic()
        path = record.route or record.path
        if self.global_per_s and not path.startswith(_GLOBAL_EXEMPT_PREFIXES):
            window = self._global
            if window is None or now - window.started >= 1.0:
                window = self._global = _Window(now)
            window.count += 1
            if window.count > self.global_per_s:
                stats.global_429 += 1
                retry = max(0.001, 1.0 - (now - window.started))
                headers, body = too_many_requests(retry, is_global=True, scope="global")
                return 429, headers, body
        found = self._limit_for(record)
        if found is None:
            return 200, {}, None
        route_key, (limit, per) = found
        major = "+".join(record.params.get(p, "") for p in _MAJOR_PARAMS if p in record.params)
        window_key = f"{route_key}:{major}"
        window = self._windows.get(window_key)
        if window is None or now - window.started >= per:
            window = self._windows[window_key] = _Window(now)
        window.count += 1
        reset_after = max(0.001, per - (now - window.started))
        headers = rate_limit_headers(
            limit=limit, remaining=limit - window.count, reset_after=reset_after, bucket=bucket_hash(route_key)
        )
        if window.count > limit:
            stats.route_429 += 1
            stats.route_429_by_route[route_key] = stats.route_429_by_route.get(route_key, 0) + 1
            headers429, body = too_many_requests(reset_after, is_global=False, scope="user", extra=headers)
            return 429, headers429, body
        return 200, headers, None
