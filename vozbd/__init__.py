"""vozbd: talk to your database in Brazilian Portuguese (composition root)."""

from vozbd_core.version import __version__

__all__ = ["__version__"]
