"""The one facilitator check every feature reuses."""

from bot.core.actors import Actor
from bot.core.errors import PermissionDeniedError
from bot.core.programme.domain import Programme


def is_facilitator(programme: Programme | None, actor: Actor) -> bool:
    """Tell whether actor may run facilitator operations in programme's server.

    Administrators and people with Manage Events server-wide always may (the adapter reads server-level
    permissions only, so Manage Events granted on one channel does not count); so may anyone with the
    programme's configured facilitator role. Before the programme exists only the first two can (to set it up).
    """
    if programme is not None and programme.guild_id != actor.guild_id:
        return False
    if actor.is_admin or actor.can_manage_events:
        return True
    return (
        programme is not None
        and programme.facilitator_role_id is not None
        and (programme.facilitator_role_id in actor.role_ids)
    )


def require_facilitator(programme: Programme | None, actor: Actor, action: str = "do that") -> None:
    """Raise PermissionDeniedError unless actor is a facilitator (see is_facilitator).

    action completes the sentence "Only facilitators can …", e.g. "add sessions".
    """
    if not is_facilitator(programme, actor):
        raise PermissionDeniedError(
            f"Only facilitators can {action} — ask someone with the Facilitator role or Manage Events."
        )


def command_line_actor(guild_id: int) -> Actor:
    """Return the Actor for operations run from the command line by the bot's operator (an administrator)."""
    return Actor(guild_id=guild_id, user_id=0, display_name="command line", is_admin=True)
