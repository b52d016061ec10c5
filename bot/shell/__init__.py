"""`blether shell`: a terminal adapter that runs the same core as Discord, with everyone simulated.

It imports no discord (tests/test_layers.py): the ports it implements (Sender, EventMirror, the
programme's ChannelDirectory, members and roles, the clock) live in this package, and every command
goes through the same core services, permission checks and DomainError messages as the Discord cogs.
"""
