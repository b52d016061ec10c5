"""The delivery engine: one outbox table and one dispatcher for everything Blether posts on a schedule."""
