"""Master-data rules shared by the admin, the imports and the CLI (issue 3; R13, R26)."""
import re
from datetime import date, timedelta

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from core.validity import covers

# RFC 5322 "dot-atom" local part and a host name: no `;`, `<`, `>`, `,`, quotes or spaces, which a mail
# library would refuse only when sending (review finding: `a;b@c.d` passed and then stuck in the outbox)
EMAIL_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                      r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")


def bfs_problem(bfs_nr: int | None) -> str | None:
    if bfs_nr is None or not 1000 <= bfs_nr <= 9999:
        return "Die BFS-Nummer muss vierstellig sein."
    return None


def normalise_iban(value: str | None) -> str | None:
    """A valid Swiss or Liechtenstein IBAN in compact form; raises ValueError with a German text."""
    if not value or not value.strip():
        return None
    try:
        iban = IBAN(value)
    except SchwiftyException:
        raise ValueError(f"«{value}» ist keine gültige IBAN.") from None
    if iban.country_code not in ("CH", "LI"):
        raise ValueError("Zahlungen gehen nur an Gemeinden mit Schweizer oder Liechtensteiner IBAN.")
    return iban.compact


def email_problem(value: str | None) -> str | None:
    if value and not EMAIL_RE.match(value):
        return f"«{value}» ist keine gültige E-Mail-Adresse."
    return None


def address_problem(street: str | None, postcode: str | None) -> str | None:
    """The postal address of a municipality's administration, as the QR-bill standard accepts it (issue 16)."""
    if postcode and not re.fullmatch(r"\d{4}", postcode):
        return f"PLZ «{postcode}»: bitte vier Ziffern (Schweizer Postleitzahl)."
    if street and (len(street) > 70 or "\n" in street or "\r" in street):
        return "Strasse: eine Zeile mit höchstens 70 Zeichen (QR-Einzahlungsschein)."


PHONE_RE = re.compile(r"^\+?[0-9 ()/.\-]+$")


def phone_problem(value: str | None) -> str | None:
    """A plausible phone number: digits with the usual separators, 9–15 digits (e.g. 032 627 23 45)."""
    if not value:
        return None
    digits = sum(ch.isdigit() for ch in value)
    if not PHONE_RE.match(value) or not value.isascii() or not 9 <= digits <= 15:
        return f"«{value}» ist keine gültige Telefonnummer (z. B. 032 627 23 45 oder +41 32 627 23 45)."
    return None


def validity_problem(valid_from: date | None, valid_to: date | None) -> str | None:
    if valid_from and valid_to and valid_to < valid_from:
        return "Das Ende der Gültigkeit liegt vor dem Beginn."
    return None


def successor_problem(predecessor_valid_to: date | None, successor_valid_from: date | None,
                      successor_valid_to: date | None) -> str | None:
    """R26: the successor must exist from the day after its predecessor ends."""
    if predecessor_valid_to is None:
        return "Eine Nachfolgegemeinde setzt ein Gültigkeitsende (aufgehoben per) voraus."
    first_day = predecessor_valid_to + timedelta(days=1)
    if not covers(successor_valid_from, successor_valid_to, first_day):
        return f"Die Nachfolgegemeinde muss ab dem {first_day:%d.%m.%Y} gültig sein."
    return None
