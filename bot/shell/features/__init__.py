"""The shell's commands and buttons, one module per feature like the cogs: parse -> one service call -> render."""

from bot.shell.commands import Registry
from bot.shell.features import (
    about,
    evaluation,
    flash,
    groups,
    interviews,
    people,
    programme,
    questionnaires,
    reflections,
)


def build_registry() -> Registry:
    """Return every command and button the shell offers."""
    registry = Registry()
    for feature in (about, programme, people, reflections, flash, evaluation, questionnaires, interviews, groups):
        feature.register(registry)
    return registry
