"""Interview domain: candidates, statuses, strata and the shortlist result."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

MAX_SHORTLIST = 20
VARY_BY = ("area", "role", "attendance")


class InterviewStatus(StrEnum):
    """Where a candidate stands."""

    PROPOSED = "proposed"
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"


def attendance_band(sessions: int) -> str:
    """Return the attendance band of a number of sessions attended (none, 1–3, 4–6, 7–10, 11+)."""
    if sessions <= 0:
        return "none"
    if sessions <= 3:
        return "1-3"
    if sessions <= 6:
        return "4-6"
    if sessions <= 10:
        return "7-10"
    return "11+"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One person on the interview list."""

    guild_id: int
    user_id: int
    status: InterviewStatus
    stratum: str
    seed: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Shortlist:
    """The result of /interviews shortlist: who was proposed, from how many, and the seed that reproduces it."""

    candidates: tuple[Candidate, ...]
    pool: int
    seed: int
    vary_by: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class InterviewList:
    """Everyone on the list with their status (withdrawn consent removes people before this is built)."""

    candidates: tuple[Candidate, ...]
    removed: int = 0
    invited: int = 0
