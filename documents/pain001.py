"""ISO 20022 payment file pain.001.001.09 after the Swiss Payment Standards (SPS 2025, IG 2.2, `.ch.03`), issue 16.

Plain dataclasses in, bytes out; no database. Why not `sepaxml.SepaTransfer`: it always writes
`ChrgBr` SLEV (the SEPA code; SPS leaves it out for domestic CHF payments, type D), draws random
message and payment-information ids (a second upload of the same run would not be caught by the bank's
duplicate check, SPS §3.8), transliterates every umlaut although SPS permits them (§3.1), and writes
no creditor address in the structured form SPS requires from November 2025 (§3.11: TwnNm and Ctry).
Its bundled ISO schema `pain.001.001.09.xsd` is what `validate` checks every file against.

SPS rules applied here: text only from the SPS character set (§3.1: Basic Latin, Latin-1 Supplement,
Latin Extended-A, Ș ș Ț ț €), other characters transliterated or dropped, control characters removed,
only SP as space; reference elements (MsgId, PmtInfId, EndToEndId) from the restricted set of §3.2,
not starting with a space or "/", no "//", not ending with "/"; no empty elements (§3.4); amounts with a
point and two decimals (§3.7); lengths: Nm 70, TwnNm 35, Ustrd 140, ids 35.
"""
import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from importlib.resources import files

import xmlschema

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
SCHEMA = "pain.001.001.09"
SPS_IG_VERSION = "0220"  # SPS IG Customer Credit Transfer 2.2 (2025), format nnnn (§3.9)
CURRENCY = "CHF"
NAME_MAX, TOWN_MAX, REMITTANCE_MAX, ID_MAX = 70, 35, 140, 35
CENT = Decimal("0.01")

# Characters outside the SPS set that have an obvious equivalent inside it (typography, the de-CH ’).
_REPLACEMENTS = {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u201c": '"',
                 "\u201d": '"', "\u201e": '"', "\u2033": '"', "\u2010": "-", "\u2011": "-", "\u2012": "-",
                 "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-", "\u2026": "...", "\u2022": "-",
                 "\u00ad": ""}
_REFERENCE_CHARS = re.compile(r"[^A-Za-z0-9'()+,\-./:? ]")
_BIC = re.compile(r"^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")


class Pain001Error(ValueError):
    """The input cannot become a valid SPS payment file (German message)."""


def sps_allowed(char: str) -> bool:
    """SPS §3.1: the printable characters of Basic Latin, Latin-1 Supplement, Latin Extended-A, Ș ș Ț ț and €."""
    code = ord(char)
    return (0x20 <= code <= 0x7E or 0xA1 <= code <= 0x17F or 0x218 <= code <= 0x21B or code == 0x20AC) \
        and code != 0xAD


def _map_char(char: str) -> str:
    if char in _REPLACEMENTS:
        return _REPLACEMENTS[char]
    if sps_allowed(char):
        return char
    if char.isspace():
        return " "  # only SP is a space (§3.3): tabs, line breaks, NBSP
    if unicodedata.category(char).startswith("C"):
        return ""  # control, format, surrogate, private use: removed
    # Transliterate (e.g. ǅ → Dž, ﬁ → fi, full-width digits); what has no SPS form is dropped.
    decomposed = unicodedata.normalize("NFKD", char)
    kept = "".join(c for c in decomposed if sps_allowed(c))
    return unicodedata.normalize("NFC", kept)


def sps_text(value: str | None, limit: int, fallback: str = "") -> str:
    """Text from the SPS character set, single spaces, stripped, at most `limit` characters (never empty)."""
    text = "".join(_map_char(char) for char in unicodedata.normalize("NFC", value or ""))
    text = re.sub(" +", " ", text).strip()[:limit].rstrip()
    if not text:
        if not fallback:
            raise Pain001Error("Ein Text der Zahlungsdatei ist nach der Umwandlung in den SPS-Zeichensatz leer.")
        return sps_text(fallback, limit)
    return text


def sps_reference(value: str, limit: int = ID_MAX) -> str:
    """A reference element (§3.2): restricted characters, no leading space or "/", no "//", no trailing "/"."""
    text = _REFERENCE_CHARS.sub("", unicodedata.normalize("NFKD", sps_text(value, 10 * limit)))  # é → e
    text = re.sub("/+", "/", text).lstrip(" /")[:limit].rstrip(" /")
    if not text:
        raise Pain001Error(f"Referenz «{value}» enthält keine zulässigen Zeichen (SPS §3.2).")
    return text


def amount_text(amount: Decimal) -> str:
    """CHF with a point and two decimals (§3.7)."""
    if amount != amount.quantize(CENT):
        raise Pain001Error(f"Betrag {amount} hat mehr als zwei Dezimalstellen.")
    return f"{amount.quantize(CENT):f}"


@dataclass(frozen=True)
class Debtor:
    """The canton: account holder, account and its bank (settings canton.name, canton.iban, canton.bic)."""

    name: str
    iban: str
    bic: str


@dataclass(frozen=True)
class Transfer:
    """One credit transfer to a payee in CHF (SPS payment type D: domestic, IBAN)."""

    end_to_end_id: str
    amount: Decimal
    creditor_name: str
    creditor_town: str
    creditor_country: str
    iban: str
    remittance: str


