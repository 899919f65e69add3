"""One rule for whole numbers from outside (query strings, filters, form fields, ids) — issue 20.

`int()` accepts `²`-free but surprising input (full-width digits, `_`, spaces) and rejects `²` only after
`isdigit()` said yes; 20-digit ids overflow SQLite's 64-bit integers. Everything parses through here.
"""
import re

DB_INT_MAX = 2**63 - 1  # SQLite INTEGER and PostgreSQL BIGINT
_INT = re.compile(r"-?[0-9]{1,19}")


def parse_int(value, minimum: int | None = None, maximum: int | None = DB_INT_MAX) -> int | None:
    """The number if `value` is ASCII digits (optional leading minus) within the bounds, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value if value is not None else "").strip()
        if not _INT.fullmatch(text):
            return None
        number = int(text)
    if minimum is not None and number < minimum:
        return None
    if maximum is not None and number > maximum:
        return None
    return number


def parse_id(value) -> int | None:
    """A database id: 1 … 2**63-1."""
    return parse_int(value, 1, DB_INT_MAX)
