"""Names vulture reports as unused that are used on purpose (vulture reads this file as code that uses them).

Framework hooks (discord.py commands, listeners, DynamicItem and Transformer methods, SQLAlchemy type
hooks) are ignored by name or decorator in pyproject.toml's [tool.vulture]; what is listed here is kept for
a reason given beside it. Anything else vulture finds is dead: delete it, or give it its command.
"""

# ruff: noqa: B018, F821

# Read by the framework or by name, never by a call vulture can see.
_.guild_reactions  # discord.Intents flag (bot/client.py)
_.DEFAULT_GATEWAY  # discord.py HTTP/gateway endpoint override (bot/endpoints.py)
_.Handler  # logging.handlers class attribute in the CLI's logging setup (bot/cli.py)
_.metadata  # SQLAlchemy declarative base (bot/core/storage/models/base.py)
_.compress_type  # zipfile.ZipInfo attribute (bot/core/evaluation/exports.py)
Axes  # a string annotation under TYPE_CHECKING (bot/core/evaluation/charts.py)
exc_type  # __aexit__ signature (bot/core/storage/database.py, lock.py)
tb  # __aexit__ signature
_.retried  # DispatcherStats fields are read by name (DispatcherStats(**counts), /about, benchmarks)
_.failed
_.deferred

# TypedDict keys that are keyword arguments of library calls, passed by ** unpacking (typed for mypy).
_.color  # Axes.bar/barh style (bot/core/evaluation/charts.py)
_.edgecolor
_.hatch
_.linewidth
_.allowed_mentions  # message and reply keywords (bot/discord_ports.py, cogs/_shared/replies.py)
_.ephemeral
_.start_time  # Guild.create_scheduled_event / ScheduledEvent.edit (bot/discord_ports.py)
_.end_time
_.privacy_level

ThreadArchiveDuration  # imported for type checkers only, named in a cast string (bot/discord_ports.py)

# Stored columns and the frozen dataclasses that mirror them (exports, /me data, tests read them).
_.last_error
_.sent_at
_.created_by
_.is_default
_.editing
_.ran_at
_.abbreviation
_.acquired  # RateLimiter counters: read by bench/fanout.py and the limiter tests
_.waited_seconds

# The core's test clock and test/recovery helpers.
_.ManualClock
_.advance
_.downgrade_to  # tests/test_migrations.py and operators recovering a database
_.record_many  # bench/write_throughput.py writes audit entries in bulk through it
_.mark_sent  # the single-row form of mark_sent_many, kept beside it (tests/core/delivery)

# Read APIs the tests observe the services through (and the command line / other adapters may use).
_.get_session
_.list_participants
_.consent_texts
_.my_consent_history
_.list_responses
_.session_question_set
_.is_flash_id

# Constants the tests check the limits against.
_.PNG_MAGIC
_.PRIVACY_LIMIT
_.SETTINGS

# In render.py modules, which the platform-neutral output rework owns: left for it to keep or drop.
_.session_link
_.FIELD_NAME_MAX
_.FIELD_VALUE_MAX
_.FIELDS_MAX

# Merged from work in progress, used by its tests and benchmarks until its adapters call it: the small-group
# assignment (bot/core/groups, no command yet) and the rich-text model the renderers adopt (bot/core/messages.py).
_.assign_groups
_.random_groups
_.mix_figures
_.groups_with_same_community_pair
_.same_community_pairs
_.repeat_pairs
_.distinct_community_pairs
_.SHORT
_.DATE
_.TIME
_.RELATIVE
_.emphasis
_.strong
_.italic
_.struck
_.code

# Small groups and connections (bot/core/groups): stored columns read by exports and erasure, enum members
# built from button ids by value, and the attribute the permission matrix reads to find facilitator buttons.
_.details
_.added_at
_.answered_at
_.YES
_.NOT_YET
_.facilitator_only
