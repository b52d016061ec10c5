"""Check recorded requests against Discord's OpenAPI spec and against Discord's documented message limits."""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .state import FLAG_COMPONENTS_V2, RecordedRequest

SPEC_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "discord-api-spec" / "openapi.json"

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000
CUSTOM_ID_MAX = 100
ACTION_ROWS_MAX = 5
BUTTONS_PER_ROW_MAX = 5
BUTTON_LABEL_MAX = 80
SELECT_OPTIONS_MAX = 25
SELECT_PLACEHOLDER_MAX = 150
MODAL_COMPONENTS_MAX = 5
MODAL_TITLE_MAX = 45
LABEL_MAX = 45
TEXT_INPUT_VALUE_MAX = 4000
V2_COMPONENTS_MAX = 40
V2_TEXT_MAX = 4000
AUTOCOMPLETE_CHOICES_MAX = 25

_MESSAGE_CALLBACK_TYPES = {4, 7}
_MODAL_CALLBACK_TYPE = 9


@dataclass(frozen=True)
class Violation:
    """One broken rule: where in the body (dotted path) and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class SpecResult:
    """The outcome of validating one request against the spec."""

    checked: bool
    errors: list[str] = field(default_factory=list)
    operation: str | None = None
    skipped_reason: str | None = None

    @property
    def ok(self) -> bool:
        """Return whether there were no errors (skipped counts as ok)."""
        return not self.errors


SPEC_UNAVAILABLE = SpecResult(checked=False, skipped_reason=f"Discord OpenAPI spec not found at {SPEC_PATH}")


# -- limits ----------------------------------------------------------------------------------------------------


def message_part(body: dict[str, Any] | None) -> tuple[str, dict[str, Any] | None, str]:
    """Split a request body into (prefix, message-like dict, kind) for callbacks, modals and plain messages."""
    if not isinstance(body, dict):
        return "", None, "none"
    if "type" in body and isinstance(body.get("type"), int) and set(body) <= {"type", "data"}:
        data = body.get("data")
        if body["type"] == _MODAL_CALLBACK_TYPE:
            return "data.", data, "modal"
        if body["type"] in _MESSAGE_CALLBACK_TYPES:
            return "data.", data, "message"
        if body["type"] == 8:
            return "data.", data, "autocomplete"
        return "data.", data, "other"
    return "", body, "message"


def check_limits(body: dict[str, Any] | None) -> list[Violation]:
    """Return every Discord size/count limit the body (message, webhook, callback or modal) breaks."""
    prefix, part, kind = message_part(body)
    if part is None:
        return []
    if kind == "modal":
        return list(_modal_violations(part, prefix))
    if kind == "autocomplete":
        choices = part.get("choices") or []
        if len(choices) > AUTOCOMPLETE_CHOICES_MAX:
            return [Violation(f"{prefix}choices", f"{len(choices)} choices > {AUTOCOMPLETE_CHOICES_MAX}")]
        return []
    if kind != "message":
        return []
    return list(_message_violations(part, prefix))


def _too_long(path: str, value: Any, limit: int) -> Iterator[Violation]:
    if isinstance(value, str) and len(value) > limit:
        yield Violation(path, f"length {len(value)} > {limit}")


def _message_violations(body: dict[str, Any], prefix: str) -> Iterator[Violation]:
    yield from _too_long(f"{prefix}content", body.get("content"), CONTENT_MAX)
    embeds = body.get("embeds") or []
    if len(embeds) > EMBEDS_MAX:
        yield Violation(f"{prefix}embeds", f"{len(embeds)} embeds > {EMBEDS_MAX}")
    total = 0
    for index, embed in enumerate(embeds):
        path = f"{prefix}embeds.{index}"
        title = embed.get("title") or ""
        description = embed.get("description") or ""
        yield from _too_long(f"{path}.title", title, EMBED_TITLE_MAX)
        yield from _too_long(f"{path}.description", description, EMBED_DESCRIPTION_MAX)
        total += len(title) + len(description)
        fields = embed.get("fields") or []
        if len(fields) > EMBED_FIELDS_MAX:
            yield Violation(f"{path}.fields", f"{len(fields)} fields > {EMBED_FIELDS_MAX}")
        for findex, item in enumerate(fields):
            name, value = item.get("name") or "", item.get("value") or ""
            yield from _too_long(f"{path}.fields.{findex}.name", name, EMBED_FIELD_NAME_MAX)
            yield from _too_long(f"{path}.fields.{findex}.value", value, EMBED_FIELD_VALUE_MAX)
            total += len(name) + len(value)
        footer = (embed.get("footer") or {}).get("text") or ""
        author = (embed.get("author") or {}).get("name") or ""
        yield from _too_long(f"{path}.footer.text", footer, EMBED_FOOTER_MAX)
        yield from _too_long(f"{path}.author.name", author, EMBED_AUTHOR_MAX)
        total += len(footer) + len(author)
    if total > EMBED_TOTAL_MAX:
        yield Violation(f"{prefix}embeds", f"total embed text {total} > {EMBED_TOTAL_MAX}")
    components = body.get("components") or []
    if int(body.get("flags") or 0) & FLAG_COMPONENTS_V2:
        yield from _v2_violations(components, prefix)
    else:
        yield from _row_violations(components, prefix)


def _row_violations(components: list[dict[str, Any]], prefix: str) -> Iterator[Violation]:
    if len(components) > ACTION_ROWS_MAX:
        yield Violation(f"{prefix}components", f"{len(components)} rows > {ACTION_ROWS_MAX}")
    for rindex, row in enumerate(components):
        path = f"{prefix}components.{rindex}"
        children = row.get("components") or []
        buttons = [c for c in children if c.get("type") == 2]
        selects = [c for c in children if c.get("type") in (3, 5, 6, 7, 8)]
        if len(buttons) > BUTTONS_PER_ROW_MAX:
            yield Violation(path, f"{len(buttons)} buttons in a row > {BUTTONS_PER_ROW_MAX}")
        if selects and len(children) > 1:
            yield Violation(path, "a select menu must be alone in its action row")
        for cindex, child in enumerate(children):
            yield from _component_violations(child, f"{path}.components.{cindex}")


def _component_violations(component: dict[str, Any], path: str) -> Iterator[Violation]:
    yield from _too_long(f"{path}.custom_id", component.get("custom_id"), CUSTOM_ID_MAX)
    if component.get("type") == 2:
        yield from _too_long(f"{path}.label", component.get("label"), BUTTON_LABEL_MAX)
    if component.get("type") in (3, 5, 6, 7, 8):
        yield from _too_long(f"{path}.placeholder", component.get("placeholder"), SELECT_PLACEHOLDER_MAX)
        options = component.get("options") or []
        if len(options) > SELECT_OPTIONS_MAX:
            yield Violation(f"{path}.options", f"{len(options)} options > {SELECT_OPTIONS_MAX}")


def _v2_violations(components: list[dict[str, Any]], prefix: str) -> Iterator[Violation]:
    from .state import walk_components

    every = list(walk_components(components))
    if len(every) > V2_COMPONENTS_MAX:
        yield Violation(f"{prefix}components", f"{len(every)} components > {V2_COMPONENTS_MAX}")
    text = sum(len(c.get("content") or "") for c in every if c.get("type") == 10)
    if text > V2_TEXT_MAX:
        yield Violation(f"{prefix}components", f"total text display length {text} > {V2_TEXT_MAX}")
    for index, component in enumerate(every):
        yield from _component_violations(component, f"{prefix}components[{index}]")


def _modal_violations(modal: dict[str, Any], prefix: str) -> Iterator[Violation]:
    yield from _too_long(f"{prefix}title", modal.get("title"), MODAL_TITLE_MAX)
    yield from _too_long(f"{prefix}custom_id", modal.get("custom_id"), CUSTOM_ID_MAX)
    components = modal.get("components") or []
    if len(components) > MODAL_COMPONENTS_MAX:
        yield Violation(f"{prefix}components", f"{len(components)} top-level components > {MODAL_COMPONENTS_MAX}")
    for index, top in enumerate(components):
        path = f"{prefix}components.{index}"
        if top.get("type") == 18:
            yield from _too_long(f"{path}.label", top.get("label"), LABEL_MAX)
            children = [top.get("component") or {}]
        else:
            children = top.get("components") or []
        for child in children:
            yield from _too_long(f"{path}.custom_id", child.get("custom_id"), CUSTOM_ID_MAX)
            if child.get("type") == 4:
                yield from _too_long(f"{path}.label", child.get("label"), LABEL_MAX)
                yield from _too_long(f"{path}.value", child.get("value"), TEXT_INPUT_VALUE_MAX)
                yield from _too_long(f"{path}.placeholder", child.get("placeholder"), 100)


def check_no_pings(
    body: dict[str, Any] | None,
    *,
    allow_roles: Iterable[int] = (),
    allow_users: Iterable[int] = (),
    allow_reply_ping: bool = False,
) -> list[Violation]:
    """Return problems if the message could ping anyone: allowed_mentions must exist with parse == []."""
    prefix, part, kind = message_part(body)
    if part is None or kind != "message":
        return []
    if not part.get("content") and not part.get("message_reference"):
        return []  # nothing that could notify anyone (embeds never ping)
    allowed = part.get("allowed_mentions")
    path = f"{prefix}allowed_mentions"
    if allowed is None:
        return [Violation(path, "missing: Discord then pings every mention in the content")]
    problems: list[Violation] = []
    if allowed.get("parse"):
        problems.append(Violation(f"{path}.parse", f"must be [] but is {allowed['parse']!r}"))
    roles = {int(r) for r in allowed.get("roles") or []} - {int(r) for r in allow_roles}
    if roles:
        problems.append(Violation(f"{path}.roles", f"pings roles not allowed by the test: {sorted(roles)}"))
    users = {int(u) for u in allowed.get("users") or []} - {int(u) for u in allow_users}
    if users:
        problems.append(Violation(f"{path}.users", f"pings users not allowed by the test: {sorted(users)}"))
    if part.get("message_reference") and allowed.get("replied_user", True) and not allow_reply_ping:
        problems.append(Violation(f"{path}.replied_user", "a reply would ping its author"))
    return problems


def errors_tree(violations: Iterable[Violation]) -> dict[str, Any]:
    """Render violations as Discord's nested "Invalid Form Body" errors object."""
    tree: dict[str, Any] = {}
    for violation in violations:
        node = tree
        for key in violation.path.replace("[", ".").replace("]", "").split("."):
            node = node.setdefault(key, {})
        node.setdefault("_errors", []).append({"code": "BASE_TYPE_BAD_LENGTH", "message": violation.message})
    return tree


