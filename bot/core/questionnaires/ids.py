"""custom_ids of questionnaire posts, buttons and page modals: builders and strict parsers (≤ 100 characters).

blether:qn-start:<questionnaire id>                      "Start" on the post and in DMs
blether:qn-page:<questionnaire id>:<page>                "Continue" between pages
blether:qn-later:<questionnaire id>                      "Finish later"
blether:qn-mentor:<questionnaire id>:<yes|no>            the mentoring contact consent buttons
blether:qn:<questionnaire id>:<version>:<page>           a page modal
q1 … q5                                                   the page's fields, in order
"""

_ID = r"(?P<questionnaire_id>[1-9][0-9]{0,9})"
_SMALL = r"[1-9][0-9]{0,2}"

START_TEMPLATE = rf"blether:qn-start:{_ID}"
CONTINUE_TEMPLATE = rf"blether:qn-page:{_ID}:(?P<page>{_SMALL})"
LATER_TEMPLATE = rf"blether:qn-later:{_ID}"
MENTOR_TEMPLATE = rf"blether:qn-mentor:{_ID}:(?P<answer>yes|no)"
MODAL_TEMPLATE = rf"blether:qn:{_ID}:(?P<version>{_SMALL}):(?P<page>[0-9]{{1,6}})"
FIELD_IDS = ("q1", "q2", "q3", "q4", "q5")


def start_button_id(questionnaire_id: int) -> str:
    """Return the custom_id of a questionnaire's "Start" button."""
    return f"blether:qn-start:{questionnaire_id}"


def continue_button_id(questionnaire_id: int, page: int) -> str:
    """Return the custom_id of the "Continue" button that opens page."""
    return f"blether:qn-page:{questionnaire_id}:{page}"


def later_button_id(questionnaire_id: int) -> str:
    """Return the custom_id of the "Finish later" button."""
    return f"blether:qn-later:{questionnaire_id}"


def mentor_button_id(questionnaire_id: int, answer: str) -> str:
    """Return the custom_id of a mentoring contact consent button (answer "yes" or "no")."""
    return f"blether:qn-mentor:{questionnaire_id}:{answer}"


def page_modal_id(questionnaire_id: int, version: int, page: int) -> str:
    """Return the custom_id of a page modal."""
    return f"blether:qn:{questionnaire_id}:{version}:{page}"
