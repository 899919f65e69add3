"""One rule for free text from outside (issue 20), the same in admin forms, imports and the portal.

A value must not start with a spreadsheet formula character (=, +, -, @) once Unicode is normalised
(NFKC turns the full-width `＝` into `=`) and invisible characters (zero-width space, BOM, …) are
ignored; control characters are refused (line breaks only where a field allows several lines).
"""
import re
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


_RULE = r"R\d+(?:\s?[a-z]\b)?(?:[–/-]R?\d+)?"  # R4, R12 b, R1–R3, R15/R16
_RULE_GROUP = re.compile(rf"\s*\((?:{_RULE}(?:,\s*)?)+\)")  # " (R4, R14)"
_RULE_IN_GROUP = re.compile(rf",\s*{_RULE}(?=[,)])")  # "(§4.3.1, R19)" -> "(§4.3.1)"
_RULE_LEAD = re.compile(rf"(?<=\(){_RULE},\s*")  # "(R16, §4.7)" -> "(§4.7)"
_PARAGRAPH_GROUP = re.compile(r"\s*\(§\s?\d+(?:\.\d+)*\)")  # "Aufgabe 1 (§3.2): …" -> "Aufgabe 1: …"
_PARAGRAPH = re.compile(r"§\s?(\d+(?:\.\d+)*)")


def without_rule_ids(text: str | None) -> str:
    """Text for people (issue 18): no internal rule ids (R19) and no bare paragraph numbers; a clause that
    remains is named as the circular's ("Kreisschreiben Ziff. 3.4.1")."""
    if not text:
        return ""
    text = _RULE_LEAD.sub("", _RULE_IN_GROUP.sub("", _RULE_GROUP.sub("", text)))
    return _PARAGRAPH.sub(_clause, text)


def _clause(match: re.Match) -> str:
    # "KRS-GEF-2017/01 §4.3.1/§4.3.2" names the circular already: only the clause becomes words
    named = "Kreisschreiben" in match.string[max(0, match.start() - 40):match.start()] \
        or "KRS" in match.string[max(0, match.start() - 40):match.start()]
    return f"Ziff. {match.group(1)}" if named else f"Kreisschreiben Ziff. {match.group(1)}"


def label_text(text: str | None) -> str:
    """A field label without its clause in brackets (the help names the legal basis)."""
    return without_rule_ids(_PARAGRAPH_GROUP.sub("", text or ""))
