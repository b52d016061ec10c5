"""custom_ids of the interview invitation buttons: blether:interview:<guild id>:<yes|no> (≤ 100 characters)."""

ANSWER_TEMPLATE = r"blether:interview:(?P<guild_id>[1-9][0-9]{0,19}):(?P<answer>yes|no)"


def answer_button_id(guild_id: int, answer: str) -> str:
    """Return the custom_id of "Yes, contact me" (answer "yes") or "No thanks" ("no")."""
    return f"blether:interview:{guild_id}:{answer}"
