"""The platform-free heart of Blether: domain, services, storage and the delivery engine.

Nothing under this package may import discord; adapters (cogs/, a terminal shell, Matrix) call into it.
"""
