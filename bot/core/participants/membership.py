"""Is the person still in the server? Asked for buttons pressed in direct messages, which carry no server.

A reminder DM or a reflection card forwarded to a DM keeps its buttons after the person left or was
removed from the server; pressing one must not hand out the session's current link, record an RSVP
or take a reflection from someone who is no longer a member.
"""

import logging
from collections.abc import Callable

from bot.core.errors import PermissionDeniedError
from bot.core.participants.repository import SqlParticipantRepository
from bot.core.ports import MemberDirectory
from bot.core.programme.repository import SqlSessionRepository
from bot.core.storage.database import UnitOfWork

log = logging.getLogger(__name__)


class NotAMemberError(PermissionDeniedError):
    """The person pressed a button from a direct message but is no longer a member of that session's server."""

    def __init__(self, action: str) -> None:
        super().__init__(
            f"You're no longer a member of the server that runs this session, so you can't {action} from "
            "this message. If you rejoin that server, it will work again."
        )


class Membership:
    """Check that someone acting from a direct message is a current member of the server concerned.

    The platform is asked first (members the bot knows, else one look-up); when it cannot tell, or no
    directory is wired (the command line, tests), the participant's active flag decides: it turns off when
    someone leaves the server and on again when they come back.
    """

    def __init__(self, uow_factory: Callable[[], UnitOfWork], members: MemberDirectory | None = None) -> None:
        self._uow_factory = uow_factory
        self._members = members

    async def is_current(self, guild_id: int, user_id: int) -> bool:
        """Tell whether user_id is a current member of guild_id (see the class docstring for how)."""
        known: bool | None = None
        if self._members is not None:
            try:
                known = await self._members.is_member(guild_id, user_id)
            except Exception:
                log.exception("Could not ask the platform whether user %s is in server %s", user_id, guild_id)
        if known is not None:
            return known
        async with self._uow_factory() as uow:
            participant = await uow.repo(SqlParticipantRepository).get(guild_id, user_id)
        return participant is not None and participant.active

    async def require(self, guild_id: int, user_id: int, action: str) -> None:
        """Raise NotAMemberError unless user_id is a current member of guild_id.

        action completes "you can't … from this message", e.g. "say you'll be there".
        """
        if not await self.is_current(guild_id, user_id):
            log.info("Refused a direct-message action of a non-member in server %s", guild_id)
            raise NotAMemberError(action)

    async def require_for_session(self, guild_id: int | None, session_id: int, user_id: int, action: str) -> None:
        """From a direct message (guild_id None or 0), require membership of the session's own server.

        Inside a server the platform only sends members' interactions, so nothing is checked; an unknown
        session passes too (the caller reports it the usual way).
        """
        if guild_id:
            return
        async with self._uow_factory() as uow:
            session = await uow.repo(SqlSessionRepository).get(session_id)
        if session is not None:
            await self.require(session.guild_id, user_id, action)
