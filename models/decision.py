"""A recorded decision of the cantonal team, e.g. refusing payment of a late report (R14)."""
from peewee import Check, DateField, DateTimeField, ForeignKeyField, TextField

from .base import BaseModel
from .municipality import Municipality
from .report import Report
from .self_declaration import SelfDeclaration
from .user import User, utcnow

DECISION_KINDS = {
    "refuse_late_report": "Zahlung für verspätetes Reporting verweigert",
    "pay_late_report": "Verspätetes Reporting wird bezahlt",
    "refuse_contribution": "Beitrag verweigert (§4.7)",
    "pay_after_close": "Zahlung nach Jahresabschluss bewilligt (R17)",
}


class Decision(BaseModel):
    kind = TextField(
        constraints=[Check("kind IN ('" + "','".join(DECISION_KINDS) + "')")]
    )
    municipality = ForeignKeyField(Municipality, backref="decisions", on_delete="RESTRICT")
    report = ForeignKeyField(Report, null=True, backref="decisions", on_delete="RESTRICT")
    self_declaration = ForeignKeyField(
        SelfDeclaration, null=True, backref="decisions", on_delete="RESTRICT"
    )
    reason = TextField(constraints=[Check("length(reason) > 0")])
    decided_on = DateField()
    decided_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    # schema v4: a refusal of a contribution (§4.7) names the component and the period it refuses
    component = TextField(null=True)  # "fees" (all fees of a half-year) or "base_contribution"
    period = TextField(null=True)  # "2026-H1" or "2026"
    created_at = DateTimeField(default=utcnow)

    def __str__(self):
        return f"{DECISION_KINDS.get(self.kind, self.kind)} – {self.municipality}"
