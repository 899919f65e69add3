"""Evidence documents for sampled reports (R24): checked by content, stored outside static/ under random names.

The type is taken from the file's first bytes (magic numbers), never from the name or the browser's
Content-Type, and must agree with the name's extension; the name is kept for display only, and a name
with a path in it is refused outright rather than silently cut.
"""
import hashlib
import os
import re
import secrets
import unicodedata
from pathlib import Path

from auth.policy import require
from models import EVIDENCE_TYPES, Evidence, SampleItem, User, db

from .audit import Actor, record, snapshot
from .errors import DomainError

EXTENSIONS = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
MAGIC = [(b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg")]
MAX_NAME = 120
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069\"<>|:*?]")  # incl. bidi overrides


def detect_type(data: bytes) -> str | None:
    """The content type by magic number: PDF, PNG or JPEG, else None."""
    for magic, content_type in MAGIC:
        if data.startswith(magic):
            return content_type
    return None


def _refuse(message: str) -> DomainError:
    return DomainError(message, {"file": [message]})


def clean_name(filename: str) -> str:
    """The display name, or a refusal for a path, a control character or a name without a known extension."""
    name = unicodedata.normalize("NFC", filename or "").strip()
    if not name:
        raise _refuse("Bitte eine Datei wählen.")
    if "/" in name or "\\" in name or ".." in name or _UNSAFE.search(name):
        raise _refuse("Der Dateiname darf keinen Pfad und keine Sonderzeichen enthalten; bitte die Datei "
                      "umbenennen (z. B. «Beleg.pdf»).")
    if len(name) > MAX_NAME:
        raise _refuse(f"Der Dateiname ist zu lang (höchstens {MAX_NAME} Zeichen).")
    if Path(name).suffix.lower() not in EXTENSIONS:
        raise _refuse("Nur PDF-, JPEG- oder PNG-Dateien (.pdf, .jpg, .jpeg, .png).")
    return name


def check_upload(filename: str, data: bytes, max_bytes: int) -> tuple[str, str]:
    """(display name, detected type) or a German refusal: empty, too large, or not what its name says."""
    name = clean_name(filename)
    if not data:
        raise _refuse("Die Datei ist leer.")
    if len(data) > max_bytes:
        limit = f"{max_bytes // 1048576} MB" if max_bytes >= 1048576 else f"{max_bytes // 1024} KB"
        raise _refuse(f"Die Datei ist zu gross (höchstens {limit}).")
    detected = detect_type(data)
    expected = EXTENSIONS[Path(name).suffix.lower()]
    if detected != expected:
        found = EVIDENCE_TYPES.get(detected, "kein PDF, JPEG oder PNG")
        raise _refuse(f"Die Datei «{name}» ist nicht, was ihr Name sagt ({EVIDENCE_TYPES[expected]} erwartet, "
                      f"Inhalt: {found}).")
    return name, detected


def upload(user: User, item_id: int, filename: str, data: bytes, directory: Path, max_bytes: int) -> Evidence:
    """Store one evidence file for a sampled report of the officer's own municipality (R12, R24)."""
    item = SampleItem.get_or_none(SampleItem.id == item_id)
    if item is None:
        raise DomainError("Unbekannter Stichprobenposten.")
    require(user, "evidence.upload", item)
    if item.requested_at is None:
        raise _refuse("Für dieses Reporting wurden keine Belege angefordert.")
    if item.status == "decided":
        raise _refuse("Die Stichprobe zu diesem Reporting ist bereits beurteilt; Belege werden nicht mehr "
                      "angenommen.")
    name, content_type = check_upload(filename, data, max_bytes)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    stored = secrets.token_hex(16)
    path = directory / stored
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    try:
        with db.atomic():
            evidence = Evidence.create(item=item, original_name=name, stored_name=stored, content_type=content_type,
                                       size=len(data), sha256=hashlib.sha256(data).hexdigest(), uploaded_by=user.id)
            record(Actor.of(user), "create", evidence, after=snapshot(evidence), reason=f"Beleg «{name}» hochgeladen")
    except BaseException:
        path.unlink(missing_ok=True)  # no file without its row
        raise
    return evidence


def read(evidence: Evidence, directory: Path) -> bytes:
    """The stored bytes; the name on disk is our random token, never user input."""
    if not re.fullmatch(r"[0-9a-f]{32}", evidence.stored_name):
        raise DomainError("Beleg nicht gefunden.")
    path = directory / evidence.stored_name
    if not path.is_file():
        raise DomainError("Die Belegdatei fehlt im Ablageverzeichnis; bitte die Systembetreuung informieren.")
    return path.read_bytes()
