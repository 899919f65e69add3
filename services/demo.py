"""Demo data on top of the reference data: real municipalities and counts, illustrative rest."""
from datetime import date, datetime
from pathlib import Path

from schwifty import IBAN

from auth import second_factor
from models import (
    Contract,
    ContractMember,
    FormVersion,
    Municipality,
    PayoutRun,
    Report,
    SelfDeclaration,
    Status,
    User,
    db,
    utcnow,
)
from payouts.inputs import COUNT_KEYS

from . import settings
from .audit import Actor, record, snapshot
from .errors import DomainError
from .imports import run_import
from .payout_runs import prepare
from .users import create_user

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEMO_PASSWORD = "Demo-Zugang-2026!"
# The demo users' second factor (issue 20): a known secret, and the login page shows the current code because
# the users are marked `demo`; production refuses demo users.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPDEMOSTARTINTEGR"
DEMO_USERS = [
    ("admin@demo.so.ch", "admin", "Andrea Amrein (Koordinationsstelle)", None),
    ("ib.hubersdorf@demo.so.ch", "officer", "Iris Brunner (IB Hubersdorf, Leitgemeinde)", 2548),
    ("ib.solothurn@demo.so.ch", "officer", "Marco Steiner (IB Solothurn)", 2601),
    ("buchhaltung@demo.so.ch", "accountant", "Beat Frei (Buchhaltung)", None),
    ("finanzkontrolle@demo.so.ch", "auditor", "Claudia Roth (Finanzkontrolle)", None),
]
DEMO_CONTRACT = "DEMO-Vertrag Unterleberberg"
DEMO_MEMBERS = (2545, 2547, 2541)  # Flumenthal, Günsberg, Balm bei Günsberg (illustrative)
DEMO_REPORTS = {  # bfs -> counts for 2025 H1 and H2 (invented, marked is_demo)
    2548: (4, 1, 1, 0), 2545: (3, 1, 0, 0), 2547: (5, 2, 1, 1), 2541: (1, 0, 0, 0), 2601: (38, 12, 9, 4),
}


def seed_demo(production: bool) -> list[str]:
    """Load the demo; safe to run again (nothing is duplicated)."""
    if production:
        raise DomainError("Demodaten sind in der Produktion nicht erlaubt (APP_ENV=production).")
    actor = Actor.cli("seed-demo")
    done = []
    for kind, name in (("municipalities", "municipalities.csv"), ("population", "population.csv")):
        path = DATA_DIR / name
        result = run_import(kind, path.name, path.read_bytes(), actor)
        if not result.ok:
            raise DomainError(f"{name}: " + "; ".join(f"Zeile {n}: {m}" for n, m in result.errors))
        done.append(f"{name}: {result.summary()}")
    with db.atomic():
        for email, role, name, bfs in DEMO_USERS:
            if not User.select().where(User.email == email).exists():
                user = create_user(actor, email, role, DEMO_PASSWORD, name=name, municipality_bfs=bfs,
                                   valid_from=date(2024, 1, 1))
                User.update(demo=True, totp_secret=DEMO_TOTP_SECRET if second_factor.required(user) else None,
                            totp_enabled_at=utcnow() if second_factor.required(user) else None
                            ).where(User.id == user.id).execute()
                done.append(f"Benutzer {email} ({role})")
        lead = Municipality.get(Municipality.bfs_nr == 2548)
        for muni in Municipality.select().where(Municipality.bfs_nr.in_([2548, 2601, *DEMO_MEMBERS])):
            before = snapshot(muni)
            if muni.bfs_nr in (2548, 2601) and muni.organisation_settled_on is None:
                muni.organisation_settled_on = date(2018, 1, 1)
            if muni.iban is None:  # invented bank data of the demo (a payee needs it, issue 13)
                muni.creditor_number = f"DEMO-{muni.bfs_nr}"
                muni.iban = IBAN.generate("CH", bank_code="09000", account_code=f"8{muni.bfs_nr}".zfill(12)).compact
            if snapshot(muni) != before:
                muni.save()
                record(actor, "update", muni, before=before, after=snapshot(muni), reason="Demo")
        if not Contract.select().where(Contract.reference == DEMO_CONTRACT).exists():
            contract = Contract.create(reference=DEMO_CONTRACT, lead=lead, payee="lead",
                                       valid_from=date(2024, 1, 1))
            record(actor, "create", contract, after=snapshot(contract), reason="Demo")
            for bfs in DEMO_MEMBERS:
                member = ContractMember.create(contract=contract, valid_from=date(2024, 1, 1),
                                               municipality=Municipality.get(Municipality.bfs_nr == bfs))
                record(actor, "create", member, after=snapshot(member), reason="Demo")
            done.append(f"{DEMO_CONTRACT} mit {len(DEMO_MEMBERS)} Mitgliedern")
        done += _demo_reports(actor)
    done += _demo_run()
    return done


