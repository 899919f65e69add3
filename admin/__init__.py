"""Flask-Admin at /admin: master data for the cantonal team; financial control reads everything."""
from flask import g
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from models import (
    AuditEntry,
    Budget,
    Clawback,
    Contract,
    Correspondent,
    Decision,
    ForeignPopulation,
    FormVersion,
    Municipality,
    OfficerAssignment,
    Report,
    SelfDeclaration,
    Tariff,
    User,
)

from .base import SecureIndexView
from .deadlines import DeadlinesView
from .imports import ImportView
from .outbox import OutboxView
from .records import AuditEntryAdmin, BudgetAdmin, ClawbackAdmin, DecisionAdmin, ReportAdmin, SelfDeclarationAdmin
from .views import (
    ContractAdmin,
    CorrespondentAdmin,
    ForeignPopulationAdmin,
    FormVersionAdmin,
    MunicipalityAdmin,
    OfficerAssignmentAdmin,
    TariffAdmin,
    UserAdmin,
)

MASTER, FORMS, MONEY, SUPERVISION = "Stammdaten", "Formulare", "Finanzen", "Aufsicht"


def init_admin(app) -> Admin:
    """Mount the admin; views are created per app because Flask-Admin binds them to one app."""
    admin = Admin(app, name="start.integration", url="/admin",
                  theme=Bootstrap4Theme(base_template="admin/master.html"),
                  index_view=SecureIndexView(name="Verwaltung", url="/admin"),
                  csp_nonce_generator=lambda: g.csp_nonce)
    for view in (
        MunicipalityAdmin(Municipality, name="Gemeinden", category=MASTER),
        ContractAdmin(Contract, name="Zusammenarbeitsverträge", category=MASTER),
        UserAdmin(User, name="Benutzer", category=MASTER),
        OfficerAssignmentAdmin(OfficerAssignment, name="Zuordnungen IB", category=MASTER),
        CorrespondentAdmin(Correspondent, name="Korrespondenzpersonen", category=MASTER),
        TariffAdmin(Tariff, name="Tarife", category=MASTER),
        ForeignPopulationAdmin(ForeignPopulation, name="Ausländerbestände", category=MASTER),
        ImportView(name="Import", endpoint="imports", url="/admin/import", category=MASTER),
        FormVersionAdmin(FormVersion, name="Formularversionen", category=FORMS),
        ReportAdmin(Report, name="Reportings", category=FORMS),
        SelfDeclarationAdmin(SelfDeclaration, name="Selbstdeklarationen", category=FORMS),
        BudgetAdmin(Budget, name="Budgets", category=MONEY),
        ClawbackAdmin(Clawback, name="Rückforderungen", category=MONEY),
        DecisionAdmin(Decision, name="Entscheide", category=MONEY),
        AuditEntryAdmin(AuditEntry, name="Audit-Log", category=SUPERVISION),
        OutboxView(name="Postausgang", endpoint="outbox", url="/admin/postausgang", category=SUPERVISION),
        DeadlinesView(name="Fristen", endpoint="deadlines", url="/admin/fristen", category=SUPERVISION),
    ):
        admin.add_view(view)
    return admin
