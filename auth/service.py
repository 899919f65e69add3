"""Check credentials; unknown users and wrong passwords cost the same and look the same."""
from models import User

from .passwords import hash_password, needs_rehash, verify_password


def authenticate(email: str, password: str) -> User | None:
    user = User.get_or_none(User.email == (email or "").strip().lower())
    ok = verify_password(user.password_hash if user else None, password or "")
    if not (user and ok and user.active):
        return None
    if needs_rehash(user.password_hash):
        User.update(password_hash=hash_password(password)).where(User.id == user.id).execute()
    return user


def load_user(token: str) -> User | None:
    """Flask-Login loader: the session must carry the user's current session version (SESS-02)."""
    user_id, _, version = (token or "").partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = User.get_or_none(User.id == int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user
