"""custom_ids of the consent prompt's buttons: builders and strict parsers (Discord allows ≤ 100 characters).

    blether:consent:<purpose>:<yes|no>:<text version>   a Yes or No answer to one purpose
    blether:consent:save:<text version>                  the prompt's Save button

The templates suit discord.py DynamicItem (which full-matches them); the parsers full-match too and return
None for anything else, so a tampered id never reaches the service.
"""

import re
from dataclasses import dataclass

from bot.core.participants.domain import ConsentPurpose

_VERSION = r"(?P<version>[1-9][0-9]{0,8})"
_PURPOSES = "|".join(p.value for p in ConsentPurpose)

CONSENT_ANSWER_TEMPLATE = rf"blether:consent:(?P<purpose>{_PURPOSES}):(?P<answer>yes|no):{_VERSION}"
CONSENT_SAVE_TEMPLATE = rf"blether:consent:save:{_VERSION}"

_ANSWER = re.compile(CONSENT_ANSWER_TEMPLATE)
_SAVE = re.compile(CONSENT_SAVE_TEMPLATE)


@dataclass(frozen=True, slots=True)
class ConsentAnswerId:
    """A parsed Yes/No consent button."""

    purpose: ConsentPurpose
    granted: bool
    version: int


def consent_answer_id(purpose: ConsentPurpose, granted: bool, version: int) -> str:
    """Return the custom_id of a Yes/No consent button."""
    return f"blether:consent:{purpose.value}:{'yes' if granted else 'no'}:{version}"


def parse_consent_answer_id(custom_id: str) -> ConsentAnswerId | None:
    """Return the purpose, answer and text version of a consent button's custom_id, or None."""
    match = _ANSWER.fullmatch(custom_id)
    if match is None:
        return None
    return ConsentAnswerId(ConsentPurpose(match["purpose"]), match["answer"] == "yes", int(match["version"]))


def consent_save_id(version: int) -> str:
    """Return the custom_id of the prompt's Save button."""
    return f"blether:consent:save:{version}"


def parse_consent_save_id(custom_id: str) -> int | None:
    """Return the text version of a Save button's custom_id, or None."""
    match = _SAVE.fullmatch(custom_id)
    return None if match is None else int(match["version"])
