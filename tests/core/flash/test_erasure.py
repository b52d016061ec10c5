"""Erasure: a person's items leave future issues; published snapshots drop them and say so."""

from datetime import timedelta

from bot.core.flash.content import Recap, RecapQuote
from bot.core.flash.domain import MessageRef
from tests.core.flash.conftest import FACILITATOR, FLASH_CHANNEL, GUILD, OTHER, PARTICIPANT, Flash, make_session
from tests.core.flash.limits import all_text, check_limits


async def test_erasure_drops_items_from_the_next_issue_and_marks_the_old_snapshot(flash: Flash) -> None:
    """Pending items are deleted; the published issue loses the person's entries and records the removal."""
    flash.consent.by_purpose["quote"] = {PARTICIPANT.user_id, OTHER.user_id}
    flash.programmes.sessions = [make_session(1, "Opening", flash.clock.now() - timedelta(days=2))]
    flash.recaps.recaps[10] = Recap(None, "", 8, 6, 6, 4.0, (RecapQuote("Pat's words", PARTICIPANT.user_id),))
    await flash.service.share_resource(PARTICIPANT, "https://pat.example/", "Pat's guide")
    await flash.service.share_resource(OTHER, "https://morag.example/", "Morag's guide")
    await flash.service.share_story(PARTICIPANT, "Pat's story", credit_by_name=True)
    await flash.service.nominate_message(
        FACILITATOR,
        MessageRef(
            GUILD,
            5,
            6,
            "https://discord.com/channels/4242/5/6",
            PARTICIPANT.user_id,
            "Pat",
            "Pat said this",
            frozenset({GUILD}),  # a channel @everyone can see
        ),
    )
    await flash.service.publish_now(FACILITATOR)
    await flash.run()
    before = all_text((await flash.service.latest(OTHER)).snapshot.messages)
    assert "Pat's guide" in before and "Pat's story" in before and "Pat's words" in before
    posted = [p.message_id for p in flash.sender.posts if p.channel_id == FLASH_CHANNEL]

    flash.clock.advance(timedelta(days=3))
    await flash.service.share_resource(PARTICIPANT, "https://pat-two.example/", "Pat's second guide")
    result = await flash.service.erase_user(GUILD, PARTICIPANT.user_id)
    assert result.items_removed == 4  # the published resource, story and nominated message, and the new share
    assert result.snapshot_items_removed == 4  # resource, story, nomination, recap quote
    assert result.issues_marked == (1,)

    latest = await flash.service.latest(OTHER)
    after = all_text(latest.snapshot.messages)
    check_limits(latest.snapshot.messages)
    assert "Pat" not in after.replace("participant", "")
    assert "Morag's guide" in after
    assert "_4 items removed at the person's request on 8 January 2026._" in after
    assert latest.snapshot.content.removals[0].count == 4
    assert all(r.author_id != PARTICIPANT.user_id for r in latest.snapshot.content.resources)

    await flash.run()  # the amendment edits the posted messages
    assert [message_id for _, message_id, _ in flash.sender.edits] == posted
    assert "Pat's guide" not in all_text([m for _, _, m in flash.sender.edits])

    assert (await flash.service.list_items(FACILITATOR)).total == 0
    await flash.service.share_resource(OTHER, "https://new.example/", "New")
    await flash.service.publish_now(FACILITATOR)
    await flash.run()
    assert "Pat" not in all_text((await flash.service.latest(OTHER)).snapshot.messages)


async def test_erasing_someone_with_nothing_changes_nothing(flash: Flash) -> None:
    """No items, no marks, no amendment."""
    await flash.service.share_resource(OTHER, "https://morag.example/", "Morag's guide")
    await flash.service.publish_now(FACILITATOR)
    await flash.run()
    result = await flash.service.erase_user(GUILD, 999)
    assert (result.items_removed, result.snapshot_items_removed, result.issues_marked) == (0, 0, ())
    assert (await flash.service.latest(OTHER)).snapshot.content.removals == ()
    await flash.run()
    assert flash.sender.edits == []
