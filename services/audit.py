"""Write one audit entry per change, inside the caller's transaction (R23)."""
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from models import AuditEntry

HIDDEN_FIELDS = {"password_hash", "totp_secret", "recovery_codes_json"}


@dataclass(frozen=True)
class Actor:
    """Who acts: a logged-in user or a CLI operator; passed explicitly, never read globally."""

    label: str
    user_id: int | None = None
    fresh: bool = False  # logged in within the last 15 minutes: may change bank data (issue 13)

    @classmethod
    def of(cls, user, fresh: bool = False) -> "Actor":
        return cls(label=user.email, user_id=user.id, fresh=fresh)

    @classmethod
    def cli(cls, who: str = "cli") -> "Actor":
        """An operator on the server: no web session to be stale; the audit log names the command."""
        return cls(label=f"cli:{who}", fresh=True)


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(instance) -> dict:
    """The stored fields of a model instance as JSON-ready values (secrets masked)."""
    data = {}
    for field in instance._meta.sorted_fields:
        value = instance.__data__.get(field.name)
        if field.name in HIDDEN_FIELDS:
            value = "***" if value else None
        data[field.name] = _plain(value)
    return data


def record(actor: Actor, action: str, instance=None, *, before=None, after=None,
           model: str | None = None, record_id=None, reason: str = "") -> AuditEntry:
    """Append an entry; call it inside the same `db.atomic()` as the change."""
    if instance is not None:
        model = model or type(instance).__name__
        record_id = record_id if record_id is not None else instance._pk  # not get_id(): User overrides it
    return AuditEntry.create(
        actor=actor.label,
        user=actor.user_id,
        action=action,
        model=model or "",
        record_id="" if record_id is None else str(record_id),
        before=None if before is None else json.dumps(before, sort_keys=True, ensure_ascii=False),
        after=None if after is None else json.dumps(after, sort_keys=True, ensure_ascii=False),
        reason=reason,
    )


def record_created(actor: Actor, instances, reason: str = "") -> None:
    """One 'create' entry per instance in bulk statements (large imports); same content as `record`."""
    rows = [{"actor": actor.label, "user": actor.user_id, "action": "create", "model": type(instance).__name__,
             "record_id": str(instance._pk), "before": None,
             "after": json.dumps(snapshot(instance), sort_keys=True, ensure_ascii=False), "reason": reason}
            for instance in instances]
    for start in range(0, len(rows), 1000):
        AuditEntry.insert_many(rows[start:start + 1000]).execute()
