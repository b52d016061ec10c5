"""Errors of the evaluation feature; every message is safe to show and says what to do next."""

from collections.abc import Sequence

from bot.core.errors import NotConfiguredError, ValidationError
from bot.core.keys import GENERATE_KEY_COMMAND
from bot.core.messages import code, text

KEY_HELP = text(
    "Generate one with ",
    code(GENERATE_KEY_COMMAND),
    ", add the line ",
    code("BLETHER_EXPORT_KEY=<that value>"),
    " to Blether's .env file, then restart Blether. Keep the key secret and keep it the same for the whole "
    "programme: a different key gives everyone different pseudonyms.",
)


class MissingExportKeyError(NotConfiguredError):
    """Exports need the secret pseudonymisation key (BLETHER_EXPORT_KEY) and none is set, or it is too easy to guess."""

    def __init__(self, *, weakness: str | None = None) -> None:
        if weakness:
            head = f"The export key (BLETHER_EXPORT_KEY) is too easy to guess ({weakness}), so no export was made."
        else:
            head = "Evaluation exports need a secret export key (BLETHER_EXPORT_KEY), and none is set."
        super().__init__(text(head, " ", KEY_HELP))


class UnknownChoiceError(ValidationError):
    """An export kind or format that does not exist."""

    def __init__(self, what: str, given: str, options: Sequence[str]) -> None:
        shown = given.strip()[:40] or "(empty)"
        super().__init__(f'"{shown}" is not an export {what}. Choose one of: {", ".join(options)}.')
        self.options = tuple(options)


class WrongServerError(ValidationError):
    """A data-rights command used outside the programme's server (e.g. in a direct message)."""

    def __init__(self, command: str) -> None:
        super().__init__(f"Use {command} in the programme's server, so Blether knows which programme you mean.")
