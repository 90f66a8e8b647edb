"""Reading a supplier's price list (CSV or XLSX), as plain Python: no database, no broker.

A price list is a CSV file or an Excel workbook (its first sheet) with a header row; the
*mapping* names, for each field Bassin reads, the header of the column holding it:
``reference`` (the supplier's reference) and ``price`` (the purchase price excluding VAT)
are required; ``sku``, ``ean``, ``name``,
``retail_price`` and ``pack_size`` are optional (they match an article the offer does not
know yet, or create one). French files are the norm: ``;`` between columns, a decimal comma,
"12,50 €", spaces or non-breaking spaces between thousands — all read as 12.50.

``parse`` returns the lines it could read and the problems of the others, each naming the
line (as a spreadsheet numbers it: the header is line 1) and the field at fault.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from bassin_common.errors import ValidationFailed

FIELDS = ("reference", "price", "sku", "ean", "name", "retail_price", "pack_size")
REQUIRED = ("reference", "price")
DELIMITERS = (";", ",", "\t", "|")
PRICE_MAX = Decimal("9999999999.99")


@dataclass(frozen=True)
class Line:
    number: int  # in the file, the header being line 1
    reference: str
    price: Decimal
    sku: str | None = None
    ean: str | None = None
    name: str | None = None
    retail_price: Decimal | None = None
    pack_size: int | None = None


@dataclass(frozen=True)
class Problem:
    line: int
    reference: str | None
    field: str
    message: str


def read_price(text: str) -> Decimal:
    """ "1 234,50 €" -> Decimal("1234.50"); ValueError with the reason otherwise."""
    cleaned = text.replace("€", "").replace("\u00a0", "").replace("\u202f", "").replace(" ", "").strip()
    if "," in cleaned and "." in cleaned:  # 1.234,50 (dots between thousands)
        cleaned = cleaned.replace(".", "")
    cleaned = cleaned.replace(",", ".")
    try:
        price = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"not a number: {text!r}") from None
    if not price.is_finite() or price < 0:
        raise ValueError(f"not a price: {text!r}")
    if price > PRICE_MAX:
        raise ValueError("too large")
    if price != price.quantize(Decimal("0.01")):
        raise ValueError(f"more than two decimals: {text!r}")
    return price.quantize(Decimal("0.01"))


def sniff_delimiter(header: str) -> str:
    return max(DELIMITERS, key=header.count)


def parse(content: str, mapping: dict[str, str], delimiter: str | None = None) -> tuple[list[Line], list[Problem]]:
    """The readable lines of ``content`` and the problems of the others.

    A file without the mapped columns is refused whole (``ValidationFailed`` naming
    ``mapping.<field>``); a bad line is reported and left out, the others are read.
    """
    content = content.removeprefix("\ufeff")  # Excel's byte order mark
    header_line = content.split("\n", 1)[0]
    return parse_rows(csv.reader(io.StringIO(content), delimiter=delimiter or sniff_delimiter(header_line)), mapping)


def parse_xlsx(content: str, mapping: dict[str, str]) -> tuple[list[Line], list[Problem]]:
    """As ``parse``, for an Excel workbook sent as base64: its first sheet, header row first."""
    try:
        workbook = base64.b64decode(content, validate=True)
    except binascii.Error:
        raise ValidationFailed.field("content", "an XLSX file is sent as base64") from None
    return parse_rows(xlsx_rows(workbook), mapping)


def xlsx_rows(workbook: bytes) -> Iterator[list[str]]:
    """The first sheet's rows, each cell as the text a CSV export of it would hold."""
    from openpyxl import load_workbook  # only where a workbook is imported
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(io.BytesIO(workbook), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        raise ValidationFailed.field("content", "not an XLSX workbook") from None
    try:
        for row in book.worksheets[0].iter_rows(values_only=True):
            yield [_cell_text(value) for value in row]
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)  # 40512.0 is reference 40512
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def parse_rows(rows: Iterable[list[str]], mapping: dict[str, str]) -> tuple[list[Line], list[Problem]]:
    """The lines and problems of a table whose first row is the header (``parse``'s rules)."""
    reader = iter(rows)
    header = [name.strip() for name in next(reader, [])]
    positions = {name: index for index, name in enumerate(header)}
    columns: dict[str, int] = {}
    errors: dict[str, list[str]] = {}
    for field in REQUIRED:
        if field not in mapping:
            errors[f"mapping.{field}"] = ["required: the header of the column holding it"]
    for field, column in mapping.items():
        if column not in positions:
            errors[f"mapping.{field}"] = [f"no column {column!r} in the file (its columns: {', '.join(header)})"]
        else:
            columns[field] = positions[column]
    if errors:
        raise ValidationFailed("the file does not have the mapped columns", errors)

    lines: list[Line] = []
    problems: list[Problem] = []
    first_line_of: dict[str, int] = {}
    width = max(columns.values()) + 1
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank lines, often at the end
        if len(row) < width:
            row = row + [""] * (width - len(row))
        values = {field: row[index].strip() for field, index in columns.items()}
        reference = values["reference"]
        if not reference:
            problems.append(Problem(number, None, "reference", "missing reference"))
            continue
        if reference in first_line_of:
            problems.append(
                Problem(number, reference, "reference", f"duplicate: also on line {first_line_of[reference]}")
            )
            continue
        first_line_of[reference] = number
        read = _read_line(number, reference, values)
        (lines if isinstance(read, Line) else problems).append(read)
    return lines, problems


def _read_line(number: int, reference: str, values: dict[str, str]) -> Line | Problem:
    if not values["price"]:
        return Problem(number, reference, "price", "missing price")
    prices: dict[str, Decimal | None] = {"price": None, "retail_price": None}
    for field in prices:
        if values.get(field):
            try:
                prices[field] = read_price(values[field])
            except ValueError as error:
                return Problem(number, reference, field, str(error))
    pack_size = values.get("pack_size")
    if pack_size and (not pack_size.isdigit() or not pack_size.isascii() or not 1 <= int(pack_size) <= 100_000):
        return Problem(number, reference, "pack_size", f"not a whole number: {pack_size!r}")
    return Line(
        number,
        reference[:60],
        prices["price"],  # type: ignore[arg-type]
        sku=(values.get("sku") or None) and values["sku"][:60],
        ean=values.get("ean") or None,
        name=(values.get("name") or None) and values["name"][:300],
        retail_price=prices["retail_price"],
        pack_size=int(pack_size) if pack_size else None,
    )
