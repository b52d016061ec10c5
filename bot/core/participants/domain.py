"""Participant domain: profiles, the Scottish six-fold area classification, roles and consent values."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.core.participants.errors import InvalidChoiceError, TextTooLongError
from bot.core.text import clean_text

COMMUNITY_LIMIT = 80
CONSENT_TEXT_LIMIT = 4000  # an embed description holds 4,096 characters


def _fold(text: str) -> str:
    """Fold a typed choice for comparison: case, spaces, hyphens and underscores do not matter."""
    return " ".join(text.replace("_", " ").replace("-", " ").replace(",", " ").casefold().split())


class AreaGroup(StrEnum):
    """The three-way grouping of the six-fold classification used in reports."""

    URBAN = "urban"
    SMALL_TOWN = "small_town"
    RURAL = "rural"
    NOT_SAID = "not_said"

    @property
    def label(self) -> str:
        """Return the group's name for people."""
        return _GROUP_LABELS[self]


_GROUP_LABELS = {
    AreaGroup.URBAN: "Urban",
    AreaGroup.SMALL_TOWN: "Small town",
    AreaGroup.RURAL: "Rural",
    AreaGroup.NOT_SAID: "Not said",
}


class Area(StrEnum):
    """The Scottish Government Urban Rural Classification (six-fold), or "prefer not to say"."""

    LARGE_URBAN = "large_urban"
    OTHER_URBAN = "other_urban"
    ACCESSIBLE_SMALL_TOWN = "accessible_small_town"
    REMOTE_SMALL_TOWN = "remote_small_town"
    ACCESSIBLE_RURAL = "accessible_rural"
    REMOTE_RURAL = "remote_rural"
    PREFER_NOT_TO_SAY = "prefer_not_to_say"

    @property
    def label(self) -> str:
        """Return the category's name as the classification writes it."""
        return _AREA_LABELS[self][0]

    @property
    def description(self) -> str:
        """Return a one-line explanation (≤ 100 characters) to help people choose."""
        return _AREA_LABELS[self][1]

    @property
    def group(self) -> AreaGroup:
        """Return the urban / small town / rural grouping of this category."""
        return _AREA_GROUPS[self]

    @classmethod
    def parse(cls, text: "str | Area") -> "Area":
        """Read an area from its value or label, ignoring case, spaces, hyphens and underscores.

        Raises:
            InvalidChoiceError: when the text is no known area.
        """
        if isinstance(text, Area):
            return text
        wanted = _fold(text)
        for area in cls:
            if wanted in (_fold(area.value), _fold(area.label)) or (wanted and wanted == _fold(area.short_label)):
                return area
        raise InvalidChoiceError("area", text, [a.label for a in cls])

    @property
    def short_label(self) -> str:
        """Return the label without "area" (e.g. "Remote rural")."""
        return self.label.removesuffix(" area")


_AREA_LABELS = {
    Area.LARGE_URBAN: ("Large urban area", "A settlement of 125,000 people or more"),
    Area.OTHER_URBAN: ("Other urban area", "A settlement of 10,000 to 124,999 people"),
    Area.ACCESSIBLE_SMALL_TOWN: (
        "Accessible small town",
        "3,000 to 9,999 people, within a 30-minute drive of a settlement of 10,000 or more",
    ),
    Area.REMOTE_SMALL_TOWN: (
        "Remote small town",
        "3,000 to 9,999 people, more than a 30-minute drive from a settlement of 10,000 or more",
    ),
    Area.ACCESSIBLE_RURAL: (
        "Accessible rural area",
        "Fewer than 3,000 people, within a 30-minute drive of a settlement of 10,000 or more",
    ),
    Area.REMOTE_RURAL: (
        "Remote rural area",
        "Fewer than 3,000 people, more than a 30-minute drive from a settlement of 10,000 or more",
    ),
    Area.PREFER_NOT_TO_SAY: ("Prefer not to say", "Your answer stays blank in reports"),
}
_AREA_GROUPS = {
    Area.LARGE_URBAN: AreaGroup.URBAN,
    Area.OTHER_URBAN: AreaGroup.URBAN,
    Area.ACCESSIBLE_SMALL_TOWN: AreaGroup.SMALL_TOWN,
    Area.REMOTE_SMALL_TOWN: AreaGroup.SMALL_TOWN,
    Area.ACCESSIBLE_RURAL: AreaGroup.RURAL,
    Area.REMOTE_RURAL: AreaGroup.RURAL,
    Area.PREFER_NOT_TO_SAY: AreaGroup.NOT_SAID,
}


