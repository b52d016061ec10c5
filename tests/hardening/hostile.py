"""Hypothesis strategies for hostile text a Discord user can type into a string option."""

from hypothesis import strategies as st

SNOWFLAKE = st.integers(min_value=10**17, max_value=2**63 - 1)

_FIXED = st.sampled_from(
    [
        "@everyone",
        "@here",
        "@everyone @here hello",
        "[click me](javascript:alert(1))",
        "[x](https://evil.example/%2e%2e)",
        "**bold** __under__ ~~strike~~ ||spoiler|| `code` ```py\nprint(1)\n```",
        "> quote\n# Heading\n- list",
        "'; DROP TABLE sessions; --",
        "1 OR 1=1",
        '" OR ""="',
        "%s %d {0} {name} %(x)s",
        "2026-02-30 25:61",
        "0000-00-00 00:00",
        "9999-12-31 23:59",
        "-1",
        "1e309",
        "NaN",
        "Mars/Olympus_Mons",
        "../../etc/passwd",
        "Europe/../../etc/passwd",
        "UTC+99",
        "\u202eevil\u202c",
        "a\u200b\u200c\u200d\ufeffb",
        "\x00\x01\x07\x1b[31mred",
        "line1\r\nline2\n\n\n",
        "   ",
        "\t",
        "😀" * 50,
        "e\u0301" * 100,
        "ﷺ" * 30,
        "<script>alert(1)</script>",
        "${jndi:ldap://x}",
        "1,2,3,,,||,|",
        "7d,1d,1h,0m,-5m,999999d",
    ]
)
_MENTIONS = st.one_of(
    SNOWFLAKE.map(lambda i: f"<@{i}>"),
    SNOWFLAKE.map(lambda i: f"<@!{i}>"),
    SNOWFLAKE.map(lambda i: f"<@&{i}>"),
    SNOWFLAKE.map(lambda i: f"<#{i}>"),
    SNOWFLAKE.map(lambda i: f"</cmd:{i}>"),
)
_HUGE = st.sampled_from(["x", "@everyone ", "\u202e", "a\u200b", "'; --", "é"]).map(lambda s: (s * 10_000)[:10_000])
_ODD_CHARS = st.text(
    alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "So", "Lo"]), min_size=1, max_size=40
)

HOSTILE_TEXT = st.one_of(
    _FIXED,
    _MENTIONS,
    _HUGE,
    _ODD_CHARS,
    st.lists(st.one_of(_FIXED, _MENTIONS, _ODD_CHARS), min_size=2, max_size=4).map(" ".join),
)
