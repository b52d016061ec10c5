"""Messages of the groups feature as platform-neutral rich Text: proposals, group lists, the thread welcome,
a coach's nudge and what a late joiner is told."""

from bot.core.groups.domain import CoachView, Connection, Group, JoinResult, Proposal, ProposalView, SessionGroups
from bot.core.groups.ids import meet_button_id, proposal_button_id
from bot.core.messages import (
    Button,
    ButtonStyle,
    Embed,
    EmbedField,
    OutboundMessage,
    Text,
    channel,
    italic,
    strong,
    text,
    user,
)
from bot.core.programme.domain import Session
from bot.core.text import clean_text

GROUPS_COLOUR = 0x3B7DD8
MAX_FIELDS = 24
TITLE_LIMIT = 100


def _title(session: Session) -> str:
    title = clean_text(session.title, keep_newlines=False)
    return title if len(title) <= TITLE_LIMIT else title[: TITLE_LIMIT - 1] + "…"


def session_heading(session: Session) -> str:
    """Return "Session 3: Title" (plain text; adapters escape it)."""
    return f"Session {session.number}: {_title(session)}"


def thread_name(session: Session, group: Group) -> str:
    """Return a group thread's name; "g<id>" makes it unique so a restart finds the thread it made."""
    return f"Session {session.number} · Group {group.number} · g{group.id}"[:100]


def _people(members: tuple[int, ...], coach_id: int | None) -> Text:
    parts: list[Text] = [text(user(m)) for m in members]
    line = text(", ").join(parts) if parts else text(italic("nobody yet"))
    if coach_id is not None:
        line = line + text("\nCoach: ", user(coach_id))
    return line


def _group_fields(groups: list[tuple[int, tuple[int, ...], int | None, int | None]]) -> tuple[EmbedField, ...]:
    fields = [
        EmbedField(
            f"Group {number} ({len(members)})",
            _people(members, coach) + (text("\n", channel(thread)) if thread is not None else text()),
            inline=True,
        )
        for number, members, coach, thread in groups[:MAX_FIELDS]
    ]
    if len(groups) > MAX_FIELDS:
        fields.append(EmbedField("More groups", f"…and {len(groups) - MAX_FIELDS} more (see /groups show)."))
    return tuple(fields)


def proposal(view: ProposalView) -> OutboundMessage:
    """Return proposed groups with what the mix achieved and the Create / Shuffle / Cancel buttons."""
    p: Proposal = view.proposal
    figures = [
        f"{p.people} people from {p.source.value} in {len(p.groups)} groups of about {p.size}, "
        f"keeping {p.mix.value} apart first.",
        f"Groups with two from one {p.mix.value}: {view.groups_with_same_community_pair}.",
        f"Pairs who already met in a group: {view.repeat_pairs}.",
        f"Peer coaches placed: {view.coaches}.",
    ]
    embed = Embed(
        title=text(f"Proposed groups — {session_heading(view.session)}"),
        description=text("\n".join(figures)),
        colour=GROUPS_COLOUR,
        fields=_group_fields([(g.number, g.members, g.coach_id, None) for g in p.groups]),
        footer="Create makes one private thread per group; Shuffle tries another mix.",
    )
    buttons = (
        Button("Create", custom_id=proposal_button_id("create", p.id), style=ButtonStyle.SUCCESS),
        Button("Shuffle", custom_id=proposal_button_id("shuffle", p.id), style=ButtonStyle.SECONDARY),
        Button("Cancel", custom_id=proposal_button_id("cancel", p.id), style=ButtonStyle.DANGER),
    )
    return OutboundMessage(embeds=(embed,), buttons=buttons)


def closed_proposal(view: ProposalView, outcome: str) -> OutboundMessage:
    """Return the proposal without buttons, saying what happened to it."""
    message = proposal(view)
    embed = message.embeds[0]
    return OutboundMessage(
        embeds=(Embed(title=embed.title, description=outcome, colour=embed.colour, fields=embed.fields),)
    )


def session_groups(result: SessionGroups) -> OutboundMessage:
    """Return a session's groups (members, coach, thread)."""
    count = sum(len(g.members) for g in result.groups)
    description = text(f"{count} people in {len(result.groups)} groups.", *(f"\n{n}" for n in result.notes))
    embed = Embed(
        title=text(f"Groups — {session_heading(result.session)}"),
        description=description,
        colour=GROUPS_COLOUR,
        fields=_group_fields([(g.number, g.members, g.coach_id, g.thread_id) for g in result.groups]),
    )
    return OutboundMessage(embeds=(embed,))


def voice_room_name(session: Session, group: Group) -> str:
    """Return a group's temporary voice channel name ("g<id>" makes it unique, so a restart finds it)."""
    return f"S{session.number} Group {group.number} · g{group.id}"[:100]


