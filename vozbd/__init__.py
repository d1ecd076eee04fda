"""vozbd: talk to your database in Brazilian Portuguese (composition root)."""

__version__ = "0.1.0"
