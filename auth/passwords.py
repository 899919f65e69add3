"""Password hashing (argon2id, OWASP parameters) and the password policy; plain Python."""
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 256
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, type=Type.ID)
_COMMON = frozenset(
    line.strip().lower()
    for line in (Path(__file__).with_name("common_passwords.txt")).read_text("utf-8").splitlines()
    if line.strip() and not line.startswith("#")
)
CONTEXT_WORDS = ("solothurn", "kanton", "gemeinde", "integration", "startintegration", "passwort",
                 "password", "admin", "sozialregion")
# A dummy hash so that unknown users cost the same time as wrong passwords.
DUMMY_HASH = _hasher.hash("timing-equaliser-not-a-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def password_problems(password: str, context: tuple[str, ...] = ()) -> list[str]:
    """German reasons why a password is refused; empty when acceptable (AUTH-01/02)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Das Passwort muss mindestens {MIN_LENGTH} Zeichen lang sein.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Das Passwort darf höchstens {MAX_LENGTH} Zeichen lang sein.")
    folded = "".join(ch for ch in password.lower() if ch.isalnum())
    if password.lower() in _COMMON or folded in _COMMON:
        problems.append("Dieses Passwort ist zu verbreitet.")
    words = [w.lower() for w in context if w and len(w) >= 4]
    stripped = folded.rstrip("0123456789")
    if any(stripped == "".join(ch for ch in w if ch.isalnum()) for w in words + list(CONTEXT_WORDS)):
        problems.append("Das Passwort darf nicht aus Ihrem Namen, Ihrer E-Mail oder dem Anwendungsnamen bestehen.")
    elif len(set(password)) < 4:
        problems.append("Das Passwort besteht aus zu wenigen verschiedenen Zeichen.")
    return problems