def welcome(
    session: Session, group: Group, members: tuple[int, ...], *, voice_channel_id: int | None = None
) -> OutboundMessage:
    """Return the welcome posted in a group's thread: who is here, the session's theme and its prompt."""
    description = text(
        "Welcome to ",
        strong(f"Group {group.number}"),
        " of ",
        strong(session_heading(session)),
        ". This is a private space for this group only — say hello, share what you are working on, and listen.",
    )
    fields = [EmbedField("In this group", _people(members, group.coach_id))]
    if voice_channel_id is not None:
        fields.append(EmbedField("Your voice room", text(channel(voice_channel_id), " (removed after the session)")))
    theme = clean_text(session.description or "")
    if theme:
        fields.append(EmbedField("Theme", text(theme[:1000])))
    prompt = clean_text(session.prompt or "")
    opener = prompt[:1000] if prompt else "What brought you here, and what do you hope to take away?"
    fields.append(EmbedField("To start you off", text(opener)))
    embed = Embed(
        title=text(f"Group {group.number} — {session_heading(session)}"),
        description=description,
        colour=GROUPS_COLOUR,
        fields=tuple(fields),
        footer="Only the people placed in this group by Blether can see this thread.",
    )
    return OutboundMessage(embeds=(embed,))


def late_welcome(user_id: int) -> OutboundMessage:
    """Return the note posted in a thread when someone joins late (it names them without pinging)."""
    welcome_text = text("Please welcome ", user(user_id), " — they have just joined this group.")
    return OutboundMessage(embeds=(Embed(description=welcome_text, colour=GROUPS_COLOUR),))


def joined(result: JoinResult) -> Text:
    """Return what a late joiner is told."""
    where = text(channel(result.group.thread_id)) if result.group.thread_id else text("its thread (on its way)")
    if result.already:
        return text(f"You are already in Group {result.group.number} of Session {result.session.number}: ", where, ".")
    return text(f"You are now in Group {result.group.number} of Session {result.session.number}: ", where, ".")


def nudge(group: Group, coach_id: int, note: str) -> OutboundMessage:
    """Return a peer coach's nudge to their group (their own words, made safe)."""
    body = clean_text(note)[:1000] or "A gentle nudge: how are you getting on? Share a thought when you have a moment."
    return OutboundMessage(
        embeds=(Embed(description=text("From your peer coach ", user(coach_id), ":\n", body), colour=GROUPS_COLOUR),)
    )


def coach_view(view: CoachView) -> OutboundMessage:
    """Return a coach's groups in a session: members, who attended, how many reflected (no answers)."""
    fields = []
    for counts in view.groups[:MAX_FIELDS]:
        g = counts.group
        marks = text("\n").join(text("✅ " if m in counts.attended else "▫️ ", user(m)) for m in g.members) or text(
            italic("nobody")
        )
        fields.append(
            EmbedField(
                f"Group {g.number}: {len(counts.attended)}/{len(g.members)} attended · "
                f"{counts.reflected_count} reflected",
                marks,
            )
        )
    embed = Embed(
        title=text(f"Your groups — {session_heading(view.session)}"),
        description="Attendance and how many reflected; reflections themselves stay with the facilitators.",
        colour=GROUPS_COLOUR,
        fields=tuple(fields),
    )
    return OutboundMessage(embeds=(embed,))


def connection_thread_name(connection: Connection) -> str:
    """Return an introduction's thread name; "c<id>" makes it unique so a restart finds it."""
    return f"Connection · c{connection.id}"


def introduction(connection: Connection, latest: Session | None) -> OutboundMessage:
    """Return the introduction posted in its private thread, with a starter tied to the latest session."""
    people = text(", ").join(text(user(m)) for m in connection.members)
    starter = (
        text("Since ", strong(session_heading(latest)), ": what is one thing from it you have tried, or want to try?")
        if latest is not None
        else text("What is your community working on at the moment, and what would help?")
    )
    embed = Embed(
        title="Meet someone from another community",
        description=text(
            people,
            " — you said you would like to meet people from other communities. Here is a private space to say "
            "hello and find a time to talk.",
        ),
        colour=GROUPS_COLOUR,
        fields=(EmbedField("A conversation starter", starter),),
        footer="In a week Blether asks whether you met. /connect off stops introductions.",
    )
    return OutboundMessage(embeds=(embed,))


def did_you_meet(connection: Connection) -> OutboundMessage:
    """Return the "Did you meet?" question with Yes / Not yet / Skip."""
    embed = Embed(
        title="Did you meet?",
        description="Each of you can answer; it helps the programme see which introductions work.",
        colour=GROUPS_COLOUR,
    )
    buttons = (
        Button("Yes", custom_id=meet_button_id("yes", connection.id), style=ButtonStyle.SUCCESS),
        Button("Not yet", custom_id=meet_button_id("not_yet", connection.id), style=ButtonStyle.SECONDARY),
        Button("Skip", custom_id=meet_button_id("skip", connection.id), style=ButtonStyle.SECONDARY),
    )
    return OutboundMessage(embeds=(embed,), buttons=buttons)


def connect_paused() -> OutboundMessage:
    """Return the DM telling someone their introductions paused and how to resume."""
    return OutboundMessage(
        embeds=(
            Embed(
                title="Introductions paused",
                description="Your last two introductions went unanswered, so Blether has paused them. "
                "Run /connect on in the programme's server whenever you would like to meet people again.",
                colour=GROUPS_COLOUR,
            ),
        )
    )
