"""How good a secret key must be (BLETHER_EXPORT_KEY): long, varied and not a phrase of words.

The export key is the only thing between a pseudonym and the person: anyone holding it can recompute every
member's pseudonym. A key someone could guess (a short one, "aaaa…", a sentence) therefore
undoes the pseudonymisation, so Blether refuses such keys at start-up and shows the command that makes a good one.
"""

import re

GENERATE_KEY_COMMAND = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
MIN_KEY_LENGTH = 32
MIN_DISTINCT_CHARACTERS = 16
# secrets.token_hex(32), which Blether recommended before, writes 64 characters from only 16 hex digits: about a
# quarter of such keys miss a digit or two, yet each holds 256 random bits. Accept long hex keys with at least
# 12 different digits and no 8 of them repeated (a random one fails once in millions), so nobody has to change a
# key, and with it every pseudonym.
LONG_HEX_KEY = re.compile(r"[0-9a-fA-F]{64,}")
MIN_DISTINCT_HEX_DIGITS = 12
REPEAT_LENGTH = 8  # the same 8 hex digits twice is a pattern ("0123456789ab" * 6), not chance
_PHRASE_SEPARATORS = re.compile(r"""[\s.,;:'"!?()\-_]+""")


def _is_phrase(key: str) -> bool:
    """Tell whether key is words: letters in word case (word, Word, WORD) between spaces or punctuation only."""
    words = [w for w in _PHRASE_SEPARATORS.split(key) if w]
    return bool(words) and all(w.isalpha() and (w.islower() or w.istitle() or w.isupper()) for w in words)


def _has_repeat(key: str) -> bool:
    seen: set[str] = set()
    for start in range(len(key) - REPEAT_LENGTH + 1):
        run = key[start : start + REPEAT_LENGTH]
        if run in seen:
            return True
        seen.add(run)
    return False


def key_weakness(key: str) -> str | None:
    """Return why a (non-empty, stripped) key is too easy to guess, or None when it is good enough."""
    if len(key) < MIN_KEY_LENGTH:
        return f"shorter than {MIN_KEY_LENGTH} characters"
    distinct = len(set(key))
    if distinct < MIN_DISTINCT_CHARACTERS and not _is_random_looking_hex(key):
        return f"only {distinct} different character{'' if distinct == 1 else 's'}; a random key has far more"
    if _is_phrase(key):
        return "only letters, like a phrase of words"
    return None


def _is_random_looking_hex(key: str) -> bool:
    """Tell whether key looks like secrets.token_hex(32): 64+ hex digits, 12+ different, no 8 of them repeated."""
    return (
        LONG_HEX_KEY.fullmatch(key) is not None
        and len(set(key.lower())) >= MIN_DISTINCT_HEX_DIGITS
        and not _has_repeat(key.lower())
    )


def weak_key_message(variable: str, weakness: str) -> str:
    """Return the one-line refusal of a weak key: what is wrong and the command that makes a good one."""
    return (
        f"{variable} is too easy to guess ({weakness}): generate a key with `{GENERATE_KEY_COMMAND}` "
        f"and put {variable}=<that value> in .env (or leave it empty, and exports are refused)."
    )
