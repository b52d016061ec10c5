"""Helpers shared by every cog: actors, checks, replies, rendering and error mapping."""
