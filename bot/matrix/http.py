"""mautrix's HTTP client, keeping what a rate-limit answer says about when to try again (retry_after_ms)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from json import JSONDecodeError
from typing import TypeVar

from aiohttp import ClientError, ClientResponse, ContentTypeError
from mautrix.api import HTTPAPI, Method
from mautrix.errors import MatrixRequestError, make_request_error
from mautrix.types import JSON
from yarl import URL

from bot.core.ports import PermanentSendError, TransientSendError

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_RATE_LIMIT_WAIT = 60.0  # seconds; a longer wait is left to the delivery engine's retry
MAX_RATE_LIMIT_RETRIES = 5


class BletherHTTPAPI(HTTPAPI):
    """HTTPAPI whose errors carry retry_after_ms (mautrix's own drop the body of M_LIMIT_EXCEEDED)."""

    async def _send(
        self,
        method: Method,
        url: URL,
        content: object,
        query_params: dict[str, str],
        headers: dict[str, str],
    ) -> tuple[JSON, ClientResponse]:
        request = self.session.request(str(method), url, data=content, params=query_params, headers=headers)
        async with request as response:
            if 200 <= response.status < 300:
                return await response.json(), response
            errcode = message = unstable = None
            retry_after_ms: int | None = None
            try:
                data = await response.json()
                errcode, message = data.get("errcode"), data.get("error")
                unstable = data.get("org.matrix.msc3848.unstable.errcode")
                retry_after_ms = data.get("retry_after_ms")
            except (JSONDecodeError, ContentTypeError, AttributeError):
                pass
            if retry_after_ms is None and response.headers.get("Retry-After", "").isdigit():
                retry_after_ms = int(response.headers["Retry-After"]) * 1000
            error = make_request_error(
                http_status=response.status,
                text=await response.text(),
                errcode=errcode,
                message=message,
                unstable_errcode=unstable,
            )
            # mautrix's error classes declare no retry_after_ms: it is attached here, read back by retry_after.
            error.retry_after_ms = retry_after_ms  # type: ignore[attr-defined]
            raise error


def retry_after(error: MatrixRequestError) -> float | None:
    """Return how long the homeserver asked us to wait (seconds) if it rate-limited us, else None."""
    if getattr(error, "errcode", None) != "M_LIMIT_EXCEEDED" and getattr(error, "http_status", 0) != 429:
        return None
    milliseconds = getattr(error, "retry_after_ms", None)
    return max(0.0, (milliseconds if isinstance(milliseconds, int | float) else 1000) / 1000)


async def call(what: str, operation: Callable[[], Awaitable[T]], *, sleep=asyncio.sleep) -> T:
    """Run one homeserver call, waiting out M_LIMIT_EXCEEDED; map failures to the core's send errors."""
    for _ in range(MAX_RATE_LIMIT_RETRIES):
        try:
            return await operation()
        except MatrixRequestError as error:
            wait = retry_after(error)
            if wait is None:
                raise classify(error, what) from error
            if wait > MAX_RATE_LIMIT_WAIT:
                raise TransientSendError(f"rate-limited for {wait:.0f} s while trying to {what}") from error
            log.info("Rate-limited by the homeserver; waiting %.1f s to %s", wait, what)
            await sleep(wait)
        except (ClientError, TimeoutError, OSError) as error:
            raise TransientSendError(f"could not reach the homeserver to {what}: {type(error).__name__}") from error
    raise TransientSendError(f"still rate-limited after {MAX_RATE_LIMIT_RETRIES} tries to {what}")


def classify(error: MatrixRequestError, what: str) -> Exception:
    """Map a homeserver error to TransientSendError (5xx) or PermanentSendError (with how to fix it)."""
    status = getattr(error, "http_status", 0)
    errcode = getattr(error, "errcode", None) or "?"
    if status >= 500 or status == 0:
        return TransientSendError(f"the homeserver failed ({status}) to {what}")
    if errcode in ("M_FORBIDDEN", "M_INSUFFICIENT_POWER"):
        return PermanentSendError(f"Blether may not {what}: invite it to the room and let it post there ({errcode}).")
    if errcode in ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"):
        return PermanentSendError("the homeserver rejected MATRIX_ACCESS_TOKEN: create a new token and update .env.")
    return PermanentSendError(f"the homeserver refused to {what} ({status} {errcode})")
