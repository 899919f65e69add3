"""One rule for free text from outside (issue 20), the same in admin forms, imports and the portal.

A value must not start with a spreadsheet formula character (=, +, -, @) once Unicode is normalised
(NFKC turns the full-width `＝` into `=`) and invisible characters (zero-width space, BOM, …) are
ignored; control characters are refused (line breaks only where a field allows several lines).
"""
import unicodedata

FORMULA_PREFIXES = ("=", "+", "-", "@")
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e"}
_LINE_BREAKS = {"\n", "\r", "\t"}


def visible_start(value: str) -> str:
    """The first character a spreadsheet sees, after NFKC and without invisible characters."""
    normalised = unicodedata.normalize("NFKC", value)
    for char in normalised.lstrip():
        if char not in _INVISIBLE and not char.isspace():
            return char
    return ""


def text_problem(value: str | None, multiline: bool = False, allow_formula_prefix: bool = False) -> str | None:
    """A German message if the text is not acceptable, else None."""
    if not value:
        return None
    allowed = _LINE_BREAKS if multiline else set()
    if any(unicodedata.category(char) == "Cc" and char not in allowed for char in value) \
            or "\u2028" in value or "\u2029" in value:
        return "Der Text enthält Steuerzeichen." if multiline else "Der Text enthält Steuer- oder Zeilenumbruchzeichen."
    if not allow_formula_prefix and visible_start(value) in FORMULA_PREFIXES:
        return f"Der Text darf nicht mit «{visible_start(value)}» beginnen (Formeln sind nicht erlaubt)."
    return None
