"""Stories of change domain: a month's most significant story and why it was chosen."""

from dataclasses import dataclass
from datetime import datetime

REASON_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Highlight:
    """The story marked as most significant for a month ("2027-03")."""

    guild_id: int
    month: str
    item_id: int
    reason: str
    marked_by: int
    created_at: datetime
