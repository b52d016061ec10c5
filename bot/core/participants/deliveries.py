"""The participants feature's deliveries: none today; register() is here so every feature is wired the same way.

Reminder DMs to participants belong to the features that send them (programme, reflections); consent and
profiles change only when someone acts, so nothing about a participant is posted on a schedule.
"""

from bot.core.delivery.ports import DeliveryScheduler


def register(dispatcher: DeliveryScheduler) -> None:
    """Register the participants' delivery kinds on the dispatcher (there are none)."""
