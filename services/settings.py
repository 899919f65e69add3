"""Recorded, audited settings; the go-live date of the payouts is set once (issue 13)."""
from datetime import date

from auth.policy import require
from core.calendar import is_payout_date
from models import GO_LIVE, Setting, User, db

from .audit import Actor, record, snapshot
from .errors import DomainError


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
