"""Who is acting: the platform-free view of the person behind a command, button or modal."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    """The caller of an action, as the adapter saw them at that moment.

    can_manage_events / is_admin come from the platform's server-level permissions (never from one channel's
    overrides: a guest granted Manage Events on their own voice room is not a facilitator); role_ids lets
    the core compare against the programme's configured facilitator role.
    """

    guild_id: int
    user_id: int
    display_name: str = ""
    role_ids: frozenset[int] = frozenset()
    can_manage_events: bool = False
    is_admin: bool = False
