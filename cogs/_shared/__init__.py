"""What every cog shares; never an extension.

actors (the Actor of an interaction), checks (server-only commands, the facilitator marker), services (the
core's services from an interaction), files (core attachments as discord.File), buttons (persistent buttons
and routed forms read their custom_id with the core's strict parsers), interactions (the modal router),
replies (ephemeral replies and the one error mapping), sessions (the session option by number).
"""
