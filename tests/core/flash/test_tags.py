"""Tags: the rule for new tags, the limit per item, and autocomplete."""

import pytest

from bot.core.flash.errors import InvalidTagError, TooManyTagsError
from bot.core.flash.tags import SEED_TAGS, parse_tags, suggest, vocabulary


def test_tags_are_read_in_a_forgiving_canonical_form() -> None:
    """Case, "#" and spaces around commas are forgiven; duplicates collapse."""
    assert parse_tags("Toolkit, #guide ,mental-health, guide") == ("toolkit", "guide", "mental-health")
    assert parse_tags(["Funding"]) == ("funding",)
    assert parse_tags(None) == ()
    assert parse_tags(" , ") == ()


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        ("mental health", 'Did you mean "mental-health"'),
        ("well_being", 'Did you mean "well-being"'),
        ("café", ""),
        ("-leading", ""),
        ("a" * 25, ""),
        ("<@123>", ""),
    ],
)
def test_malformed_tags_are_refused_with_the_rule(raw: str, hint: str) -> None:
    """A malformed tag is refused, the message states the rule (and a likely fix when there is one)."""
    with pytest.raises(InvalidTagError) as caught:
        parse_tags(raw)
    message = str(caught.value)
    assert "lowercase letters, digits and hyphens, at most 24 characters" in message
    assert hint in message


def test_more_than_three_tags_are_refused() -> None:
    """At most three tags per item."""
    with pytest.raises(TooManyTagsError, match="at most 3"):
        parse_tags("a, b, c, d")


def test_vocabulary_puts_used_tags_first_then_the_seeds() -> None:
    """The vocabulary grows with use and keeps the seed tags on offer."""
    names = vocabulary({"mental-health": 3, "guide": 5})
    assert names[:2] == ["guide", "mental-health"]
    assert set(SEED_TAGS) <= set(names)


def test_suggestions_complete_the_last_tag_and_keep_the_earlier_ones() -> None:
    """Autocomplete values are whole option values ("toolkit, guide")."""
    known = vocabulary({})
    assert suggest("toolkit, gu", known) == ["toolkit, guide"]
    assert "wellbeing" in suggest("well", known)
    assert suggest("", known)[: len(SEED_TAGS)] == list(SEED_TAGS)
    assert "toolkit, volunteering" in suggest("toolkit, eer", known)
    assert suggest("a, b, c, ", known) == ["a, b, c"]
    assert suggest("a, b, c", known) == ["a, b, research"]
    assert len(suggest("", [f"t{i}" for i in range(60)])) == 25
