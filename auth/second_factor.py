"""A second factor for the roles that move money, and for financial control (issue 20).

TOTP (RFC 6238, pyotp) with a 30-second step; a code is accepted once (the last step used is stored and
only a later one passes, with a conditional UPDATE so that two concurrent posts of the same code cannot
both pass); ten recovery codes, each usable once, stored as SHA-256 hashes (they are random, 50 bits).
"""
import hashlib
import io
import json
import re
import secrets
import time
from datetime import datetime, timezone

import pyotp
import qrcode
import qrcode.image.svg

from models import User

REQUIRED_ROLES = frozenset({"admin", "accountant", "auditor"})  # officers may opt in
ISSUER = "start.integration SO"
RECOVERY_CODES = 10
_SIX_DIGITS = re.compile(r"[0-9]{6}")
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o/1/l/i: codes are typed from paper


def required(user) -> bool:
    return user.role in REQUIRED_ROLES


def enrolled(user) -> bool:
    return bool(user.totp_secret and user.totp_enabled_at)


def needed(user) -> bool:
    """Asked at login: always for admin, accountant and auditor, for officers once they enrolled."""
    return required(user) or enrolled(user)


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The enrolment QR code as inline SVG (no script, no external image: the CSP stays strict)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode("utf-8")
    return svg[svg.index("<svg"):]


def current_code(secret: str, at: float | None = None) -> str:
    return pyotp.TOTP(secret).at(at if at is not None else time.time())


def demo_code(user, at: float | None = None) -> str | None:
    """For demo users only: the next code that will be accepted (the current one may be used already)."""
    totp = pyotp.TOTP(user.totp_secret)
    step = totp.timecode(_datetime(at if at is not None else time.time()))
    usable = max(step, (user.totp_last_step or 0) + 1)
    return totp.generate_otp(usable) if usable <= step + 1 else None


def _normalise(code: str) -> str:
    return "".join(ch for ch in (code or "") if not ch.isspace() and ch != "-").lower()


def _matching_step(secret: str, code: str, at: float) -> int | None:
    """The time step whose code equals `code`, within one step of clock drift."""
    totp = pyotp.TOTP(secret)
    step = totp.timecode(_datetime(at))
    for candidate in (step, step - 1, step + 1):
        if secrets.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def _datetime(at: float) -> datetime:
    return datetime.fromtimestamp(at, tz=timezone.utc)


def verify_totp(user, code: str, at: float | None = None, secret: str | None = None) -> bool:
    """A valid code of a step later than the last one used; marks the step used (atomically).

    `secret` is the one being enrolled (not stored yet); otherwise the user's own."""
    code = _normalise(code)
    secret = secret or user.totp_secret
    if not secret or not _SIX_DIGITS.fullmatch(code):  # ASCII only: `²²²²²²` is not a code
        return False
    step = _matching_step(secret, code, at if at is not None else time.time())
    if step is None:
        return False
    updated = (User.update(totp_last_step=step)
               .where((User.id == user.id) & (User.totp_last_step < step)).execute())
    if updated == 1:
        user.totp_last_step = step
    return updated == 1


def _hash(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def new_recovery_codes() -> tuple[list[str], str]:
    """Ten fresh codes (shown once) and the JSON of their hashes (stored)."""
    codes = ["-".join("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(2))
             for _ in range(RECOVERY_CODES)]
    return codes, json.dumps([_hash(code) for code in codes])


def use_recovery_code(user, code: str) -> bool:
    """Consume a recovery code (once; a conditional UPDATE on the stored list)."""
    stored = json.loads(user.recovery_codes_json or "[]")
    digest = _hash(code)
    if not code or digest not in stored:
        return False
    remaining = json.dumps([h for h in stored if h != digest])
    updated = (User.update(recovery_codes_json=remaining)
               .where((User.id == user.id) & (User.recovery_codes_json == user.recovery_codes_json)).execute())
    if updated == 1:
        user.recovery_codes_json = remaining
    return updated == 1


def remaining_recovery_codes(user) -> int:
    return len(json.loads(user.recovery_codes_json or "[]"))

