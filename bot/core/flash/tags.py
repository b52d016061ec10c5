"""Tags: the seed vocabulary, the rule a new tag must follow, and autocomplete."""

import re
from collections.abc import Iterable, Mapping, Sequence

from bot.core.flash.errors import InvalidTagError, TooManyTagsError

SEED_TAGS = (
    "toolkit",
    "guide",
    "research",
    "funding",
    "training",
    "event",
    "story",
    "wellbeing",
    "bereavement",
    "volunteering",
)
TAG_LIMIT = 24
MAX_TAGS = 3
AUTOCOMPLETE_LIMIT = 25
CHOICE_LIMIT = 100

TAG_RULE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SEPARATORS = re.compile(r"[,;]")


def _hint(tag: str) -> str:
    """Suggest the tag the person probably meant, when there is an obvious one."""
    guess = re.sub(r"[\s_]+", "-", tag.strip().lower())
    guess = re.sub(r"-{2,}", "-", guess).strip("-")
    if guess != tag and TAG_RULE.match(guess) and len(guess) <= TAG_LIMIT:
        return f'Did you mean "{guess}"?'
    return ""


def parse_tags(tags: str | Sequence[str] | None) -> tuple[str, ...]:
    """Read tags typed as "toolkit, mental-health" (or given as a list) into their canonical form.

    Case and a leading "#" are forgiven; duplicates are dropped, the first order kept.

    Raises:
        InvalidTagError: for a tag that is not lowercase letters, digits and hyphens of ≤ 24 characters.
        TooManyTagsError: for more than MAX_TAGS tags.
    """
    if tags is None:
        return ()
    parts = _SEPARATORS.split(tags) if isinstance(tags, str) else list(tags)
    result: list[str] = []
    for part in parts:
        tag = part.strip().removeprefix("#").strip().lower()
        if not tag:
            continue
        if len(tag) > TAG_LIMIT or not TAG_RULE.match(tag):
            raise InvalidTagError(part.strip(), _hint(tag))
        if tag not in result:
            result.append(tag)
    if len(result) > MAX_TAGS:
        raise TooManyTagsError(len(result), MAX_TAGS)
    return tuple(result)


def vocabulary(used: Mapping[str, int]) -> list[str]:
    """Return the server's tags, most used first, with the seed tags after the used ones."""
    ranked = sorted(used.items(), key=lambda pair: (-pair[1], pair[0]))
    names = [name for name, _ in ranked]
    names += [seed for seed in SEED_TAGS if seed not in used]
    return names


def suggest(text: str, known: Iterable[str]) -> list[str]:
    """Return autocomplete choices for a tags option being typed ("toolkit, gu" -> "toolkit, guide").

    Each choice is the whole option value: the tags already typed, then a completion of the last one.
    Tags that start with the fragment come first, then tags that contain it.
    """
    pieces = [p.strip().removeprefix("#").strip().lower() for p in _SEPARATORS.split(text or "")]
    done = [p for p in pieces[:-1] if p]
    fragment = pieces[-1] if pieces else ""
    if len(done) >= MAX_TAGS:
        return [", ".join(done)][:AUTOCOMPLETE_LIMIT]
    candidates = [tag for tag in known if tag not in done]
    starts = [tag for tag in candidates if tag.startswith(fragment)]
    contains = [tag for tag in candidates if fragment and fragment in tag and tag not in starts]
    choices = []
    for tag in starts + contains:
        value = ", ".join([*done, tag])
        if len(value) <= CHOICE_LIMIT:
            choices.append(value)
        if len(choices) == AUTOCOMPLETE_LIMIT:
            break
    return choices