# -- OpenAPI ---------------------------------------------------------------------------------------------------


def spec_available() -> bool:
    """Return whether the OpenAPI spec file exists."""
    return SPEC_PATH.is_file()


@functools.lru_cache(maxsize=1)
def _load_spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _path_patterns() -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    for template in _load_spec()["paths"]:
        regex = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        literals = sum(1 for seg in template.split("/") if seg and not seg.startswith("{"))
        patterns.append((re.compile(regex), template, literals))
    patterns.sort(key=lambda item: -item[2])
    return [(p, t) for p, t, _ in patterns]


def _find_template(record: RecordedRequest) -> str | None:
    paths = _load_spec()["paths"]
    if record.route and record.route in paths:
        return record.route
    path = record.raw_path or record.path
    for pattern, template in _path_patterns():
        if pattern.match(path):
            return template
    return None


@functools.lru_cache(maxsize=256)
def _validator(template: str, method: str, media: str) -> Any:
    from jsonschema import Draft202012Validator, validators

    operation = _load_spec()["paths"][template].get(method)
    if operation is None or "requestBody" not in operation:
        return None
    content = operation["requestBody"].get("content", {})
    entry = content.get(media) or content.get("application/json")
    if entry is None:
        return None
    root = copy.deepcopy(entry["schema"])
    if not isinstance(root, dict):
        return None
    root["components"] = _load_spec()["components"]
    draft_type = Draft202012Validator.VALIDATORS["type"]

    def snowflake_tolerant_type(validator: Any, types: Any, instance: Any, schema: dict[str, Any]) -> Any:
        # discord.py sends some snowflakes as JSON integers where the spec says string; accept exactly that.
        if isinstance(instance, int) and not isinstance(instance, bool) and schema.get("format") == "snowflake":
            return
        yield from draft_type(validator, types, instance, schema)

    cls = validators.extend(Draft202012Validator, validators={"type": snowflake_tolerant_type})
    return cls(root)


