"""How domain errors read to the user."""

from bot.core.errors import ValidationError
from cogs._shared.replies import describe_domain_error


def test_a_single_problem_already_in_the_message_is_not_repeated() -> None:
    """ "not saved: X" is shown once, not followed by "• X" again."""
    single = ValidationError("That question set was not saved: Question 3 has no text.", ["Question 3 has no text."])
    assert describe_domain_error(single) == "That question set was not saved: Question 3 has no text."


def test_several_problems_are_listed_under_the_message() -> None:
    """Every problem gets a bullet when there are several (or the message does not say it)."""
    several = ValidationError("Not saved:", ["One is wrong.", "Two is wrong."])
    assert describe_domain_error(several) == "Not saved:\n• One is wrong.\n• Two is wrong."
    unsaid = ValidationError("Not saved:", ["One is wrong."])
    assert describe_domain_error(unsaid) == "Not saved:\n• One is wrong."
