"""French formats, as the trade reads them (UI.md): ``1 234,50 €`` (a narrow no-break space
between thousands, a no-break space before €), ``29/11/2026``, ``14:30``, ``20 %``; and the
companies' calendar, where a day is a day in France.

Babel with the ``fr_FR`` locale does the work; nothing is formatted by hand.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent

LOCALE = "fr_FR"
TIMEZONE = ZoneInfo("Europe/Paris")


def business_day(at: datetime | None = None) -> date:
    """The day in France at ``at`` (now by default). Servers keep UTC, so between midnight
    and 01:00 or 02:00 in Paris the UTC date is still yesterday's: a ticket, an invoice or a
    purchase order dated by the server's calendar would land on the wrong day (and, on the
    last night of a month, in the wrong month of the accounting export)."""
    return (at or datetime.now(UTC)).astimezone(TIMEZONE).date()


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
