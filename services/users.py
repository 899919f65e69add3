"""Create users and set passwords, with validation and audit (CLI, admin and imports use it)."""
from datetime import date

from auth import second_factor
from auth.passwords import hash_password, password_problems
from auth.policy import require
from auth.session import REAUTH_MESSAGE
from models import ROLES, Municipality, OfficerAssignment, User, db, utcnow

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


# --- second factor (issue 20) ----------------------------------------------------------------------

def confirm_enrolment(user: User, secret: str, code: str) -> list[str]:
    """Store `secret` and enable the factor once `code` proves the app holds it; returns the ten recovery codes.

    The secret lives only in the enrolling browser's session until then: one who knows only the password and
    opens the enrolment page learns a secret that is never stored (review finding)."""
    if second_factor.enrolled(user):
        raise DomainError("Der zweite Faktor ist bereits eingerichtet.")
    if not secret or not second_factor.verify_totp(user, code, secret=secret):
        raise DomainError("Der Code stimmt nicht. Bitte den aktuellen 6-stelligen Code der App eingeben.",
                          {"code": ["Der Code stimmt nicht."]})
    codes, hashes = second_factor.new_recovery_codes()
    with db.atomic():
        before = snapshot(user)
        updated = (User.update(totp_secret=secret, totp_enabled_at=utcnow(), recovery_codes_json=hashes)
                   .where((User.id == user.id) & User.totp_enabled_at.is_null()).execute())
        if updated != 1:
            raise DomainError("Der zweite Faktor ist bereits eingerichtet.")
        fresh = User.get_by_id(user.id)
        record(Actor.of(user), "enable_second_factor", fresh, before=before, after=snapshot(fresh),
               reason="Zweiter Faktor eingerichtet")
    return codes


def reset_second_factor(admin: User, user_id: int, fresh: bool) -> User:
    """An admin removes a user's factor (lost phone): the user enrols again at the next login; sessions end."""
    require(admin, "user.reset_second_factor")
    if not fresh:
        raise DomainError(REAUTH_MESSAGE)
    with db.atomic():
        user = User.get_or_none(User.id == user_id)
        if user is None:
            raise DomainError("Unbekannter Benutzer.")
        before = snapshot(user)
        User.update(totp_secret=None, totp_enabled_at=None, totp_last_step=0, recovery_codes_json="[]",
                    session_version=User.session_version + 1).where(User.id == user.id).execute()
        user = User.get_by_id(user.id)
        record(Actor.of(admin, fresh=True), "reset_second_factor", user, before=before, after=snapshot(user),
               reason="Zweiter Faktor zurückgesetzt: Neueinrichtung bei der nächsten Anmeldung")
    return user
