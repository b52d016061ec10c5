"""Links: check and normalise shared URLs, find the links in a message, reveal masked links.

Normal form (what dedupes a second /share of the same resource):

* only http and https; no user name or password; a host is required;
* scheme and host in lower case, a trailing dot on the host dropped, the default port (80/443) dropped;
* the fragment (#…) dropped, and tracking parameters (utm_*, fbclid, gclid, ref, si and the others in
  TRACKING_PARAMS, in any case) removed from the query; the other parameters are kept and sorted by name
  (values of a repeated name keep their order), so "?b=2&a=1" and "?a=1&b=2&utm_source=x" are one resource;
* an empty path becomes "/"; any other path loses one trailing slash ("/guide/" and "/guide" are one
  resource), since sites serve both the same way far more often than not;
* characters that are not allowed in a URL (non-ASCII, quotes, braces…) are percent-encoded; an "@"
  that would spell @everyone or @here is encoded as %40 so the link can never read as a mass mention.
"""

import ipaddress
import re
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

from bot.core.flash.errors import InvalidUrlError

URL_LIMIT = 500
RAW_URL_LIMIT = 2000

TRACKING_PARAMS = frozenset(
    {
        # ad and click identifiers
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid", "li_fat_id",
        # newsletters and social sharing
        "mc_cid", "mc_eid", "igshid", "igsh", "si", "_hsenc", "_hsmi", "mkt_tok", "vero_id", "oly_anon_id",
        "oly_enc_id", "wickedid", "s_cid",
        # referrer tags
        "ref", "ref_src", "ref_url",
    }
)  # fmt: skip
"""Query parameters (compared in lower case) that only say who sent the click; the rest of a link is kept."""
_TRACKING_PREFIXES = ("utm_",)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_FORBIDDEN_SCHEMES = {
    "javascript": "javascript: links run code in the browser, so they can't be shared.",
    "data": "data: links embed content instead of pointing to it, so they can't be shared.",
    "file": "file: links point to a file on one person's computer; share a web address instead.",
    "vbscript": "vbscript: links run code, so they can't be shared.",
}
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_SAFE_QUERY = "/?:@!$&'()*+,;=-._~%"
_MASS_MENTION = re.compile(r"@(?=(?:everyone|here))", re.IGNORECASE)

# A link in running text: http(s):// up to whitespace or <>"; trailing punctuation is left to the sentence.
URL_IN_TEXT = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\"”’»*_~|"
# A masked link [text](url) or [text](<url>) as Discord renders it.
MASKED_LINK = re.compile(r"\[([^\[\]\n]{0,256})\]\(\s*<?((?:https?://)[^\s<>()]+(?:\([^\s<>()]*\)[^\s<>()]*)*)>?\s*\)")


def _fail(message: str) -> InvalidUrlError:
    return InvalidUrlError(message)


def _check_host(host: str, shown: str) -> str:
    host = host.rstrip(".").lower()
    if not host:
        raise _fail(f'"{shown}" has no site name after the "//". Paste the full address, such as https://example.org.')
    if ":" in host:  # an IPv6 literal (urlsplit drops its brackets)
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise _fail(f'"{shown}" has an address I can\'t read. Paste the link again.') from None
        return f"[{host}]"
    try:
        host.encode("ascii")
    except UnicodeEncodeError:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise _fail(f'"{shown}" has a site name I can\'t read. Paste the link again.') from None
    if not all(_HOST_LABEL.match(label) for label in host.split(".")):
        raise _fail(f'"{shown}" has a site name I can\'t read (only letters, digits, dots and hyphens).')
    return host


def is_tracking_param(name: str) -> bool:
    """Tell whether a query parameter's name (raw or percent-encoded, any case) is a tracking parameter."""
    key = unquote_plus(name).strip().lower()
    return key in TRACKING_PARAMS or key.startswith(_TRACKING_PREFIXES)


def _clean_query(query: str) -> str:
    """Drop tracking parameters and empty pieces, normalise escapes, sort the rest by name (stably)."""
    kept = []
    for pair in query.split("&"):
        if not pair or is_tracking_param(pair.split("=", 1)[0]):
            continue
        kept.append(_normalise_escapes(pair, _SAFE_QUERY))
    kept.sort(key=lambda pair: pair.split("=", 1)[0])
    return "&".join(kept)


def _normalise_escapes(text: str, safe: str) -> str:
    encoded = quote(text, safe=safe)
    return re.sub(r"%[0-9a-fA-F]{2}", lambda m: m.group(0).upper(), encoded)


