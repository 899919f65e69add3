"""Synthetic cantons for benchmarks and query-count tests: N municipalities with 16 half-years of reports,
counts, contracts over 10 % and clawbacks for 5 % of them, written in bulk (issue 8)."""
import hashlib
import itertools
import json
import threading
from datetime import date, datetime
from decimal import Decimal

from core.calendar import HalfYear, periods_between
from models import (
    Clawback,
    Contract,
    ContractMember,
    ForeignPopulation,
    FormVersion,
    Municipality,
    OfficerAssignment,
    Report,
    SelfDeclaration,
    User,
    db,
)
from services import settings

DISTRICTS = ["Gäu", "Thal", "Thierstein", "Dorneck", "Bucheggberg", "Wasseramt", "Lebern", "Solothurn", "Olten",
             "Gösgen"]
BATCH = 1000


def _bulk(model, rows):
    for start in range(0, len(rows), BATCH):
        model.insert_many(rows[start:start + BATCH]).execute()


BENCH_CODES = [f"bench{number:05d}" for number in range(1000)]
_codes = itertools.count()
_codes_lock = threading.Lock()


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def next_code() -> str:
    """A one-time code of the synthetic admin and accountant, never the same twice in one process."""
    with _codes_lock:
        return BENCH_CODES[next(_codes)]


def build(size: int, half_years: int = 16, first_bfs: int = 1000, go_live: date = date(2026, 3, 31)) -> dict:
    """Add `size` municipalities from BFS `first_bfs` on; returns the admin, the accountant and an officer."""
    if settings.go_live() is None:
        settings.set_go_live(go_live, operator="synthetic")
    with db.atomic():
        _bulk(Municipality, [{"bfs_nr": first_bfs + i, "name": f"Gemeinde {first_bfs + i:04d}",
                              "district": DISTRICTS[i % 10], "organisation_settled_on": date(2017, 1, 1),
                              "iban": "CH9300762011623852957", "creditor_number": f"K{first_bfs + i:05d}"}
                             for i in range(size)])
        municipalities = list(Municipality.select().where(Municipality.bfs_nr.between(first_bfs, first_bfs + size - 1))
                              .order_by(Municipality.bfs_nr))
        _bulk(ForeignPopulation, [{"municipality": m.id, "reference_date": date(year, 12, 31),
                                   "count": 50 + (m.bfs_nr * 37) % 3000} for m in municipalities
                                  for year in range(2016, 2026)])
        _bulk(User, [{"email": f"ib{m.bfs_nr}@bench.example", "name": f"IB {m.bfs_nr}", "role": "officer"}
                     for m in municipalities])
        users = {u.email: u.id for u in User.select(User.id, User.email)}
        _bulk(OfficerAssignment, [{"user": users[f"ib{m.bfs_nr}@bench.example"], "municipality": m.id,
                                   "valid_from": date(2017, 1, 1)} for m in municipalities])
        last = HalfYear(2025, 2)
        periods = periods_between(HalfYear(last.year - (half_years - 1) // 2 - 1, 1), last)[-half_years:]
        versions = {p: FormVersion.valid_on("report", p.start).id for p in periods}
        _bulk(Report, [{"municipality": m.id, "year": p.year, "half": p.half, "status": "accepted",
                        "form_version": versions[p], "submitted_at": datetime(p.deadline.year, p.deadline.month, 20),
                        "values_json": json.dumps({"first_info_interviews": (m.bfs_nr + p.half) % 9,
                                                   "first_info_interpreter": m.bfs_nr % 3,
                                                   **({"integration_interviews": m.bfs_nr % 4,
                                                       "integration_interpreter": m.bfs_nr % 2,
                                                       "integration_confirmation": True} if p.year >= 2022 else {})})}
                       for m in municipalities for p in periods])
        declaration_version = FormVersion.valid_on("self_declaration", date(2026, 1, 1)).id
        _bulk(SelfDeclaration, [{"municipality": m.id, "year": year, "status": "accepted",
                                 "form_version": declaration_version} for m in municipalities
                                for year in range(2018, 2027)])
        admin, _ = User.get_or_create(email="admin@bench.example", defaults={"role": "admin", "name": "Admin"})
        accountant, _ = User.get_or_create(email="konto@bench.example",
                                           defaults={"role": "accountant", "name": "Konto"})
        # the second factor of the money roles (issue 20): many one-time codes, one per benchmark login
        User.update(totp_secret="JBSWY3DPEHPK3PXPBENCHMARKBENCH", totp_enabled_at=datetime(2026, 1, 1),
                    recovery_codes_json=json.dumps([_code_hash(code) for code in BENCH_CODES])
                    ).where(User.id.in_([admin.id, accountant.id])).execute()
        in_contracts = municipalities[: max(size // 10, 2)]
        for start in range(0, len(in_contracts) - 1, 5):
            group = in_contracts[start:start + 5]
            if len(group) < 2:
                break
            contract = Contract.create(reference=f"V-{group[0].bfs_nr}", lead=group[0].id, payee="lead",
                                       valid_from=date(2018, 1, 1))
            _bulk(ContractMember, [{"contract": contract.id, "municipality": m.id, "valid_from": date(2018, 1, 1)}
                                   for m in group[1:]])
        _bulk(Clawback, [{"municipality": m.id, "amount": Decimal("1500.00"), "reason": "Synthetisch",
                          "decided_on": date(2026, 1, 15), "decided_by": admin.id}
                         for m in municipalities[:: 20]])
    officer = User.get(User.email == f"ib{first_bfs}@bench.example")
    return {"admin": admin, "accountant": accountant, "officer": officer}
