"""German labels of every coded value shown to people (issue 18): one mapping, used by pages, audit log and exports.

The codes stay English in the database and the code; nothing English reaches a page. `label(kind, code)`
answers for an unknown code with the code itself, so a new code is visible rather than hidden.
"""
from .contract import PAYEES
from .decision import DECISION_KINDS
from .form_version import FORM_TYPES
from .invoice import INVOICE_STATES
from .outbox import MESSAGE_KINDS, OUTBOX_STATES
from .payout_line import COMPONENTS, LINE_STATUSES
from .payout_run import RUN_STATUSES
from .reminder import ITEM_KINDS, REMINDER_STAGES
from .sample_item import ITEM_STATUSES, OUTCOMES, PROPOSAL_STATES
from .submittable import STATUSES
from .tariff import TARIFF_KINDS
from .user import ROLES

# what an audit entry says was done (services/audit.py `record`)
AUDIT_ACTIONS = {
    "create": "erstellt", "update": "geändert", "delete": "gelöscht",
    "prepare": "Lauf berechnet", "approve": "freigegeben", "book": "verbucht", "export": "Zahlungsdatei erstellt",
    "close": "Jahr abgeschlossen", "pay": "als bezahlt erfasst", "cancel": "storniert",
    "submit": "eingereicht", "accepted": "akzeptiert", "returned": "zurückgewiesen", "draft": "Entwurf",
    "submitted": "eingereicht", "queue": "in den Postausgang gelegt", "send": "versandt",
    "send_failed": "Versand fehlgeschlagen", "resend": "erneut gesendet",
    "enable_second_factor": "zweiten Faktor eingerichtet", "reset_second_factor": "zweiten Faktor zurückgesetzt",
}

# the German name of each kind of record (audit log "Objekt", exports)
MODEL_NAMES = {
    "Municipality": "Gemeinde", "User": "Benutzer", "OfficerAssignment": "Zuordnung IB",
    "Contract": "Zusammenarbeitsvertrag", "ContractMember": "Vertragsmitglied", "Tariff": "Tarif",
    "ForeignPopulation": "Ausländerbestand", "FormVersion": "Formularversion", "FormField": "Formularfeld",
    "Report": "Reporting", "SelfDeclaration": "Selbstdeklaration", "StatusChange": "Statuswechsel",
    "Decision": "Entscheid", "Clawback": "Rückforderung", "PayoutRun": "Auszahlungslauf",
    "PayoutLine": "Auszahlungszeile", "Invoice": "Rechnung", "Budget": "Budget", "AuditEntry": "Audit-Eintrag",
    "Sample": "Stichprobe", "SampleItem": "Stichprobenposten", "Setting": "Einstellung",
    "RunPayee": "Zahlungsempfänger im Lauf", "LedgerEntry": "Buchung", "OutboxMessage": "Nachricht",
    "OutboxAttachment": "Anhang einer Nachricht", "Evidence": "Beleg", "Correspondent": "Korrespondenzperson",
    "Reminder": "Erinnerung",
}

# why a run holds an item back or is blocked (payouts.inputs.Issue.kind)
ISSUE_KINDS = {
    "missing_report": "Reporting fehlt", "unreviewed_report": "Reporting noch nicht geprüft",
    "missing_population": "Ausländerbestand fehlt", "not_eligible": "nicht beitragsberechtigt",
    "not_payable": "nicht zahlbar", "refused": "Beitrag verweigert", "refused_late": "verspätet, Zahlung verweigert",
    "closed_year": "Jahr abgeschlossen",
}

LABELS: dict[str, dict[str, str]] = {
    "issue_kind": ISSUE_KINDS,
    "status": STATUSES,
    "run_status": RUN_STATUSES,
    "line_status": LINE_STATUSES,
    "invoice_state": INVOICE_STATES,
    "outbox_state": OUTBOX_STATES,
    "message_kind": MESSAGE_KINDS,
    "component": COMPONENTS,
    "decision_kind": DECISION_KINDS,
    "form_type": FORM_TYPES,
    "item_kind": ITEM_KINDS,
    "reminder_stage": REMINDER_STAGES,
    "sample_item_status": ITEM_STATUSES,
    "outcome": OUTCOMES,
    "proposal_state": PROPOSAL_STATES,
    "tariff_kind": TARIFF_KINDS,
    "payee": PAYEES,
    "role": ROLES,
    "audit_action": AUDIT_ACTIONS,
    "model": MODEL_NAMES,
}


def label(kind: str, code) -> str:
    """The German label of `code` in the mapping `kind`; "–" for no code."""
    if code in (None, ""):
        return "–"
    return LABELS[kind].get(code, str(code))


def line_status_label(status: str, run_status: str) -> str:
    """A payable line of a booked run has been paid out (issue 18): it says so, not "zahlbar"."""
    if status == "payable" and run_status == "booked":
        return "ausbezahlt"
    return label("line_status", status)
