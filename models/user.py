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
