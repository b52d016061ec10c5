"""Blether: a Discord bot for facilitated community learning programmes."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("blether")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
