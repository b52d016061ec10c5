"""The simulated clock: `wait` stops at each due delivery, so everything goes out at its own time."""

from tests.shell.conftest import SETUP, Driven

SESSION = '/session add number:1 title:"Mapping" starts:"2027-01-14 18:30" location:https://meet.example.org/x'


async def test_waiting_past_two_reminders_sends_each_at_its_own_time(driven: Driven) -> None:
    """Jumping 11 days posts the day-before and the hour-before reminders, each stamped with its time.

    Had the clock jumped straight to the end, the dispatcher would skip the day-before reminder as
    superseded (after downtime only the latest goes out).
    """
    assert await driven.run(SETUP, SESSION)
    mark = len(driven.transcript())
    assert await driven.run("wait 11d")
    out = driven.since(mark)
    assert "── #announcements · Wed 13 Jan 2027 18:30 GMT" in out
    assert "── #announcements · Thu 14 Jan 2027 17:30 GMT" in out
    assert "Session 1 starts in 1 day" in out
    assert "Session 1 starts in 1 hour" in out
    assert driven.shell.renderer.time(driven.shell.now()) == "Fri 15 Jan 2027 09:00 GMT"


async def test_wait_until_reads_the_programme_zone_and_refuses_the_past(driven: Driven) -> None:
    """`wait until` is local time (BST in summer); a time already gone is refused."""
    assert await driven.run(SETUP)
    assert await driven.run("wait until 2027-07-01 09:00")
    assert driven.shell.renderer.time(driven.shell.now()) == "Thu 1 Jul 2027 09:00 BST"
    assert driven.shell.now().hour == 8  # 09:00 BST is 08:00 UTC
    mark = len(driven.transcript())
    assert not await driven.run("wait until 2027-01-01 09:00")
    assert "That is in the past" in driven.since(mark)


async def test_wait_next_goes_to_the_next_delivery(driven: Driven) -> None:
    """`wait next` moves to the next due delivery and sends it."""
    assert await driven.run(SETUP, SESSION, "wait next")
    assert driven.shell.renderer.time(driven.shell.now()) == "Wed 13 Jan 2027 18:30 GMT"
    assert "Session 1 starts in 1 day" in driven.transcript()


async def test_the_clock_goes_back_only_before_set_up(driven: Driven) -> None:
    """Before the programme exists the clock may be set anywhere; afterwards only forward."""
    assert await driven.run("clock 2026-12-01 10:00")
    assert driven.shell.renderer.time(driven.shell.now()) == "Tue 1 Dec 2026 10:00 GMT"
    assert await driven.run(SETUP)
    mark = len(driven.transcript())
    assert not await driven.run("clock 2026-11-01 10:00")
    assert "only moves forward" in driven.since(mark)
    assert await driven.run("clock 2026-12-24 10:00")


async def test_the_reflection_card_goes_out_a_quarter_hour_after_the_session(driven: Driven) -> None:
    """The card is posted at end + 15 min with its two buttons, numbered."""
    assert await driven.run(SETUP, SESSION, "wait until 2027-01-14 20:14")
    assert "How was Session 1?" not in driven.transcript()
    assert await driven.run("wait 1m")
    out = driven.transcript()
    assert "── #reflections · Thu 14 Jan 2027 20:15 GMT" in out
    assert "╭─ How was Session 1?" in out
    assert "] Reflect   [" in out and "] I attended" in out
