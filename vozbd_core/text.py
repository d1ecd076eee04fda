"""pt-BR text helpers shared by every surface: numbers and dates through Babel (CLDR), and pluralisation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

LOCALE = "pt_BR"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``"1 linha"``, ``"3 linhas"``; ``plural_form`` for irregular words (``"mês"``/``"meses"``)."""
    return f"{count} {singular if count == 1 else plural_form or singular + 's'}"


_GENDERS = {"female": "feminina", "male": "masculina"}


def voice_gender(gender: str | None) -> str:
    """A voice's gender as users read it (``"female"`` → ``"feminina"``); unknown values pass through."""
    return _GENDERS.get((gender or "").lower(), gender or "")


def format_number(value: int | float | Decimal, *, decimals: int | None = None, group_from: int = 0) -> str:
    """A number in pt-BR (``1.234,56``). ``decimals`` fixes the fraction digits; integers below ``group_from``
    keep no thousands separator (years, ids)."""
    from babel.numbers import format_decimal

    if decimals is None and isinstance(value, int) and abs(value) < group_from:
        return str(value)
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") if decimals is not None else None
    return str(format_decimal(value, format=pattern, locale=LOCALE))


def format_percent(fraction: float | None, *, decimals: int = 1) -> str:
    """A fraction as a pt-BR percentage (``0.5`` → ``"50,0%"``); ``"—"`` for None (nothing to measure)."""
    return "—" if fraction is None else format_number(100 * fraction, decimals=decimals) + "%"


def format_date(value: dt.date) -> str:
    """``30/06/2026`` (with ``14:05`` for a datetime, ``14:05:09`` when it has seconds)."""
    from babel.dates import format_date as babel_date
    from babel.dates import format_time

    text = str(babel_date(value, "dd/MM/yyyy", locale=LOCALE))
    if isinstance(value, dt.datetime):
        text += " " + str(format_time(value, "HH:mm:ss" if value.second else "HH:mm", locale=LOCALE))
    return text