def _shown(url: str) -> str:
    return url if len(url) <= 80 else url[:79] + "…"


def normalise_url(text: str) -> str:
    """Check a link someone shared and return its normal form.

    Raises:
        InvalidUrlError: for anything that is not a plain http(s) web address, with the reason.
    """
    raw = (text or "").strip()
    if raw.startswith("<") and raw.endswith(">"):  # Discord's "no preview" form
        raw = raw[1:-1].strip()
    if not raw:
        raise _fail("The link is empty. Paste a web address such as https://example.org/guide.")
    if len(raw) > RAW_URL_LIMIT:
        raise _fail(f"That link is {len(raw)} characters long; the limit is {URL_LIMIT}.")
    if any(ord(c) < 32 or ord(c) == 127 for c in raw) or any(c.isspace() for c in raw):
        raise _fail("That link contains spaces or hidden characters. Paste just the address, with no spaces.")
    shown = _shown(raw)
    scheme_match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):", raw)
    if scheme_match is None:
        raise _fail(f'"{shown}" is not a full web address. Links start with https:// (or http://).')
    scheme = scheme_match.group(1).lower()
    if scheme in _FORBIDDEN_SCHEMES:
        raise _fail(_FORBIDDEN_SCHEMES[scheme])
    if scheme not in _DEFAULT_PORTS:
        raise _fail(f"{scheme}: links can't be shared; only web addresses starting with https:// or http://.")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise _fail(f'"{shown}" is not an address I can read (check the part after the site name).') from None
    if not raw[len(scheme) + 1 :].startswith("//"):
        raise _fail(f'"{shown}" is not a full web address. Links look like https://example.org/page.')
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise _fail("That link has a user name or password in it. Share the address without them, to keep them safe.")
    host = _check_host(parts.hostname or "", shown)
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    path = _normalise_escapes(parts.path, _SAFE_PATH) or "/"
    if path != "/" and path.endswith("/"):
        path = path.rstrip("/") or "/"
    query = _clean_query(parts.query)
    normal = urlunsplit((scheme, netloc, path, query, ""))
    normal = _MASS_MENTION.sub("%40", normal)
    if len(normal) > URL_LIMIT:
        raise _fail(f"That link is {len(normal)} characters long; the limit is {URL_LIMIT}. A shorter link would help.")
    return normal


def _trim(url: str) -> str:
    """Drop sentence punctuation after a link, and a closing bracket that has no opening one in it."""
    while url and (url[-1] in _TRAILING or (url[-1] == ")" and url.count("(") < url.count(")"))):
        url = url[:-1]
    return url


def links_in(text: str) -> list[str]:
    """Return the links written in text, in order: masked links' real targets and bare URLs."""
    found: list[tuple[int, str]] = []
    masked_spans = []
    for match in MASKED_LINK.finditer(text or ""):
        found.append((match.start(), match.group(2)))
        masked_spans.append(match.span())
    for match in URL_IN_TEXT.finditer(text or ""):
        if any(start <= match.start() < end for start, end in masked_spans):
            continue
        url = _trim(match.group(0))
        if url:
            found.append((match.start(), url))
    return [url for _, url in sorted(found)]


def first_link(text: str) -> str | None:
    """Return the normal form of the first usable http(s) link in text (unusable ones are passed over)."""
    for url in links_in(text):
        try:
            return normalise_url(url)
        except InvalidUrlError:
            continue
    return None


def reveal_masked_links(text: str) -> str:
    """Rewrite each masked link "[text](url)" as "text (url)" so readers see the real address."""

    def plain(match: re.Match[str]) -> str:
        label = match.group(1).strip()
        return f"{label} ({match.group(2)})" if label else match.group(2)

    return MASKED_LINK.sub(plain, text or "")


def split_links(text: str) -> list[tuple[str, bool]]:
    """Split text into (piece, is_link) pieces, links being bare http(s) URLs (trailing punctuation excluded)."""
    pieces: list[tuple[str, bool]] = []
    position = 0
    for match in URL_IN_TEXT.finditer(text):
        url = _trim(match.group(0))
        if not url:
            continue
        if match.start() > position:
            pieces.append((text[position : match.start()], False))
        pieces.append((url, True))
        position = match.start() + len(url)
    if position < len(text):
        pieces.append((text[position:], False))
    return pieces


def defuse_link(url: str) -> str:
    """Return a link from user text with any "@everyone"/"@here" in it percent-encoded (same address)."""
    return _MASS_MENTION.sub("%40", url)
