"""Questionnaire exports: items, long-format answers, interviews and a codebook, consenting people only."""

import csv
import io
import zipfile

from bot.core.clock import ManualClock
from bot.core.evaluation.exports import ExportFormat, ExportKind, build_files
from bot.core.evaluation.repository import load_cohort
from bot.core.interviews.service import InterviewService
from bot.core.participants.domain import ConsentPurpose
from bot.core.participants.service import ParticipantService
from bot.core.programme.domain import Programme
from bot.core.questionnaires.deliveries import QUESTIONNAIRE_OPEN
from bot.core.questionnaires.domain import ItemKind
from bot.core.questionnaires.service import QuestionnaireService
from bot.core.storage.database import Database
from tests.core.questionnaires.conftest import add_outcomes
from tests.core.reflections.conftest import FACILITATOR, GUILD, FakeDispatcher, member, pending

KEY = "kT9vQ2mX8pL4wR7zN1bY6cH3fJ5sD0gA-export"


def _read(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))


async def test_exports_load_back_with_the_codebook(
    questionnaires: QuestionnaireService,
    handlers: FakeDispatcher,
    participants: ParticipantService,
    programme: Programme,
    database: Database,
    clock: ManualClock,
    dispatcher: FakeDispatcher,
) -> None:
    """Answers are long format with pseudonyms; every coded value has a codebook label; no consent, no rows."""
    await add_outcomes(database, clock)
    for user_id, evaluation in ((101, True), (102, False)):
        joined = await participants.join(member(user_id))
        assert joined.consent_prompt is not None
        await participants.record_consent(
            member(user_id),
            {ConsentPurpose.EVALUATION: evaluation, ConsentPurpose.QUOTE: False, ConsentPurpose.INTERVIEW: True},
            text_version=joined.consent_prompt.version,
        )
    view = await questionnaires.create(FACILITATOR, "end-of-programme")
    await questionnaires.open(FACILITATOR, view.questionnaire.name)
    (row,) = await pending(database, [QUESTIONNAIRE_OPEN])
    await handlers.registered[QUESTIONNAIRE_OPEN](row)
    for user_id in (101, 102):
        form = await questionnaires.start(member(user_id), view.questionnaire.id)
        values = {f.id: [f.options[2].value] for f in form.fields}
        await questionnaires.submit_page(member(user_id), view.questionnaire.id, 1, 1, values)
    await InterviewService(database, clock, dispatcher=dispatcher).shortlist(FACILITATOR, 5, seed=3)

    cohort = await load_cohort(database, GUILD, now=clock.now())
    result = build_files(cohort, KEY, ExportKind.ALL, ExportFormat.CSV)
    archive = zipfile.ZipFile(io.BytesIO(result.files[0].data))
    items = _read(archive, "questionnaire_items.csv")
    answers = _read(archive, "questionnaire_answers.csv")
    codebook = _read(archive, "codebook.csv")
    interviews = _read(archive, "interviews.csv")
    assert len(items) == len(view.items) and items[0]["outcome"] and items[0]["type"] == ItemKind.BEFORE.value
    assert len(answers) == 4 and {a["page"] for a in answers} == {"1"}
    assert len({a["pseudonym"] for a in answers}) == 1 and "101" not in answers[0]["pseudonym"]
    labels = {(c["item_id"], c["version"], c["value"]): c["label"] for c in codebook}
    assert all((a["item_id"], a["version"], a["value"]) in labels for a in answers)
    assert {i["status"] for i in interviews} == {"proposed"} and len(interviews) == 1
    dictionary = _read(archive, "data_dictionary.csv")
    assert {"questionnaire_answers.csv", "codebook.csv", "interviews.csv"} <= {d["file"] for d in dictionary}
