"""The programme: per-server configuration, sessions, reminders, calendars and RSVPs.

Start at service.ProgrammeService (the use-cases the cogs call) and reminders.register_programme_handlers
(the delivery handlers the app registers on the dispatcher).
"""