def area_group(area: Area | None) -> AreaGroup:
    """Return the report grouping of an area (not said when there is none)."""
    return AreaGroup.NOT_SAID if area is None else area.group


class ParticipantRole(StrEnum):
    """What brings someone to the programme."""

    VOLUNTEER = "volunteer"
    COMMUNITY_LEADER = "community_leader"
    PRACTITIONER = "practitioner"
    MANAGER = "manager"
    OTHER = "other"

    @property
    def label(self) -> str:
        """Return the role's name for people."""
        return _ROLE_LABELS[self]

    @classmethod
    def parse(cls, text: "str | ParticipantRole") -> "ParticipantRole":
        """Read a role from its value or label, ignoring case and spacing.

        Raises:
            InvalidChoiceError: when the text is no known role.
        """
        if isinstance(text, ParticipantRole):
            return text
        wanted = _fold(text)
        aliases = {"health or social care practitioner", "health and social care practitioner", "practitioner"}
        for role in cls:
            if wanted in (_fold(role.value), _fold(role.label)):
                return role
        if wanted in aliases:
            return cls.PRACTITIONER
        raise InvalidChoiceError("role", text, [r.label for r in cls])


_ROLE_LABELS = {
    ParticipantRole.VOLUNTEER: "Volunteer",
    ParticipantRole.COMMUNITY_LEADER: "Community leader",
    ParticipantRole.PRACTITIONER: "Health or social care practitioner",
    ParticipantRole.MANAGER: "Manager",
    ParticipantRole.OTHER: "Other",
}


@dataclass(frozen=True, slots=True)
class Choice:
    """One option for a slash-command choice list (value is what the service accepts)."""

    value: str
    label: str
    description: str = ""


AREA_CHOICES = tuple(Choice(a.value, a.label, a.description) for a in Area)
ROLE_CHOICES = tuple(Choice(r.value, r.label) for r in ParticipantRole)


def clean_community(text: str) -> str:
    """Return a community name without control characters and with single spaces ("" when blank).

    Raises:
        TextTooLongError: when the cleaned name is longer than COMMUNITY_LIMIT.
    """
    name = clean_text(text, keep_newlines=False)
    if len(name) > COMMUNITY_LIMIT:
        raise TextTooLongError("community name", len(name), COMMUNITY_LIMIT)
    return name


def community_key(name: str) -> str:
    """Return the key that makes "Isle of Skye" and " isle of  SKYE " one community."""
    return clean_text(name, keep_newlines=False).casefold()


@dataclass(frozen=True, slots=True)
class Community:
    """A community named in one server, with how many active participants gave it."""

    id: int
    guild_id: int
    name: str
    participants: int = 0


@dataclass(frozen=True, slots=True)
class Participant:
    """Someone who joined the programme. area, role and community are optional; active is False after leaving."""

    id: int
    guild_id: int
    user_id: int
    community: str | None
    community_id: int | None
    area: Area | None
    role: ParticipantRole | None
    active: bool
    joined_at: datetime
    left_at: datetime | None
    updated_at: datetime

    @property
    def area_group(self) -> AreaGroup:
        """Return the urban / small town / rural grouping of the participant's area."""
        return area_group(self.area)


@dataclass(frozen=True, slots=True)
class ProfileUpdate:
    """Changes to a profile: None keeps a value, "" clears it (area and role accept values or labels)."""

    community: str | None = None
    area: Area | str | None = None
    role: ParticipantRole | str | None = None

    @property
    def is_empty(self) -> bool:
        """Tell whether nothing would change."""
        return self.community is None and self.area is None and self.role is None


class ConsentPurpose(StrEnum):
    """What a person may agree to, each separately."""

    EVALUATION = "evaluation"
    QUOTE = "quote"
    INTERVIEW = "interview"
    MENTORING = "mentoring"

    @property
    def asked_at_join(self) -> bool:
        """Whether the join prompt asks it (mentoring is asked after the end-of-programme questionnaire)."""
        return self is not ConsentPurpose.MENTORING

    @property
    def label(self) -> str:
        """Return a short question (≤ 45 characters, fits a Discord modal label)."""
        return _PURPOSE_TEXT[self][0]

    @property
    def description(self) -> str:
        """Return a one-line explanation (≤ 100 characters)."""
        return _PURPOSE_TEXT[self][1]

    @classmethod
    def parse(cls, text: "str | ConsentPurpose") -> "ConsentPurpose":
        """Read a purpose from its value.

        Raises:
            InvalidChoiceError: for anything else.
        """
        if isinstance(text, ConsentPurpose):
            return text
        wanted = _fold(str(text))
        for purpose in cls:
            if wanted == purpose.value:
                return purpose
        raise InvalidChoiceError("consent purpose", str(text), [p.value for p in cls])


