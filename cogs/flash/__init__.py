"""Flash Reports: /share, /story, "Add to Flash Report", 📌 nominations and the /flash group."""

from cogs.flash.cog import setup

__all__ = ["setup"]
