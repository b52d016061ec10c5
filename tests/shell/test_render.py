"""Rendering for the terminal: times in the programme's zone, relative to the simulated clock, mentions, boxes."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.messages import (
    Button,
    Embed,
    EmbedField,
    Link,
    OutboundMessage,
    Text,
    Time,
    TimeStyle,
    channel,
    role,
    strong,
    text,
    user,
)
from bot.shell.render import Renderer, format_time, relative, wrap

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


class Names:
    """A tiny directory of names."""

    def user_name(self, user_id: int) -> str:
        return {1001: "morag"}.get(user_id, f"user-{user_id}")

    def role_name(self, role_id: int) -> str:
        return {202: "Participant"}.get(role_id, f"role-{role_id}")

    def channel_name(self, channel_id: int) -> str:
        return {102: "announcements"}.get(channel_id, f"channel-{channel_id}")


def renderer(*, colour: bool = False, width: int = 100) -> Renderer:
    return Renderer(names=Names(), zone=lambda: LONDON, now=lambda: NOW, colour=colour, width=width)


def test_times_show_in_the_programme_zone_with_summer_time() -> None:
    """18:30 UTC in March is 18:30 GMT; 17:30 UTC in July is 18:30 BST."""
    winter = datetime(2027, 3, 4, 18, 30, tzinfo=UTC)
    summer = datetime(2027, 7, 1, 17, 30, tzinfo=UTC)
    assert format_time(winter, TimeStyle.FULL, LONDON, NOW) == "Thu 4 Mar 2027 18:30 GMT"
    assert format_time(summer, TimeStyle.FULL, LONDON, NOW) == "Thu 1 Jul 2027 18:30 BST"
    assert format_time(winter, TimeStyle.SHORT, LONDON, NOW) == "4 Mar 2027 18:30 GMT"
    assert format_time(winter, TimeStyle.DATE, LONDON, NOW) == "Thu 4 Mar 2027"
    assert format_time(winter, TimeStyle.TIME, LONDON, NOW) == "18:30 GMT"


@pytest.mark.parametrize(
    ("delta", "said"),
    [
        (timedelta(seconds=10), "in a few seconds"),
        (timedelta(0), "a few seconds ago"),
        (timedelta(hours=1), "in 1 hour"),
        (timedelta(days=1), "in 1 day"),
        (timedelta(days=3, hours=6), "in 3 days"),
        (timedelta(days=40), "in 1 month"),
        (-timedelta(hours=2), "2 hours ago"),
        (-timedelta(days=400), "1 year ago"),
    ],
)
def test_relative_times_count_from_the_simulated_clock(delta: timedelta, said: str) -> None:
    """Relative times are measured against the shell's clock, not the computer's."""
    assert relative(NOW + delta, NOW) == said


def test_rich_text_renders_times_mentions_links_and_emphasis_plainly() -> None:
    """Spans become readable text: @name, #channel, label <url>, no markup characters."""
    value = text(
        role(202),
        " Session 1 starts ",
        Time(NOW + timedelta(days=3), TimeStyle.RELATIVE),
        " in ",
        channel(102),
        " — ",
        strong("bring ", user(1001)),
        " ",
        Link("the toolkit", "https://example.org/kit"),
    )
    assert renderer().inline(value) == (
        "@Participant Session 1 starts in 3 days in #announcements — bring @morag the toolkit <https://example.org/kit>"
    )


def test_plain_str_spans_are_literal() -> None:
    """Plain str from the core, alone or inside Text, is literal: never read as markup (asterisks stay)."""
    assert renderer().inline(Text(("a *b* <t:0:F>",))) == "a *b* <t:0:F>"
    assert renderer().inline("a *b* [x](https://y.example) \\*") == "a *b* [x](https://y.example) \\*"


def test_colour_is_only_added_when_asked() -> None:
    """Without colour there is no escape code at all; with colour, times and mentions are painted."""
    value = text(Time(NOW), " ", user(1001))
    assert "\x1b[" not in renderer().inline(value)
    assert "\x1b[" in renderer(colour=True).inline(value)


def test_an_embed_is_a_box_with_fields_and_footer() -> None:
    """Title on the top edge, description and fields inside, inline single-line fields as "name: value"."""
    embed = Embed(
        title="Session 1 added",
        description="What it is about",
        fields=(EmbedField("When", text(Time(NOW))), EmbedField("Area", "Rural", inline=True)),
        footer="Change it with /session edit",
    )
    lines = renderer().embed(embed)
    assert lines[0] == "╭─ Session 1 added"
    assert "│ What it is about" in lines
    assert lines[lines.index("│ When") + 1] == "│   Mon 1 Mar 2027 12:00 GMT"
    assert "│ Area: Rural" in lines
    assert "│ Change it with /session edit" in lines
    assert lines[-1].startswith("╰")


def test_buttons_are_numbered_and_disabled_ones_say_so() -> None:
    """Buttons show their numbers; a disabled one is marked; nothing trails."""
    message = OutboundMessage(
        content="Pick one",
        buttons=(Button("Reflect", custom_id="a"), Button("I attended", custom_id="b", disabled=True)),
    )
    numbered = list(zip((7, 8), message.buttons, strict=True))
    lines = renderer().message(message, buttons=numbered)
    assert lines == ["Pick one", "[7] Reflect   [8] I attended (disabled)"]


def test_long_lines_wrap_at_spaces_keeping_the_box_edge() -> None:
    """A long description wraps within the width, each line inside the box."""
    lines = renderer(width=40).embed(Embed(description="word " * 30))
    inside = [line for line in lines if line.startswith("│")]
    assert len(inside) > 3 and all(len(line) <= 40 for line in inside)
    assert wrap("  short", 40) == ["  short"]


def test_a_wrapped_quotation_keeps_its_marker_on_every_line() -> None:
    """A long quoted line wraps into lines that all start with "> "."""
    from bot.core.messages import quote

    lines = renderer(width=30).block(text(quote("word " * 12)))
    assert len(lines) > 1 and all(line.startswith("> ") for line in lines)


def test_block_emphases_take_whole_lines() -> None:
    """A quotation starts on its own line, every line quoted; what follows starts on a new line too."""
    from bot.core.messages import quote

    assert renderer().inline(text("Said:", quote("first line\nsecond"), "— someone")) == (
        "Said:\n> first line\n> second\n— someone"
    )
    assert renderer().inline(text("a ", strong("x"), " b")) == "a x b"
