"""Flask-Admin at /admin: master data for the cantonal team (admin role only)."""
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from models import AuditEntry, Contract, ForeignPopulation, Municipality, Tariff, User

from .base import SecureIndexView
from .views import (
    AuditEntryAdmin,
    ContractAdmin,
    ForeignPopulationAdmin,
    MunicipalityAdmin,
    TariffAdmin,
    UserAdmin,
)


def init_admin(app) -> Admin:
    """Mount the admin; views are created per app because Flask-Admin binds them to one app."""
    admin = Admin(app, name="start.integration", url="/admin",
                  theme=Bootstrap4Theme(base_template="admin/master.html"),
                  index_view=SecureIndexView(name="Übersicht", url="/admin"))
    admin.add_view(MunicipalityAdmin(Municipality, name="Gemeinden", category="Stammdaten"))
    admin.add_view(ContractAdmin(Contract, name="Zusammenarbeitsverträge", category="Stammdaten"))
    admin.add_view(UserAdmin(User, name="Benutzer", category="Stammdaten"))
    admin.add_view(TariffAdmin(Tariff, name="Tarife", category="Stammdaten"))
    admin.add_view(ForeignPopulationAdmin(ForeignPopulation, name="Ausländerbestände",
                                          category="Stammdaten"))
    admin.add_view(AuditEntryAdmin(AuditEntry, name="Audit-Log", category="Aufsicht"))
    return admin
