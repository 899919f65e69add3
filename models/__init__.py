"""The data model: one entity per module, re-exported here in dependency order."""
from .audit_entry import AuditEntry
from .base import BaseModel, MoneyField, db, to_decimal
from .budget import Budget
from .clawback import Clawback
from .contract import PAYEES, Contract
from .contract_member import ContractMember
from .correspondent import Correspondent
from .decision import DECISION_KINDS, Decision
from .evidence import EVIDENCE_TYPES, Evidence
from .foreign_population import ForeignPopulation
from .form_field import FIELD_TYPES, FormField
from .form_version import FORM_TYPES, FormVersion
from .invoice import INVOICE_STATES, Invoice
from .ledger_entry import LedgerEntry
from .municipality import Municipality
from .officer_assignment import OfficerAssignment
from .outbox import MESSAGE_KINDS, OUTBOX_STATES, OutboxAttachment, OutboxMessage
from .payout_line import COMPONENTS, LINE_STATUSES, PayoutLine
from .payout_run import RUN_STATUSES, PayoutRun, RunStatus
from .reminder import ITEM_KINDS, REMINDER_STAGES, Reminder
from .report import Report
from .run_payee import RunPayee
from .sample import SAMPLE_METHODS, Sample
from .sample_item import ITEM_STATUSES, OUTCOMES, PROPOSAL_STATES, SampleItem
from .schema_version import SchemaVersion
from .self_declaration import SelfDeclaration
from .setting import GO_LIVE, Setting
from .status_change import StatusChange
from .submittable import STATUSES, TRANSITIONS, Status, Submittable
from .tariff import TARIFF_KINDS, Tariff
from .user import ROLES, User, utcnow

ALL_MODELS = [
    SchemaVersion,
    Municipality,
    User,
    OfficerAssignment,
    Contract,
    ContractMember,
    Tariff,
    ForeignPopulation,
    FormVersion,
    FormField,
    Report,
    SelfDeclaration,
    StatusChange,
    Decision,
    Clawback,
    PayoutRun,
    PayoutLine,
    Invoice,
    Budget,
    AuditEntry,
    Sample,
    Setting,
    RunPayee,
    LedgerEntry,
    OutboxMessage,
    OutboxAttachment,
    SampleItem,
    Evidence,
    Correspondent,
    Reminder,
]

__all__ = [m.__name__ for m in ALL_MODELS] + [
    "ALL_MODELS", "EVIDENCE_TYPES", "ITEM_STATUSES", "OUTCOMES", "PROPOSAL_STATES", "SAMPLE_METHODS", "GO_LIVE",
    "ITEM_KINDS", "REMINDER_STAGES", "MESSAGE_KINDS", "OUTBOX_STATES", "INVOICE_STATES", "BaseModel", "MoneyField",
    "db", "to_decimal", "utcnow",
    "COMPONENTS", "DECISION_KINDS", "FIELD_TYPES", "FORM_TYPES", "LINE_STATUSES", "PAYEES",
    "ROLES", "RUN_STATUSES", "RunStatus", "STATUSES", "Status", "Submittable", "TARIFF_KINDS", "TRANSITIONS",
]