_PURPOSE_TEXT = {
    ConsentPurpose.EVALUATION: (
        "Use my reflections in the evaluation?",
        "The evaluation team gets your reflections without your name or Discord details.",
    ),
    ConsentPurpose.QUOTE: (
        "Quote my words anonymously in reports?",
        "Short quotes, never with your name, in Flash Reports and programme reports.",
    ),
    ConsentPurpose.INTERVIEW: (
        "Contact me about an interview?",
        "The evaluation team may ask you about an optional interview. You can still say no then.",
    ),
    ConsentPurpose.MENTORING: (
        "Contact me about mentoring a second cohort?",
        "The programme team may contact you about supporting or mentoring the next cohort.",
    ),
}

JOIN_PURPOSES = tuple(p for p in ConsentPurpose if p.asked_at_join)
"""The purposes the join prompt and /me consent ask (mentoring is asked where it applies)."""


class ConsentSource(StrEnum):
    """Where a consent answer was given."""

    PROMPT = "prompt"
    SETTINGS = "settings"


@dataclass(frozen=True, slots=True)
class ConsentText:
    """One version of a server's consent text; is_default when it is Blether's own text."""

    guild_id: int
    version: int
    text: str
    created_at: datetime | None = None
    is_default: bool = False


@dataclass(frozen=True, slots=True)
class ConsentTextChange:
    """The result of setting the consent text: the current version and whether a new one was made."""

    text: ConsentText
    changed: bool


@dataclass(frozen=True, slots=True)
class ConsentEvent:
    """One recorded consent answer (the history is append-only)."""

    id: int
    guild_id: int
    user_id: int
    purpose: ConsentPurpose
    granted: bool
    text_version: int
    source: ConsentSource
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class ConsentAnswer:
    """Someone's latest answer for one purpose."""

    purpose: ConsentPurpose
    granted: bool
    text_version: int
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class ConsentState:
    """Someone's current consent: the latest answer per purpose, against the server's current text version."""

    guild_id: int
    user_id: int
    current_version: int
    answers: Mapping[ConsentPurpose, ConsentAnswer] = field(default_factory=dict)

    def granted(self, purpose: ConsentPurpose) -> bool:
        """Tell whether the latest answer for purpose is yes (whatever text version it was given under)."""
        answer = self.answers.get(purpose)
        return answer is not None and answer.granted

    def is_current(self, purpose: ConsentPurpose) -> bool:
        """Tell whether purpose has an answer given under the current text version."""
        answer = self.answers.get(purpose)
        return answer is not None and answer.text_version == self.current_version

    @property
    def missing(self) -> tuple[ConsentPurpose, ...]:
        """Return the purposes without an answer for the current text version."""
        return tuple(p for p in JOIN_PURPOSES if not self.is_current(p))


class PromptReason(StrEnum):
    """Why Blether asks for consent now."""

    FIRST_TIME = "first_time"
    TEXT_CHANGED = "text_changed"
    INCOMPLETE = "incomplete"


@dataclass(frozen=True, slots=True)
class ConsentQuestion:
    """One purpose to ask about, with the person's previous answer (None if never answered) to pre-select."""

    purpose: ConsentPurpose
    label: str
    description: str
    previous: bool | None


@dataclass(frozen=True, slots=True)
class ConsentPrompt:
    """What the adapter shows: the text (version to send back with the answers) and one question per purpose."""

    text: ConsentText
    questions: tuple[ConsentQuestion, ...]
    reason: PromptReason

    @property
    def version(self) -> int:
        """Return the text version the answers must be recorded against."""
        return self.text.version


@dataclass(frozen=True, slots=True)
class JoinResult:
    """The result of /join: the participant, whether they are new (or back), and the consent prompt if due."""

    participant: Participant
    created: bool
    reactivated: bool
    consent_prompt: ConsentPrompt | None
