"""Create users and set passwords, with validation and audit (CLI, admin and imports use it)."""
from datetime import date

from auth.passwords import hash_password, password_problems
from models import ROLES, Municipality, OfficerAssignment, User, db

from .audit import Actor, record, snapshot
from .errors import DomainError
from .validation import EMAIL_RE


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def check_password(password: str, user_email: str, name: str = "") -> None:
    problems = password_problems(password, (user_email, user_email.split("@")[0], *name.split()))
    if problems:
        raise DomainError(" ".join(problems), {"password": problems})


def create_user(actor: Actor, email: str, role: str, password: str | None, name: str = "",
                municipality_bfs: int | None = None, valid_from: date | None = None) -> User:
    """A new user; officers get an assignment to their municipality from `valid_from`."""
    email = normalise_email(email)
    errors: dict[str, list[str]] = {}
    if not EMAIL_RE.match(email):
        errors["email"] = ["Bitte eine gültige E-Mail-Adresse angeben."]
    elif User.select().where(User.email == email).exists():
        errors["email"] = [f"Es gibt bereits einen Benutzer mit der E-Mail {email}."]
    if role not in ROLES:
        errors["role"] = [f"Unbekannte Rolle «{role}» (erlaubt: {', '.join(ROLES)})."]
    municipality = None
    if municipality_bfs is not None:
        municipality = Municipality.get_or_none(Municipality.bfs_nr == municipality_bfs)
        if municipality is None:
            errors["municipality"] = [f"Unbekannte BFS-Nummer {municipality_bfs}."]
        elif role != "officer":
            errors["municipality"] = ["Eine Gemeinde kann nur Integrationsbeauftragten zugeordnet werden."]
    elif role == "officer":
        errors["municipality"] = ["Integrationsbeauftragte brauchen eine Gemeinde (BFS-Nummer)."]
    if password is not None:
        try:
            check_password(password, email, name)
        except DomainError as exc:
            errors.update(exc.field_errors)
    if errors:
        raise DomainError(" ".join(m for msgs in errors.values() for m in msgs), errors)
    with db.atomic():
        user = User.create(
            email=email, name=name.strip(), role=role,
            password_hash=hash_password(password) if password is not None else None,
        )
        record(actor, "create", user, after=snapshot(user))
        if municipality is not None:
            assignment = OfficerAssignment.create(
                user=user, municipality=municipality, valid_from=valid_from or date.today()
            )
            record(actor, "create", assignment, after=snapshot(assignment))
    return user


def set_password(actor: Actor, email: str, password: str) -> User:
    """Set a new password; every existing session of the user ends (SESS-02)."""
    user = User.get_or_none(User.email == normalise_email(email))
    if user is None:
        raise DomainError(f"Unbekannter Benutzer {email}.", {"email": ["Unbekannter Benutzer."]})
    check_password(password, user.email, user.name)
    with db.atomic():
        before = snapshot(user)
        user.password_hash = hash_password(password)
        user.session_version += 1
        user.save()
        record(actor, "update", user, before=before, after=snapshot(user), reason="Passwort gesetzt")
    return user


def end_sessions(user: User) -> None:
    """Invalidate every session cookie of the user (logout, deactivation)."""
    User.update(session_version=User.session_version + 1).where(User.id == user.id).execute()
