"""One reminder of one open item (report or self-declaration) at one stage to one recipient (issue 15, R2, R3).

The unique key (item, stage, recipient) is what makes "never the same reminder twice" hold in the database
itself, however often and however concurrently `reminders send` runs.
"""
from peewee import Check, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel
from .municipality import Municipality
from .outbox import OutboxMessage
from .user import User, utcnow

REMINDER_STAGES = {
    "due": "Erinnerung vor Fristablauf",
    "overdue": "Mahnung nach Fristablauf",
}
ITEM_KINDS = {"report": "Reporting", "self_declaration": "Selbstdeklaration"}


class Reminder(BaseModel):
    municipality = ForeignKeyField(Municipality, backref="reminders", on_delete="RESTRICT")
    item_kind = TextField(constraints=[Check("item_kind IN ('report', 'self_declaration')")])
    year = IntegerField()
    half = IntegerField(default=0)  # 1 or 2 for a report, 0 for a self-declaration (NULL would defeat the key)
    stage = TextField(constraints=[Check("stage IN ('due', 'overdue')")])
    # "user:<id>" for an officer, "municipality:<id>" when nobody is responsible (the message then has no officer)
    recipient_key = TextField()
    officer = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    message = ForeignKeyField(OutboxMessage, backref="reminders", on_delete="RESTRICT")
    deadline = DateField()
    sent_on = DateField(index=True)  # the run's day (`--today`)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("municipality", "item_kind", "year", "half", "stage", "recipient_key"), True),)

    def __str__(self):
        period = f"{self.half}. Halbjahr {self.year}" if self.half else str(self.year)
        return f"{REMINDER_STAGES[self.stage]}: {ITEM_KINDS[self.item_kind]} {period} – {self.municipality}"
