"""Markdown and HTML exports come from the published snapshot, escaped for their format."""

import html
import re
from datetime import timedelta

import pytest

from bot.core.flash.errors import InvalidExportFormatError, IssueNotFoundError
from bot.core.flash.export import export_html, export_issue, export_markdown, md_escape
from tests.core.flash.conftest import FACILITATOR, GUILD, OTHER, PARTICIPANT, Flash, make_session
from tests.core.flash.limits import all_text

NASTY_TITLE = '<script>alert("x")</script> & *bold* _it_ [link](https://evil.example)'


async def published(flash: Flash) -> None:
    flash.consent.by_purpose["quote"] = {PARTICIPANT.user_id}
    flash.programmes.sessions = [
        make_session(2, "Death & dying", flash.clock.now() + timedelta(days=10), url="https://meet.example/x?a=1&b=2")
    ]
    await flash.service.share_resource(
        PARTICIPANT, "https://a.example/path_(1)?q=1&r=2", NASTY_TITLE, note="1. Not a list", tags="toolkit"
    )
    await flash.service.share_resource(OTHER, "https://b.example/", "Plain title", tags="guide, funding")
    await flash.service.share_resource(OTHER, "https://c.example/", "")
    await flash.service.share_story(PARTICIPANT, "Line one\nLine <two>", credit_by_name=False)
    await flash.service.publish_now(FACILITATOR)
    await flash.run()


async def test_markdown_export_contains_every_item_escaped(flash: Flash) -> None:
    """Every resource title (escaped) and URL appears; Discord-only syntax does not."""
    await published(flash)
    issue = await flash.service.latest(OTHER)
    md = await export_issue(flash.database, GUILD, 1, "md")
    assert md == export_markdown(issue)
    for entry in issue.snapshot.content.resources:
        if entry.title:
            assert md_escape(entry.title.replace("[link](https://evil.example)", "link (https://evil.example)")) in md
        assert f"<{entry.url}>" in md
    assert "\\<script\\>" in md and "<script>" not in md
    assert "\\*bold\\*" in md and "](https://evil" not in md
    assert "<t:" not in md and "<#" not in md
    assert "1\\. Not a list" in md
    assert "> Line one\n> Line \\<two\\>\n> — a participant" in md
    assert "Death \\& dying" in md and "<https://meet.example/x?a=1&b=2>" in md


async def test_html_export_is_standalone_and_escaped(flash: Flash) -> None:
    """A whole HTML page with inline styles; user text is escaped and links are real."""
    await published(flash)
    issue = await flash.service.latest(OTHER)
    page = await export_issue(flash.database, GUILD, 1, "HTML")
    assert page == export_html(issue)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<style" not in page and 'style="' in page
    assert "<script>" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    for entry in issue.snapshot.content.resources:
        escaped = html.escape(entry.url, quote=True)
        assert f'href="{escaped}"' in page
        if entry.title:
            assert html.escape(entry.title.split("[")[0], quote=True) in page
    assert 'href="https://evil.example"' in page  # a masked link in user text shows its real address
    assert "Line one<br>\nLine &lt;two&gt;" in page
    assert not re.search(r"<t:\d+", page)


async def test_export_matches_the_snapshot_not_later_changes(flash: Flash) -> None:
    """An erasure after publication shows in the export as a removal note, not silently."""
    await published(flash)
    await flash.service.erase_user(GUILD, OTHER.user_id)
    md = await export_issue(flash.database, GUILD, 1, "markdown")
    assert "Plain title" not in md
    assert "2 items removed at the person's request" in md
    assert "Plain title" not in all_text((await flash.service.latest(PARTICIPANT)).snapshot.messages)


async def test_export_refuses_unknown_formats_and_issues(flash: Flash) -> None:
    """Only md and html; only published issues."""
    with pytest.raises(InvalidExportFormatError):
        await export_issue(flash.database, GUILD, 1, "pdf")
    with pytest.raises(IssueNotFoundError, match="Flash Report #1"):
        await export_issue(flash.database, GUILD, 1, "md")
    await flash.service.build_draft(FACILITATOR)
    with pytest.raises(IssueNotFoundError):
        await export_issue(flash.database, GUILD, 1, "html")
