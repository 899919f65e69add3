"""Application user with one role; the session version lets logout end copied sessions."""
from datetime import datetime, timezone

from flask_login import UserMixin
from peewee import BooleanField, Check, DateTimeField, IntegerField, TextField

from .base import BaseModel

ROLES = {
    "admin": "Kantonale Koordinationsstelle",
    "officer": "Integrationsbeauftragte/r",
    "accountant": "Buchhaltung",
    "auditor": "Finanzkontrolle",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class User(UserMixin, BaseModel):
    email = TextField(unique=True)
    name = TextField(default="")
    password_hash = TextField(null=True)
    role = TextField(constraints=[Check("role IN ('admin','officer','accountant','auditor')")])
    active = BooleanField(default=True)
    session_version = IntegerField(default=1)
    created_at = DateTimeField(default=utcnow)
    # second factor (issue 20): TOTP secret, confirmed when enrolment succeeded; the last accepted time step
    # makes a code usable once; recovery codes are stored as SHA-256 hashes (they are random, not chosen)
    totp_secret = TextField(null=True)
    totp_enabled_at = DateTimeField(null=True)
    totp_last_step = IntegerField(default=0)
    recovery_codes_json = TextField(default="[]")
    demo = BooleanField(default=False)  # a demo user: its code is shown on the page; refused in production

    def __str__(self):
        return f"{self.name} <{self.email}>" if self.name else self.email

    def get_id(self):
        # The version travels in the session: bumping it invalidates every copied cookie.
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self):
        return bool(self.active)

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)
