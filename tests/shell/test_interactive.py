"""Interactive mode: errors do not stop the shell, a wrong form answer is asked again, Ctrl-D leaves."""

from collections.abc import Iterator

from bot.shell.runner import Interactive
from tests.shell.conftest import SETUP, Driven


def typed(interactive: Interactive, lines: list[str]) -> Iterator[str]:
    """Make the interactive shell read these lines, then Ctrl-D."""
    pending = iter(lines)

    async def read(prompt: str) -> str:
        try:
            return next(pending)
        except StopIteration:
            raise EOFError from None

    interactive.read = read  # type: ignore[method-assign]
    return pending


async def test_a_person_at_the_terminal_goes_on_after_errors_and_is_asked_again(driven: Driven) -> None:
    """A failing command is reported and the next one runs; a rating of 7 is asked again; Ctrl-D exits 0."""
    assert await driven.run(SETUP, '/session add number:1 title:"Mapping" starts:"2027-01-14 18:30"')
    interactive = Interactive(driven.shell)
    typed(
        interactive,
        [
            "as morag /session cancel session:1",
            "as morag /join community:Oban",
            "wait until 2027-01-14 20:30",
            "as morag /reflect",
            "7",
            "4",
            "The maps",
            "",
            "",
            "no",
        ],
    )
    assert await interactive.loop() == 0
    out = driven.transcript()
    assert "✖ Only facilitators can use /session cancel" in out
    assert "Welcome to the programme!" in out
    assert "pick one of 1, 2, 3, 4, 5" in out
    assert "╭─ Reflection saved — thank you!" in out and "★★★★☆ (4/5)" in out
    assert "│ > 4" not in out  # at a terminal the person's own typing is the echo


async def test_quit_leaves(driven: Driven) -> None:
    """`quit` ends the loop with status 0 without reading further."""
    interactive = Interactive(driven.shell)
    rest = typed(interactive, ["quit", "/sessions"])
    assert await interactive.loop() == 0
    assert next(rest) == "/sessions"
