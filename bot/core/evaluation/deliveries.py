"""The evaluation's deliveries: the daily data retention sweep (its kind, key, handler and registration).

Delivery kind ``retention_sweep`` (one per server per day, nothing is posted):

* due at 03:30 in the programme's time zone; target ``guild:<id>:retention``; dedupe key
  ``retention_sweep:<guild id>:<local date>`` — so a server has at most one sweep per day however often
  ``ensure_retention_sweep`` runs;
* the handler runs RetentionSweeper.sweep (bot.core.evaluation.retention): it removes the text, records it and
  schedules the next day's sweep, all in one transaction; it returns None (no message);
* deliver_before is 30 days after due: after downtime the sweep still runs (late) once, and the chain goes on
  from then. A server without a programme is skipped (the row is cancelled and the chain stops until
  ``ensure_retention_sweep`` is called again).
"""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.delivery.domain import Delivery, DeliverySkipped, NewDelivery
from bot.core.delivery.keys import delivery_key
from bot.core.delivery.ports import DeliveryScheduler
from bot.core.storage.database import Database

if TYPE_CHECKING:  # the sweeper schedules these deliveries, so it imports this module
    from bot.core.evaluation.retention import RetentionSweeper

RETENTION_SWEEP = "retention_sweep"
SWEEP_LIFETIME = timedelta(days=30)


def sweep_delivery(guild_id: int, due_at: datetime, zone: ZoneInfo) -> NewDelivery:
    """Return the retention sweep delivery of one server and day."""
    local_day = due_at.astimezone(zone).date()
    return NewDelivery(
        guild_id=guild_id,
        kind=RETENTION_SWEEP,
        target=f"guild:{guild_id}:retention",
        dedupe_key=delivery_key(RETENTION_SWEEP, guild_id, local_day),
        due_at=due_at,
        deliver_before=due_at + SWEEP_LIFETIME,
        payload={"summary": f"daily data retention sweep of {local_day.isoformat()}"},
    )


class RetentionSweepHandler:
    """Handle a retention_sweep delivery: sweep its server; nothing is posted."""

    def __init__(self, sweeper: "RetentionSweeper") -> None:
        self._sweeper = sweeper

    async def __call__(self, delivery: Delivery) -> int | None:
        """Sweep the delivery's server; skip (cancel) the row when the server has no programme."""
        if await self._sweeper.sweep(delivery.guild_id) is None:
            raise DeliverySkipped(f"guild {delivery.guild_id} has no programme")
        return None


def register(dispatcher: DeliveryScheduler, *, database: Database, clock: Clock) -> "RetentionSweeper":
    """Register the evaluation's delivery handler (kind retention_sweep) and return the sweeper it runs."""
    from bot.core.evaluation.retention import RetentionSweeper  # here: it imports this module

    sweeper = RetentionSweeper(database, clock, dispatcher)
    dispatcher.register(RETENTION_SWEEP, RetentionSweepHandler(sweeper))
    return sweeper
