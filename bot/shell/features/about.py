"""/about and /help (help lists the commands the acting person may use, plus the shell's own)."""

from typing import Any

from bot import __version__
from bot.core.messages import Embed, EmbedField, Text, strong, text
from bot.shell.commands import Context, Registry

BRAND = 0x2E8B57
SHELL_COMMANDS = (
    ("as NAME [COMMAND]", "act as someone (new names join the server as participants); alone, switch to them"),
    ("press N | press LABEL", "press a button by its [number], or the newest one with that label"),
    (
        "wait 1d | wait 2h30m | wait until 2027-02-05 18:00 | wait next",
        "move the simulated clock; what comes due is sent",
    ),
    ("clock [YYYY-MM-DD HH:MM]", "say the simulated time, or set it (forward only once the programme is set up)"),
    ("say #CHANNEL TEXT", "write a chat message (it shows its number, for nominate and pin)"),
    ("leave, rejoin", "the acting member leaves the server, or comes back"),
    ("people, channels, channel add NAME [text|voice|stage]", "the simulated server"),
    ("quit", "leave (everything is kept in the database)"),
)


def register(registry: Registry) -> None:
    """Add /about and /help."""

    @registry.command("about", "Show what Blether does, its version and the programme's time zone.")
    async def about(context: Context, values: dict[str, Any]) -> None:
        embed = Embed(
            title="Blether",
            colour=BRAND,
            description=(
                "Blether helps run this community learning programme: it reminds everyone before each "
                "session, asks for a short reflection afterwards (what worked well, what would make it "
                "even better), gathers the resources and stories people share into a monthly Flash Report, "
                "and keeps answers — only with your consent — for the programme's evaluation."
            ),
            fields=(
                EmbedField("Version", __version__, inline=True),
                EmbedField("Programme time zone", context.shell.zone.key, inline=True),
                EmbedField("Help", "Use help to see the commands you can use.", inline=False),
            ),
        )
        await context.reply(embeds=[embed])

    @registry.command("help", "List the commands you can use here.")
    async def help_(context: Context, values: dict[str, Any]) -> None:
        facilitator = await context.services.is_facilitator(context.actor)
        commands = sorted(
            (c for c in registry.commands.values() if facilitator or not c.facilitator), key=lambda c: c.path
        )
        lines = [text(strong(c.usage()), f" — {c.description}") for c in commands]
        title = "Blether commands" + (" (including facilitator commands)" if facilitator else "")
        shell = [text(strong(usage), f" — {what}") for usage, what in SHELL_COMMANDS]
        shell += [text(strong(f"{a.verb} MESSAGE"), f" — {a.description}") for a in registry.actions.values()]
        await context.reply(
            embeds=[
                Embed(title=title, description=Text(("\n",)).join(lines), colour=BRAND),
                Embed(title="The shell's own commands", description=Text(("\n",)).join(shell), colour=BRAND),
            ]
        )
