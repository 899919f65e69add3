"""The documents that pass the review workflow (R22): shared fields and behaviour; not a table itself.

Statuses, their German labels and the allowed transitions are defined here once; `Report` and
`SelfDeclaration` add only what differs (period, deadline, title).
"""
import json
from datetime import date

from peewee import BooleanField, Check, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel
from .user import User


class Status:
    """The stored workflow states (R22)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    ACCEPTED = "accepted"
    EDITABLE = (DRAFT, RETURNED)  # the municipality may still change the values
    FILED = (SUBMITTED, ACCEPTED)  # handed in, counts as filed on time or late (R12 c, R14)


STATUSES = {
    Status.DRAFT: "Entwurf",
    Status.SUBMITTED: "Eingereicht",
    Status.RETURNED: "Zurückgewiesen",
    Status.ACCEPTED: "Akzeptiert",
}

# action -> (statuses it may start from, status it leads to)
TRANSITIONS = {
    "submit": (Status.EDITABLE, Status.SUBMITTED),
    "accept": ((Status.SUBMITTED,), Status.ACCEPTED),
    "return": ((Status.SUBMITTED,), Status.RETURNED),
    "reopen": ((Status.ACCEPTED,), Status.RETURNED),  # R15: an accepted report is corrected
}


class Submittable(BaseModel):
    kind = ""  # "report" | "self_declaration": the form type, the URL prefix and the StatusChange link
    status = TextField(
        default=Status.DRAFT, constraints=[Check(f"status IN ({','.join(repr(s) for s in STATUSES)})")]
    )
    submitted_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    submitted_at = DateTimeField(null=True)
    late = BooleanField(default=False)
    is_demo = BooleanField(default=False)
    version = IntegerField(default=1)  # optimistic locking of concurrent edits
    values_json = TextField(default="{}")

    TRANSITIONS = TRANSITIONS

    @property
    def values(self) -> dict:
        """The form's answers by field key (R18)."""
        return json.loads(self.values_json or "{}")

    @values.setter
    def values(self, data: dict) -> None:
        self.values_json = self.encode(data)

    @staticmethod
    def encode(data: dict) -> str:
        return json.dumps(data, sort_keys=True, ensure_ascii=False)

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]

    @property
    def editable(self) -> bool:
        return self.status in Status.EDITABLE

    @property
    def deadline(self):
        raise NotImplementedError

    @property
    def title(self) -> str:
        raise NotImplementedError

    @property
    def fee_period(self):
        """The half-year whose fees the document triggers (R8, R9); None when it triggers none."""
        return None

    @property
    def opens_on(self) -> date:
        """The first day it may be submitted: after the period it reports on has ended (issue 13)."""
        raise NotImplementedError

    @property
    def covers(self) -> tuple[date, date]:
        """The days an officer must be responsible on (some of) to submit it (R12)."""
        raise NotImplementedError

    @classmethod
    def transition(cls, action: str) -> tuple[tuple[str, ...], str]:
        """(allowed from, to) of a workflow action; KeyError for an action that does not exist."""
        return cls.TRANSITIONS[action]

    def allows(self, action: str) -> bool:
        allowed_from, _to = self.TRANSITIONS.get(action, ((), None))
        return self.status in allowed_from

    @classmethod
    def _history_link(cls):
        """The StatusChange foreign key pointing at this kind of document (its `status_changes` backref)."""
        return cls.status_changes.field

    def status_change(self, **fields):
        """Record one workflow step of this document (R22)."""
        link = self._history_link()
        return link.model.create(**{link.name: self}, **fields)

    def history(self) -> list:
        """The recorded workflow steps of this document with their users, oldest first."""
        change = self._history_link().model
        return list(change.select(change, User).join(User).where(self._history_link() == self.id)
                    .order_by(change.at, change.id))