@dataclass(frozen=True)
class PaymentFile:
    """One message with one payment-information block (one debit account, one execution date)."""

    message_id: str
    payment_info_id: str
    created_at: datetime
    execution_date: date
    debtor: Debtor
    transfers: tuple[Transfer, ...]
    software: str = "start.integration"
    provider: str = "Kanton Solothurn"

    @property
    def control_sum(self) -> Decimal:
        return sum((t.amount for t in self.transfers), Decimal("0.00"))


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def _check(payment: PaymentFile) -> None:
    if not payment.transfers:
        raise Pain001Error("Die Zahlungsdatei enthält keine Zahlung.")
    if not _BIC.match(payment.debtor.bic or ""):
        raise Pain001Error(f"BIC der Bank des Kantons «{payment.debtor.bic}» ist ungültig (Einstellung canton.bic).")
    ids = [t.end_to_end_id for t in payment.transfers]
    if len(set(ids)) != len(ids):
        raise Pain001Error("End-to-End-Referenzen der Zahlungsdatei sind nicht eindeutig.")
    for transfer in payment.transfers:
        if transfer.amount <= 0:
            raise Pain001Error(f"Betrag {transfer.amount} an {transfer.creditor_name} ist nicht positiv.")


def build(payment: PaymentFile) -> bytes:
    """The pain.001.001.09 message as UTF-8 bytes (no BOM, §3.1); the XML writer escapes & < > (§3.1)."""
    _check(payment)
    ET.register_namespace("", NAMESPACE)
    q = f"{{{NAMESPACE}}}"
    document = ET.Element(f"{q}Document")
    root = _sub(document, f"{q}CstmrCdtTrfInitn")
    count, total = str(len(payment.transfers)), amount_text(payment.control_sum)
    message_id = sps_reference(payment.message_id)

    header = _sub(root, f"{q}GrpHdr")
    _sub(header, f"{q}MsgId", message_id)
    _sub(header, f"{q}CreDtTm", payment.created_at.replace(microsecond=0, tzinfo=None).isoformat())
    _sub(header, f"{q}NbOfTxs", count)
    _sub(header, f"{q}CtrlSum", total)
    initiating = _sub(header, f"{q}InitgPty")
    _sub(initiating, f"{q}Nm", sps_text(payment.debtor.name, NAME_MAX))
    contact = _sub(initiating, f"{q}CtctDtls")
    for channel, value in (("NAME", payment.software), ("PRVD", payment.provider), ("SPSV", SPS_IG_VERSION)):
        other = _sub(contact, f"{q}Othr")
        _sub(other, f"{q}ChanlTp", channel)
        _sub(other, f"{q}Id", sps_text(value, 128))

    info = _sub(root, f"{q}PmtInf")
    _sub(info, f"{q}PmtInfId", sps_reference(payment.payment_info_id))
    _sub(info, f"{q}PmtMtd", "TRF")
    _sub(info, f"{q}BtchBookg", "true")  # one debit for the run (SPS recommends true)
    _sub(info, f"{q}NbOfTxs", count)
    _sub(info, f"{q}CtrlSum", total)
    _sub(_sub(info, f"{q}ReqdExctnDt"), f"{q}Dt", payment.execution_date.isoformat())
    _sub(_sub(info, f"{q}Dbtr"), f"{q}Nm", sps_text(payment.debtor.name, NAME_MAX))
    _sub(_sub(_sub(info, f"{q}DbtrAcct"), f"{q}Id"), f"{q}IBAN", payment.debtor.iban)
    _sub(_sub(_sub(info, f"{q}DbtrAgt"), f"{q}FinInstnId"), f"{q}BICFI", payment.debtor.bic)
    # No ChrgBr: optional for type D and, if given, on B or C level only (SPS IG 2.2, Charge Bearer).

    for transfer in payment.transfers:
        tx = _sub(info, f"{q}CdtTrfTxInf")
        _sub(_sub(tx, f"{q}PmtId"), f"{q}EndToEndId", sps_reference(transfer.end_to_end_id))
        _sub(_sub(tx, f"{q}Amt"), f"{q}InstdAmt", amount_text(transfer.amount), Ccy=CURRENCY)
        creditor = _sub(tx, f"{q}Cdtr")
        name = sps_text(transfer.creditor_name, NAME_MAX, fallback=transfer.end_to_end_id)
        _sub(creditor, f"{q}Nm", name)
        address = _sub(creditor, f"{q}PstlAdr")  # structured: TwnNm and Ctry always (§3.11)
        _sub(address, f"{q}TwnNm", sps_text(transfer.creditor_town, TOWN_MAX, fallback=name))
        _sub(address, f"{q}Ctry", transfer.creditor_country)
        _sub(_sub(_sub(tx, f"{q}CdtrAcct"), f"{q}Id"), f"{q}IBAN", transfer.iban)
        _sub(_sub(tx, f"{q}RmtInf"), f"{q}Ustrd", sps_text(transfer.remittance, REMITTANCE_MAX, fallback="-"))
    return ET.tostring(document, encoding="utf-8", xml_declaration=True)


@lru_cache(maxsize=1)
def _schema() -> xmlschema.XMLSchema:
    """Parsed once per process (about a second); every later file is checked in milliseconds."""
    return xmlschema.XMLSchema(str(files("sepaxml") / "schemas" / f"{SCHEMA}.xsd"))


def schema_errors(data: bytes) -> list[str]:
    """The ISO 20022 schema's complaints about a file (empty when valid); the XSD ships with sepaxml."""
    return [str(error.reason or error) for error in _schema().iter_errors(data.decode("utf-8"))]
