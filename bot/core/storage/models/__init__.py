"""ORM models; importing this package registers every table on Base.metadata (Alembic relies on it).

Each feature keeps its tables in its own module here; add its import below.
"""

from bot.core.storage.models import delivery as delivery
from bot.core.storage.models import external as external
from bot.core.storage.models import flash as flash
from bot.core.storage.models import groups as groups
from bot.core.storage.models import interviews as interviews
from bot.core.storage.models import participants as participants
from bot.core.storage.models import programme as programme
from bot.core.storage.models import questionnaires as questionnaires
from bot.core.storage.models import reflections as reflections
from bot.core.storage.models import state
from bot.core.storage.models import stories as stories
from bot.core.storage.models.base import Base

__all__ = ["Base", "state"]
