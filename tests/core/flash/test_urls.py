"""Link normalisation, rejection with reasons, and links found in messages."""

import pytest

from bot.core.flash.errors import InvalidUrlError
from bot.core.flash.urls import first_link, links_in, normalise_url, reveal_masked_links

NORMALISED = [
    ("https://example.org", "https://example.org/"),
    ("HTTPS://Example.ORG/Guide", "https://example.org/Guide"),
    ("http://example.org:80/a", "http://example.org/a"),
    ("https://example.org:443/a", "https://example.org/a"),
    ("https://example.org:8443/a", "https://example.org:8443/a"),
    ("https://example.org/guide/", "https://example.org/guide"),
    ("https://example.org/", "https://example.org/"),
    ("https://example.org/a#section-2", "https://example.org/a"),
    ("https://example.org/a?utm_source=news&utm_medium=email&id=7", "https://example.org/a?id=7"),
    ("https://example.org/a?fbclid=abc&b=2&gclid=x&UTM_Campaign=y", "https://example.org/a?b=2"),
    ("https://example.org/a?utm_source=x", "https://example.org/a"),
    ("https://example.org/a?z=1&a=2", "https://example.org/a?a=2&z=1"),
    ("  <https://example.org/a>  ", "https://example.org/a"),
    ("https://example.org./a", "https://example.org/a"),
    ("https://example.org/caf%c3%a9", "https://example.org/caf%C3%A9"),
    ("https://example.org/café", "https://example.org/caf%C3%A9"),
    ("https://bücher.example/", "https://xn--bcher-kva.example/"),
    ("http://[2001:db8::1]:8080/x", "http://[2001:db8::1]:8080/x"),
    ("https://example.org/@everyone", "https://example.org/%40everyone"),
    ("https://mastodon.example/@pat", "https://mastodon.example/@pat"),
]

REJECTED = [
    ("", "empty"),
    ("javascript:alert(1)", "run code"),
    ("JavaScript:alert(1)", "run code"),
    ("data:text/html;base64,PHNjcmlwdD4=", "data:"),
    ("file:///etc/passwd", "file:"),
    ("ftp://example.org/a", "only web addresses"),
    ("mailto:someone@example.org", "only web addresses"),
    ("example.org/guide", "https://"),
    ("https:example.org", "full web address"),
    ("https://user:secret@example.org/", "user name or password"),
    ("https://user@example.org/", "user name or password"),
    ("https://exa mple.org/", "spaces"),
    ("https://example.org/\u0000", "hidden characters"),
    ("https://", "no site name"),
    ("https://exa_mple.org/", "site name"),
    ("https://example.org:99999/", "not an address I can read"),
    ("https://example.org/" + "a" * 600, "limit is 500"),
]


@pytest.mark.parametrize(("raw", "expected"), NORMALISED)
def test_urls_are_normalised(raw: str, expected: str) -> None:
    """Scheme and host are lower-cased, default ports, fragments, tracking and trailing slashes dropped."""
    assert normalise_url(raw) == expected


@pytest.mark.parametrize(("raw", "reason"), REJECTED)
def test_unusable_urls_are_refused_with_the_reason(raw: str, reason: str) -> None:
    """Every refusal says why, in words a participant understands."""
    with pytest.raises(InvalidUrlError) as caught:
        normalise_url(raw)
    assert reason in str(caught.value)


def test_normal_form_is_stable() -> None:
    """Normalising a normal form changes nothing (so duplicates are found whatever was pasted first)."""
    for raw, expected in NORMALISED:
        assert normalise_url(expected) == expected, raw


TRACKING_FREE = [
    ("https://example.org/a?ref=twitter", "https://example.org/a"),
    ("https://example.org/a?si=abc123&t=42", "https://example.org/a?t=42"),
    ("https://example.org/a?ref_src=twsrc%5Etfw&igsh=x&igshid=y", "https://example.org/a"),
    ("https://example.org/a?mc_cid=1&mc_eid=2&_hsenc=3&mkt_tok=4&yclid=5", "https://example.org/a"),
    ("https://example.org/a?b=2&a=1&c=3", "https://example.org/a?a=1&b=2&c=3"),
    ("https://example.org/a?tag=z&tag=a&id=1", "https://example.org/a?id=1&tag=z&tag=a"),  # repeats keep order
    ("https://example.org/a?%75tm_source=x&UTM_MEDIUM=y&Ref=z&q=1", "https://example.org/a?q=1"),
    ("https://example.org/a?&&q=1&", "https://example.org/a?q=1"),
    ("https://example.org/a?referrer=me&sid=1&reference=2", "https://example.org/a?reference=2&referrer=me&sid=1"),
]


@pytest.mark.parametrize(("raw", "expected"), TRACKING_FREE)
def test_tracking_parameters_go_and_the_rest_is_sorted(raw: str, expected: str) -> None:
    """ref, si, igsh and friends go in any case or spelling; other parameters are kept, sorted by name."""
    assert normalise_url(raw) == expected
    assert normalise_url(expected) == expected


def test_links_in_a_message_are_found_in_order_with_masked_targets() -> None:
    """Masked links count by their real address; trailing punctuation is not part of a link."""
    text = "Look at [this guide](https://a.example/guide_(v2)) and https://b.example/x. Also <https://c.example>!"
    assert links_in(text) == ["https://a.example/guide_(v2)", "https://b.example/x", "https://c.example"]


def test_first_usable_link_skips_unusable_ones() -> None:
    """A message's first link is its first http(s) one that passes the checks, normalised."""
    assert first_link("no links here") is None
    assert first_link("see https://user:pw@bad.example then HTTPS://Good.example/a/?utm_source=x") == (
        "https://good.example/a"
    )


def test_masked_links_show_their_real_address() -> None:
    """A masked link "[text](url)" becomes "text (url)" so nobody is fooled by the label."""
    assert reveal_masked_links("Go [to the bank](https://evil.example/login) now") == (
        "Go to the bank (https://evil.example/login) now"
    )