def validate_request(record: RecordedRequest) -> SpecResult:
    """Validate a recorded request's JSON body (or payload_json) against the spec's requestBody schema."""
    if not spec_available():
        return SPEC_UNAVAILABLE
    template = _find_template(record)
    if template is None:
        return SpecResult(checked=False, skipped_reason=f"no spec path for {record.method} {record.path}")
    operation = f"{record.method} {template}"
    if record.json is None:
        return SpecResult(checked=False, operation=operation, skipped_reason="no JSON body")
    media = (
        "multipart/form-data" if record.files or record.content_type == "multipart/form-data" else ("application/json")
    )
    validator = _validator(template, record.method.lower(), media)
    if validator is None:
        return SpecResult(checked=False, operation=operation, skipped_reason="operation has no JSON requestBody")
    errors = []
    for error in sorted(validator.iter_errors(record.json), key=lambda e: list(e.absolute_path)):
        location = "/".join(str(p) for p in error.absolute_path) or "<body>"
        detail = _best_detail(error)
        errors.append(f"{operation}: {location}: {detail}")
    return SpecResult(checked=True, errors=errors, operation=operation)


def _best_detail(error: Any) -> str:
    from jsonschema.exceptions import best_match

    if not error.context:
        return error.message[:300]
    # For anyOf/oneOf unions, skip branches rejected only by their "type" discriminator and report the closest one.
    branches: dict[Any, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0] if sub.relative_schema_path else None, []).append(sub)
    plausible = [
        errs
        for errs in branches.values()
        if not any(e.validator in ("enum", "const") and list(e.path)[-1:] == ["type"] for e in errs)
    ]
    chosen = best_match(min(plausible, key=len) if plausible else error.context)
    location = "/".join(str(p) for p in chosen.absolute_path)
    return f"{chosen.message[:300]} (at {location})"


def validate_requests(records: Iterable[RecordedRequest]) -> list[str] | SpecResult:
    """Validate many records; return all error strings, or SPEC_UNAVAILABLE when the spec file is absent."""
    if not spec_available():
        return SPEC_UNAVAILABLE
    errors: list[str] = []
    for record in records:
        if record.route is None:
            continue
        errors.extend(validate_request(record).errors)
    return errors
