"""Discord cogs: translate interactions into core service calls and render the results.

EXTENSIONS is the explicit load order; cogs/_shared is a helper package, never an extension.
"""

EXTENSIONS: tuple[str, ...] = (
    "cogs.about",
    "cogs.programme",
    "cogs.sessions",
    "cogs.flash",
    "cogs.participants",
    "cogs.reflections",
    "cogs.evaluation",
    "cogs.groups",
    "cogs.questionnaires",
    "cogs.interviews",
    "cogs.stories",
)
