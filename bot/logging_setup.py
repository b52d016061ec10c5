"""Logging set-up with a filter that keeps tokens and modal answers out of every log line."""

import logging
import re
import sys
from collections.abc import Iterable
from typing import TextIO

# Bot tokens: base64 user id . timestamp . HMAC (e.g. "MTA5….GQ2x9a.abc…").
_BOT_TOKEN = re.compile(r"[MNO][A-Za-z\d_-]{20,30}\.[A-Za-z\d_-]{5,7}\.[A-Za-z\d_-]{25,45}")
# Interaction and webhook tokens live in URLs: /interactions/<id>/<token>/callback, /webhooks/<id>/<token>.
_URL_TOKEN = re.compile(r"(/(?:interactions|webhooks)/\d+/)([A-Za-z0-9_.\-]{20,})")
# discord.py DEBUG logs dump request bodies and gateway payloads: interaction tokens, modal/option values, and
# the messages Blether posts (content, and embed titles, descriptions, field values and footer texts can all
# carry someone's words: a story, a quote, a resource's note).
# A quoted value may hold the other quote or escaped quotes (repr() writes "Pat's" and 'a \'b\' "c"'),
# and a list may hold "]" inside its strings: match whole quoted strings, escapes included.
_QUOTED = r"'(?:[^'\\]|\\.)*'" + r'|"(?:[^"\\]|\\.)*"'
_JSON_SECRET = re.compile(
    rf"""(['"](?:token|access_token|value|values|content|title|description|text)['"]\s*:\s*)({_QUOTED}|\[(?:[^\[\]'"]|{_QUOTED})*\])""",
    re.IGNORECASE | re.DOTALL,
)
_AUTH_HEADER = re.compile(r"(Authorization['\"]?\s*[:=]\s*['\"]?(?:Bot|Bearer)\s+)([^\s'\",]+)", re.IGNORECASE)


class RedactingFilter(logging.Filter):
    """Replace bot tokens, interaction/webhook tokens and user-typed values in log records."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s and len(s) >= 8]

    def add_secret(self, secret: str) -> None:
        """Redact this exact value from now on (e.g. the configured bot token)."""
        if secret and len(secret) >= 8 and secret not in self._secrets:
            self._secrets.append(secret)

    def redact(self, text: str) -> str:
        """Return text with secrets replaced."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, "[REDACTED]")
        text = _BOT_TOKEN.sub("[REDACTED-TOKEN]", text)
        text = _URL_TOKEN.sub(r"\1[REDACTED]", text)
        text = _AUTH_HEADER.sub(r"\1[REDACTED]", text)
        return _JSON_SECRET.sub(r"\1'[REDACTED]'", text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the record's message once, redacted, and drop its args."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = str(record.msg)
        redacted = self.redact(message)
        if redacted != message or record.args:
            record.msg = redacted
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


REDACTOR = RedactingFilter()


class RedactingFormatter(logging.Formatter):
    """Format records and redact the result (covers tracebacks and stack info too)."""

    def format(self, record: logging.LogRecord) -> str:
        """Format then redact."""
        return REDACTOR.redact(super().format(record))


def setup_logging(level: str, *, secrets: Iterable[str] = (), stream: TextIO | None = None) -> None:
    """Send logs to stderr with redaction on every handler (discord.py's included)."""
    for secret in secrets:
        REDACTOR.add_secret(secret)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.addFilter(REDACTOR)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # SQL statements and their parameters (people's answers) never reach the logs, at any level.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)  # its DEBUG lines carry every bound value
    # Quieter libraries unless explicitly debugging.
    if level != "DEBUG":
        logging.getLogger("discord.gateway").setLevel(logging.WARNING)
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
