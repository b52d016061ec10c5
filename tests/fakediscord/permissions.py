"""Discord permission bits and the guild/channel permission arithmetic the fake applies."""

CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_AUDIT_LOG = 1 << 7
PRIORITY_SPEAKER = 1 << 8
STREAM = 1 << 9
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
SEND_TTS_MESSAGES = 1 << 12
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
VIEW_GUILD_INSIGHTS = 1 << 19
CONNECT = 1 << 20
SPEAK = 1 << 21
MUTE_MEMBERS = 1 << 22
DEAFEN_MEMBERS = 1 << 23
MOVE_MEMBERS = 1 << 24
USE_VAD = 1 << 25
CHANGE_NICKNAME = 1 << 26
MANAGE_NICKNAMES = 1 << 27
MANAGE_ROLES = 1 << 28
MANAGE_WEBHOOKS = 1 << 29
MANAGE_GUILD_EXPRESSIONS = 1 << 30
USE_APPLICATION_COMMANDS = 1 << 31
REQUEST_TO_SPEAK = 1 << 32
MANAGE_EVENTS = 1 << 33
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
USE_EXTERNAL_STICKERS = 1 << 37
SEND_MESSAGES_IN_THREADS = 1 << 38
USE_EMBEDDED_ACTIVITIES = 1 << 39
MODERATE_MEMBERS = 1 << 40
VIEW_CREATOR_MONETIZATION_ANALYTICS = 1 << 41
USE_SOUNDBOARD = 1 << 42
CREATE_GUILD_EXPRESSIONS = 1 << 43
CREATE_EVENTS = 1 << 44
USE_EXTERNAL_SOUNDS = 1 << 45
SEND_VOICE_MESSAGES = 1 << 46
SEND_POLLS = 1 << 49
USE_EXTERNAL_APPS = 1 << 50
PIN_MESSAGES = 1 << 51

ALL = (1 << 52) - 1

EVERYONE_DEFAULT = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | STREAM
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CONNECT
    | SPEAK
    | USE_VAD
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | REQUEST_TO_SPEAK
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
    | USE_EXTERNAL_STICKERS
    | USE_EMBEDDED_ACTIVITIES
    | SEND_VOICE_MESSAGES
    | SEND_POLLS
    | USE_EXTERNAL_APPS
)

FACILITATOR_DEFAULT = (
    MANAGE_EVENTS
    | CREATE_EVENTS
    | MANAGE_MESSAGES
    | MANAGE_THREADS
    | MENTION_EVERYONE
    | MODERATE_MEMBERS
    | MUTE_MEMBERS
    | MOVE_MEMBERS
    | PIN_MESSAGES
)

# The invite in the repository README: View Channels, Send Messages, Embed Links, Attach Files,
# Read Message History, Create Events, Manage Events, Manage Threads, Create Private Threads and
# Send Messages in Threads (17961553349632). @everyone adds reactions, CONNECT and so on.
BOT_DEFAULT = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | CREATE_EVENTS
    | MANAGE_EVENTS
    | MANAGE_THREADS
    | CREATE_PRIVATE_THREADS
    | SEND_MESSAGES_IN_THREADS
)
# The invite before small groups (no thread permissions), for tests of what a missing permission does.
BOT_WITHOUT_THREADS = BOT_DEFAULT & ~(MANAGE_THREADS | CREATE_PRIVATE_THREADS | SEND_MESSAGES_IN_THREADS)

# What a stage-event moderator needs in the stage channel (Discord's scheduled-event permission table).
STAGE_MODERATOR = MANAGE_CHANNELS | MUTE_MEMBERS | MOVE_MEMBERS


def apply_overwrites(
    base: int, overwrites: list[tuple[int, int, int, int]], guild_id: int, member_id: int, member_role_ids: list[int]
) -> int:
    """Apply channel overwrites (id, type, allow, deny) to base guild permissions, as Discord does."""
    if base & ADMINISTRATOR:
        return ALL
    perms = base
    by_id = {(ow_id, ow_type): (allow, deny) for ow_id, ow_type, allow, deny in overwrites}
    everyone = by_id.get((guild_id, 0))
    if everyone is not None:
        perms &= ~everyone[1]
        perms |= everyone[0]
    allow = deny = 0
    for role_id in member_role_ids:
        found = by_id.get((role_id, 0))
        if found is not None:
            allow |= found[0]
            deny |= found[1]
    perms &= ~deny
    perms |= allow
    member = by_id.get((member_id, 1))
    if member is not None:
        perms &= ~member[1]
        perms |= member[0]
    if not perms & VIEW_CHANNEL:
        return 0
    return perms
