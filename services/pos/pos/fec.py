"""The accounting export as the legal FEC ("Fichier des Écritures Comptables", article
A47 A-1 of the French tax procedure book), as plain Python: entries made from tickets,
invoices, credit notes and payments, written as its 18 tab-separated columns.

Journals and accounts (a pool shop's usual chart; the accountant maps them if theirs differ):

- ``CA`` (caisse): each ticket — debit what each payment method brought in (cash 530000,
  card 511500, cheques 511200, transfer 512000, voucher 419800, the customer's account
  411000), credit the sales (707000) and the VAT collected (445710) per rate; a refund
  the other way round.
- ``VE`` (ventes): each invoice — debit the customer (411000, the customer as auxiliary
  account), credit the services sold (706000) or, for a deposit, the deposits received
  (419100), and the VAT per rate; a credit note the other way round. An invoice of a till
  sale is not entered again: its ticket is.
- ``BQ`` (banque): each payment of an invoice — debit the bank (or cash, cheques),
  credit the customer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bassin_common.money import ZERO

COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
JOURNALS = {"CA": "Caisse", "VE": "Ventes", "BQ": "Banque"}
ACCOUNTS = {
    "707000": "Ventes de marchandises",
    "706000": "Prestations de services",
    "419100": "Clients - avances et acomptes reçus",
    "445710": "TVA collectée",
    "411000": "Clients",
    "530000": "Caisse",
    "511500": "Cartes bancaires à encaisser",
    "511200": "Chèques à encaisser",
    "512000": "Banque",
    "419800": "Clients - avoirs et bons d'achat",
}
METHOD_ACCOUNTS = {
    "cash": "530000",
    "card": "511500",
    "cheque": "511200",
    "transfer": "512000",
    "direct_debit": "512000",
    "voucher": "419800",
    "account": "411000",
}


@dataclass(frozen=True)
class Movement:
    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    auxiliary: tuple[str, str] = ("", "")  # a customer: (number, name)


@dataclass(frozen=True)
class Entry:
    journal: str
    on: date
    piece: str
    label: str
    movements: tuple[Movement, ...]

    @property
    def balanced(self) -> bool:
        return sum((m.debit for m in self.movements), ZERO) == sum((m.credit for m in self.movements), ZERO)


def ticket_entry(
    piece: str,
    on: date,
    label: str,
    sign: int,
    methods: Iterable[tuple[str, Decimal]],
    vat: Iterable[tuple[Decimal, Decimal, Decimal]],
    customer: tuple[str, str] = ("", ""),
) -> Entry:
    """A ticket (``sign`` 1) or a refund (-1): methods debited, sales and VAT credited."""
    movements = []
    for method, amount in methods:
        aux = customer if method == "account" else ("", "")
        movements.append(_side(METHOD_ACCOUNTS[method], sign * amount, debit=True, auxiliary=aux))
    for _rate, total, rate_vat in vat:
        movements.append(_side("707000", sign * (total - rate_vat), debit=False))
        movements.append(_side("445710", sign * rate_vat, debit=False))
    return Entry("CA", on, piece, label, tuple(m for m in movements if m.debit or m.credit))


def invoice_entry(
    piece: str,
    on: date,
    label: str,
    kind: str,
    customer: tuple[str, str],
    total: Decimal,
    vat: Iterable[tuple[Decimal, Decimal, Decimal]],
) -> Entry:
    """An invoice or deposit (the customer debited) or a credit note (credited)."""
    sign = -1 if kind == "credit_note" else 1
    revenue = "419100" if kind == "deposit" else "706000"
    movements = [_side("411000", sign * total, debit=True, auxiliary=customer)]
    for _rate, base, rate_vat in vat:
        movements.append(_side(revenue, sign * base, debit=False))
        movements.append(_side("445710", sign * rate_vat, debit=False))
    return Entry("VE", on, piece, label, tuple(m for m in movements if m.debit or m.credit))


def payment_entry(piece: str, on: date, label: str, method: str, customer: tuple[str, str], amount: Decimal) -> Entry:
    return Entry(
        "BQ",
        on,
        piece,
        label,
        (
            _side(METHOD_ACCOUNTS.get(method, "512000"), amount, debit=True),
            _side("411000", amount, debit=False, auxiliary=customer),
        ),
    )


def _side(account: str, amount: Decimal, *, debit: bool, auxiliary: tuple[str, str] = ("", "")) -> Movement:
    """``amount`` on the debit side (``debit``) or the credit side; a negative amount goes
    to the other side (a refund, a credit note), as accounting wants positive amounts."""
    if (amount >= 0) == debit:
        return Movement(account, debit=abs(amount), auxiliary=auxiliary)
    return Movement(account, credit=abs(amount), auxiliary=auxiliary)


def _amount(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _day(value: date) -> str:
    return value.strftime("%Y%m%d")


def render(entries: list[Entry], validated_on: date) -> str:
    """The FEC file: a header line of the 18 columns, then one line per movement, tab
    separated; entries numbered per journal in date order. Refuses an unbalanced entry."""
    lines = ["\t".join(COLUMNS)]
    counters: dict[str, int] = {}
    for entry in sorted(entries, key=lambda e: (e.journal, e.on, e.piece)):
        if not entry.balanced:
            raise ValueError(f"unbalanced entry {entry.piece}")
        counters[entry.journal] = counters.get(entry.journal, 0) + 1
        number = f"{entry.journal}{counters[entry.journal]:06d}"
        for movement in entry.movements:
            aux_number, aux_label = movement.auxiliary
            row = (
                entry.journal,
                JOURNALS[entry.journal],
                number,
                _day(entry.on),
                movement.account,
                ACCOUNTS[movement.account],
                aux_number,
                aux_label,
                entry.piece,
                _day(entry.on),
                entry.label,
                _amount(movement.debit),
                _amount(movement.credit),
                "",
                "",
                _day(validated_on),
                "",
                "",
            )
            lines.append("\t".join(_clean(str(value)) for value in row))
    return "\r\n".join(lines) + "\r\n"


def _clean(value: str) -> str:
    """No tab nor line break inside a field: they separate fields and lines."""
    return " ".join(value.replace("\t", " ").splitlines())
