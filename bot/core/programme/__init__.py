"""The programme: per-server configuration, sessions, reminders, calendars and RSVPs.

Start at service.ProgrammeService (the use-cases the cogs call) and deliveries.register (the delivery
handlers the app registers on the dispatcher).
"""
