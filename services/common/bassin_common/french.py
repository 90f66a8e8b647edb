"""French formats, as the trade reads them (UI.md): ``1 234,50 €`` (a narrow no-break space
between thousands, a no-break space before €), ``29/11/2026``, ``14:30``, ``20 %``.

Babel with the ``fr_FR`` locale does the work; nothing is formatted by hand.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent

LOCALE = "fr_FR"


def euros(amount: Decimal | int | str) -> str:
    """``1234.5`` → ``1 234,50 €``."""
    return format_currency(Decimal(amount), "EUR", locale=LOCALE)


def number(value: Decimal | int | str, places: int | None = None) -> str:
    """``1234.5`` → ``1 234,5``; with ``places``, exactly that many decimals, rounded half up
    (as French documents round, where Babel would round half to even)."""
    if places is None:
        return format_decimal(Decimal(value), locale=LOCALE)
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return format_decimal(rounded, format="#,##0" + ("." + "0" * places if places else ""), locale=LOCALE)


def percent(rate: Decimal | int | str) -> str:
    """A rate in percent (VAT ``20.00``) → ``20 %``; ``5.50`` → ``5,5 %``."""
    return format_percent(Decimal(rate) / 100, format="#,##0.##\u00a0%", locale=LOCALE)


def day(value: date | datetime) -> str:
    """``29/11/2026``."""
    return format_date(value, format="dd/MM/yyyy", locale=LOCALE)


def moment(value: datetime) -> str:
    """``29/11/2026 14:30``, in the value's own time zone."""
    return format_datetime(value, format="dd/MM/yyyy HH:mm", tzinfo=value.tzinfo, locale=LOCALE)
