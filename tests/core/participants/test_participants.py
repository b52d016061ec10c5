"""Joining, profiles, communities, leaving and rejoining."""

from datetime import timedelta

import pytest

from bot.core.actors import Actor
from bot.core.clock import ManualClock
from bot.core.participants.domain import AREA_CHOICES, Area, AreaGroup, ParticipantRole, ProfileUpdate
from bot.core.participants.errors import InvalidChoiceError, NotRegisteredError, TextTooLongError
from bot.core.participants.service import ParticipantService
from bot.core.storage.database import Database

GUILD = 500


def person(user_id: int, guild_id: int = GUILD) -> Actor:
    """Return a member of the test server."""
    return Actor(guild_id=guild_id, user_id=user_id, display_name=f"p{user_id}")


@pytest.fixture
def service(database: Database, clock: ManualClock) -> ParticipantService:
    """Return the participant service on the test database."""
    return ParticipantService(database, clock)


async def test_join_registers_with_every_answer_optional(service: ParticipantService) -> None:
    """/join with no options registers the person and asks for consent."""
    result = await service.join(person(1))
    assert result.created and not result.reactivated
    assert result.participant.community is None and result.participant.area is None
    assert result.participant.area_group is AreaGroup.NOT_SAID
    assert result.consent_prompt is not None


async def test_community_names_are_one_community_whatever_the_case_and_spacing(service: ParticipantService) -> None:
    """ "Isle of Skye" and "isle of  skye " are the same community, shown with the nicer spelling."""
    await service.join(person(1), community="isle of skye ")
    await service.join(person(2), community="  Isle   of Skye")
    await service.join(person(3), community="Leith")
    communities = await service.communities(GUILD)
    assert [(c.name, c.participants) for c in communities] == [("Isle of Skye", 2), ("Leith", 1)]
    assert (await service.profile(person(1))).community == "Isle of Skye"


async def test_autocomplete_offers_known_communities_then_the_typed_one(service: ParticipantService) -> None:
    """Prefix matches first, then word matches; a new name is offered as typed."""
    await service.join(person(1), community="Isle of Skye")
    await service.join(person(2), community="Skye North")
    await service.join(person(3), community="Skye North")
    await service.join(person(4), community="Dundee")
    assert await service.community_choices(GUILD, "sky") == ["Skye North", "Isle of Skye"]
    assert await service.community_choices(GUILD, "") == ["Skye North", "Dundee", "Isle of Skye"]
    assert await service.community_choices(GUILD, "Arran") == ["Arran"]
    assert await service.community_choices(GUILD + 1, "") == []


async def test_area_and_role_accept_values_and_labels(service: ParticipantService) -> None:
    """Areas and roles parse from their values or labels, and map to the report grouping."""
    result = await service.join(person(1), area="Remote rural", role="health or social care practitioner")
    assert result.participant.area is Area.REMOTE_RURAL
    assert result.participant.area_group is AreaGroup.RURAL
    assert result.participant.role is ParticipantRole.PRACTITIONER
    assert Area.parse("accessible_small_town").group is AreaGroup.SMALL_TOWN
    assert Area.parse("Large urban area").group is AreaGroup.URBAN
    assert Area.parse("prefer not to say").group is AreaGroup.NOT_SAID
    assert len(AREA_CHOICES) == 7 and all(len(c.description) <= 100 for c in AREA_CHOICES)
    with pytest.raises(InvalidChoiceError) as caught:
        await service.join(person(2), area="Suburbia")
    assert "Remote rural area" in str(caught.value)


async def test_profile_shows_and_edits_and_clears(service: ParticipantService) -> None:
    """/me profile: None keeps a value, "" clears it."""
    with pytest.raises(NotRegisteredError) as caught:
        await service.profile(person(1))
    assert "/join" in str(caught.value)
    await service.join(person(1), community="Leith", area="other urban", role="volunteer")
    updated = await service.update_profile(person(1), ProfileUpdate(role="manager", community=""))
    assert updated.role is ParticipantRole.MANAGER
    assert updated.community is None
    assert updated.area is Area.OTHER_URBAN
    with pytest.raises(TextTooLongError):
        await service.update_profile(person(1), ProfileUpdate(community="x" * 81))
    with pytest.raises(NotRegisteredError):
        await service.update_profile(person(2), ProfileUpdate(role="manager"))


async def test_leaving_marks_inactive_and_rejoining_reactivates(service: ParticipantService) -> None:
    """Participants who leave are kept but inactive; they come back active."""
    await service.join(person(1), community="Leith")
    assert await service.mark_left(GUILD, 1)
    assert not await service.mark_left(GUILD, 1)
    gone = await service.get_participant(GUILD, 1)
    assert gone is not None and not gone.active and gone.left_at is not None
    assert [p.user_id for p in await service.list_participants(GUILD, active_only=True)] == []
    assert await service.mark_rejoined(GUILD, 1)
    back = await service.get_participant(GUILD, 1)
    assert back is not None and back.active and back.left_at is None
    assert not await service.mark_rejoined(GUILD, 99)


async def test_joining_again_updates_and_reactivates(service: ParticipantService) -> None:
    """A second /join changes only what is given and brings an inactive participant back."""
    await service.join(person(1), community="Leith", role="volunteer")
    await service.mark_left(GUILD, 1)
    again = await service.join(person(1), area="large urban")
    assert not again.created and again.reactivated
    assert again.participant.community == "Leith"
    assert again.participant.area is Area.LARGE_URBAN
    assert again.participant.role is ParticipantRole.VOLUNTEER
    assert len(await service.list_participants(GUILD)) == 1


async def test_count_joined_counts_first_joins_in_a_period(service: ParticipantService, clock: ManualClock) -> None:
    """Participants who joined after since and at or before until are counted (for the Flash Report welcome)."""
    start = clock.now()
    await service.join(person(1))
    clock.advance(timedelta(days=1))
    await service.join(person(2))
    await service.join(person(3))
    assert await service.count_joined(GUILD, None, clock.now()) == 3
    assert await service.count_joined(GUILD, start, clock.now()) == 2
    assert await service.count_joined(GUILD, clock.now(), clock.now() + timedelta(days=1)) == 0


async def test_a_community_nobody_belongs_to_any_more_leaves_autocomplete(service: ParticipantService) -> None:
    """Moving to another community (by /me profile or /join again) or clearing it removes the old name once
    nobody names it; a name someone else still uses stays."""
    await service.join(person(1), community="Glen Tiny")
    await service.join(person(2), community="Leith")
    await service.join(person(3), community="Leith")
    await service.update_profile(person(1), ProfileUpdate(community="Leith"))
    assert await service.community_choices(GUILD, "") == ["Leith"]
    await service.join(person(2), community="Crieff")
    assert await service.community_choices(GUILD, "") == ["Leith", "Crieff"]
    await service.update_profile(person(2), ProfileUpdate(community=""))
    assert await service.community_choices(GUILD, "") == ["Leith"]
    assert [c.name for c in await service.communities(GUILD)] == ["Leith"]
