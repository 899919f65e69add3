"""Recorded, audited settings; the go-live date of the payouts is set once (issue 13)."""
from datetime import date

from auth.policy import require
from config import is_production
from core.calendar import is_payout_date
from models import GO_LIVE, Setting, User, db

from .audit import Actor, record, snapshot
from .errors import DomainError
from .validation import normalise_iban

# The canton as sender of letters, debtor of payment files and creditor of QR-bills (issues 15, 16).
# The defaults are demo values; production sets each once with `flask --app app settings set KEY VALUE`.
CANTON_SETTINGS: dict[str, tuple[str, str]] = {
    "canton.name": ("Absender/Kontoinhaber", "Kanton Solothurn"),
    "canton.department": ("Amt", "Amt für Gesellschaft und Soziales"),
    "canton.street": ("Strasse", "Ambassadorenhof"),
    "canton.postcode": ("PLZ", "4509"),
    "canton.town": ("Ort", "Solothurn"),
    "canton.iban": ("Konto des Kantons (IBAN, Zahlungen und Rechnungen)", "CH9300762011623852957"),
    "canton.bic": ("BIC der Bank des Kantons", "POFICHBEXXX"),
    "canton.letterhead": ("Briefkopf", "Kanton Solothurn · Amt für Gesellschaft und Soziales · start.integration"),
    "canton.signature": ("Unterschrift der Briefe", "Amt für Gesellschaft und Soziales, Fachstelle Integration"),
}


def go_live() -> date | None:
    """The first payout date paid by the system; earlier half-years were settled outside it."""
    setting = Setting.get_or_none(Setting.key == GO_LIVE)
    return date.fromisoformat(setting.value) if setting else None


def go_live_setting() -> Setting | None:
    return Setting.get_or_none(Setting.key == GO_LIVE)


def set_go_live(day: date, user: User | None = None, operator: str = "settings") -> Setting:
    """Record the go-live date once: half-years whose regular payout date lies before it are not paid again.

    Without a user it is an operator on the server (CLI without --as), audited as cli:<operator>.
    """
    if user is not None:
        require(user, "settings.go_live")
    actor = Actor.of(user) if user is not None else Actor.cli(operator)
    if not is_payout_date(day):
        raise DomainError(f"Go-live {day:%d.%m.%Y} ist kein Auszahlungstermin: nur 31.03. oder 30.09. (R4).",
                          {"go_live": ["Nur 31.03. oder 30.09."]})
    with db.atomic():
        existing = go_live_setting()
        if existing is not None:
            raise DomainError(f"Go-live ist bereits auf den {date.fromisoformat(existing.value):%d.%m.%Y} gesetzt "
                              f"und wird nicht geändert.")
        setting = Setting.create(key=GO_LIVE, value=day.isoformat(), set_by=user.id if user else None)
        record(actor, "create", setting, after=snapshot(setting),
               reason=f"Go-live per {day:%d.%m.%Y}: frühere Halbjahre gelten als ausserhalb des Systems abgerechnet")
    return setting


ACCOUNT_KEYS = ("canton.iban", "canton.bic")  # where money goes: never a demo default in production


def canton_settings() -> dict[str, str]:
    """The canton's sender, account and letterhead: the stored values over the demo defaults.

    In production (APP_ENV=production) the account has no default: until `settings set canton.iban/bic`
    it is empty, and invoices and payment files are refused instead of naming the demo account."""
    values = {key: default for key, (_label, default) in CANTON_SETTINGS.items()}
    if is_production():
        values.update({key: "" for key in ACCOUNT_KEYS})
    for setting in Setting.select().where(Setting.key.in_(list(CANTON_SETTINGS))):
        values[setting.key] = setting.value
    return values


def canton_account() -> str:
    """The canton's IBAN, or a German refusal when production has not set it yet."""
    iban = canton_settings()["canton.iban"]
    if not iban:
        raise DomainError("Das Konto des Kantons ist nicht eingerichtet: bitte zuerst "
                          "«flask --app app settings set canton.iban …» und «… canton.bic …» ausführen.")
    return iban


def set_canton_setting(key: str, value: str, user: User | None = None, operator: str = "settings") -> Setting:
    """Store one canton setting (validated, audited with before/after)."""
    if user is not None:
        require(user, "settings.edit")
    actor = Actor.of(user) if user is not None else Actor.cli(operator)
    if key not in CANTON_SETTINGS:
        raise DomainError(f"Unbekannte Einstellung «{key}». Bekannt: {', '.join(CANTON_SETTINGS)}.")
    value = (value or "").strip()
    if not value or "\n" in value or "\r" in value:
        raise DomainError(f"{CANTON_SETTINGS[key][0]}: bitte einen einzeiligen Wert angeben.")
    if key == "canton.iban":
        try:
            value = normalise_iban(value)
        except ValueError as exc:
            raise DomainError(str(exc)) from None
    with db.atomic():
        setting = Setting.get_or_none(Setting.key == key)
        before = snapshot(setting) if setting else None
        if setting is None:
            setting = Setting.create(key=key, value=value, set_by=user.id if user else None)
        else:
            setting.value, setting.set_by = value, (user.id if user else None)
            setting.save()
        record(actor, "update" if before else "create", setting, before=before, after=snapshot(setting),
               reason=f"Einstellung {CANTON_SETTINGS[key][0]}")
    return setting