def _demo_run() -> list[str]:
    """A draft run per 31.03.2026, so the accountant and financial control have something to look at."""
    if PayoutRun.select().where(PayoutRun.payout_date == date(2026, 3, 31)).exists():
        return []
    done = []
    if settings.go_live() is None:
        settings.set_go_live(date(2026, 3, 31), operator="seed-demo")
        done.append("Go-live per 31.03.2026")
    run = prepare(User.get(User.email == "admin@demo.so.ch"), date(2026, 3, 31), date(2026, 3, 31))
    return done + [f"Entwurf des Auszahlungslaufs per {run.payout_date:%d.%m.%Y}"]


def _demo_reports(actor: Actor) -> list[str]:
    admin = User.get(User.email == "admin@demo.so.ch")
    version = FormVersion.valid_on("report", date(2025, 1, 1))
    sd_version = FormVersion.valid_on("self_declaration", date(2026, 1, 1))
    created = 0
    for bfs, (fi, fi_int, ig, ig_int) in DEMO_REPORTS.items():
        muni = Municipality.get(Municipality.bfs_nr == bfs)
        for half in (1, 2):
            if Report.select().where((Report.municipality == muni) & (Report.year == 2025)
                                     & (Report.half == half)).exists():
                continue
            report = Report(municipality=muni, year=2025, half=half, form_version=version,
                            status=Status.ACCEPTED, is_demo=True, submitted_by=admin,
                            submitted_at=datetime(2025 + half - 1, 7 if half == 1 else 1, 20, 9, 0))
            report.values = {
                **dict(zip(COUNT_KEYS, (fi + half, fi_int, ig, ig_int), strict=True)),
                "integration_confirmation": bool(ig), "remarks": "Demodaten (erfunden)",
            }
            report.save()
            record(actor, "create", report, after=snapshot(report), reason="Demo")
            report.status_change(from_status=None, to_status=Status.ACCEPTED, user=admin, reason="Demodaten",
                                 on_behalf=True)
            created += 1
        if bfs in (2548, 2601) and not SelfDeclaration.select().where(
            (SelfDeclaration.municipality == muni) & (SelfDeclaration.year == 2026)
        ).exists():
            declaration = SelfDeclaration(municipality=muni, year=2026, form_version=sd_version,
                                          status=Status.ACCEPTED, is_demo=True, submitted_by=admin,
                                          submitted_at=datetime(2026, 1, 25, 10, 0))
            declaration.values = {"officer_name": "Demo", "course_attendance": True,
                                   "network_meeting_attendance": True}
            declaration.save()
            record(actor, "create", declaration, after=snapshot(declaration), reason="Demo")
            declaration.status_change(to_status=Status.ACCEPTED, user=admin, reason="Demodaten", on_behalf=True)
    return [f"{created} Demo-Reportings (als Demo markiert)"] if created else []


def demo_logins() -> str:
    lines = [f"  {role:<11} {email:<28} {name}" for email, role, name, _ in DEMO_USERS]
    return ("Demo-Zugänge (Passwort für alle: " + DEMO_PASSWORD + "; admin, Buchhaltung und Finanzkontrolle geben "
            "danach den Code ein, den die Anmeldeseite für Demo-Benutzer anzeigt)\n" + "\n".join(lines))
