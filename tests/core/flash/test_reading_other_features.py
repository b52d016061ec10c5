"""How the Flash Report reads the programme and reflections services (through its IssuePlanner)."""

from dataclasses import dataclass, field, replace
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.core.errors import NotFoundError
from bot.core.flash.content import RecapQuote, recap_from_reflections, unquote
from bot.core.flash.planning import IssuePlanner
from bot.core.programme.domain import Programme, Session, SessionStatus
from bot.core.text import clean_text, one_line
from tests.core.flash.conftest import GUILD, at, make_session, programme


@dataclass(frozen=True)
class ReflectionsRecapStub:
    """Shaped like bot.core.reflections.domain.SessionRecap."""

    session_id: int
    attendance_count: int
    reflections_count: int
    average_rating: float | None
    quotes: tuple[str, ...]
    session_number: int = 0
    session_title: str = ""
    rating_count: int = 0
    quoted_user_ids: tuple[int, ...] = ()


@dataclass
class ProgrammeServiceStub:
    """Shaped like the programme service's reading methods."""

    sessions: list[Session] = field(default_factory=list)

    async def get_programme(self, guild_id: int) -> Programme | None:
        """Return the test programme for the test guild."""
        return programme() if guild_id == GUILD else None

    async def list_sessions(self, guild_id: int, *, include_cancelled: bool = True) -> list[Session]:
        """Return the sessions, cancelled ones only when asked."""
        return [s for s in self.sessions if include_cancelled or not s.is_cancelled]


class ReflectionsStub:
    """Knows one session (id 10)."""

    async def session_recap(self, guild_id: int, session_id: int) -> ReflectionsRecapStub:
        """Return session 10's recap, as the reflections feature shows it."""
        if session_id != 10:
            raise NotFoundError("no such session")
        return ReflectionsRecapStub(10, 12, 7, 4.3, ("“It *really* helped @everyone”",), 1, "Intro", 6, (55,))


def planner(**services: object) -> IssuePlanner:
    """Return an IssuePlanner reading the given stub services (the others are never called)."""
    wiring: dict[str, object] = {"programmes": None, "reflections": None, "participants": None, "deliveries": None}
    return IssuePlanner(**(wiring | services))  # type: ignore[arg-type]


@given(st.text(max_size=300))
def test_unquote_gives_back_the_quoted_words(text: str) -> None:
    """A quote as the reflections feature hands it out (literal, in quotation marks) comes back to its words."""
    assert unquote(f"“{one_line(text, 10**6)}”") == clean_text(text, keep_newlines=False)


async def test_reflections_recap_becomes_a_flash_recap_with_raw_quotes_and_authors() -> None:
    """Counts, rating and quotes (raw, with their authors for erasure) carry over; unknown sessions are None."""
    source = planner(reflections=ReflectionsStub())
    recap = await source.session_recap(GUILD, 10)
    assert recap is not None
    assert (recap.session_number, recap.session_title, recap.attendance, recap.reflections) == (1, "Intro", 12, 7)
    assert (recap.rating_count, recap.average_rating, recap.shows_rating) == (6, 4.3, True)
    assert recap.quotes == (RecapQuote("It *really* helped @everyone", 55),)
    assert await source.session_recap(GUILD, 11) is None
    assert recap_from_reflections(ReflectionsRecapStub(1, 0, 0, None, ())).session_number is None  # type: ignore[arg-type]


async def test_the_planner_finds_the_last_and_next_sessions_skipping_cancelled_ones() -> None:
    """Last = latest ended; next = earliest upcoming; cancelled sessions never count."""
    one = make_session(1, "One", at(2026, 1, 6, 18))
    two = make_session(2, "Two", at(2026, 2, 3, 18))
    cancelled = replace(make_session(3, "Three", at(2026, 1, 20, 18)), status=SessionStatus.CANCELLED)
    source = planner(programmes=ProgrammeServiceStub([one, two, cancelled]))
    assert (await source.programme(GUILD)) == programme()
    now = at(2026, 1, 25)
    assert await source.last_session(GUILD, now) == one
    assert await source.next_session(GUILD, now) == two
    assert await source.last_session(GUILD, one.ends_at - timedelta(minutes=1)) is None
