"""All-or-nothing imports with upsert on the natural key and an error per bad row (issue 3)."""
from models import Contract, ContractMember, Correspondent, ForeignPopulation, Municipality, OfficerAssignment, User, db
from payouts.inputs import COUNT_KEYS

from . import tabular
from .audit import Actor, record, record_created, snapshot
from .errors import DomainError
from .import_history import parse_report, parse_self_declaration, write_reports, write_self_declarations
from .import_rows import IMPORT_REASON, ImportResult, checked, parse_rows, upsert
from .masterdata import (
    check_contract,
    check_correspondent,
    check_officer_assignment,
    check_population,
    first_overlap,
)
from .validation import (
    address_problem,
    bfs_problem,
    email_problem,
    normalise_iban,
    phone_problem,
    successor_problem,
    validity_problem,
)

KINDS = {
    "municipalities": (["bfs_nr", "name", "district"],
                       ["valid_from", "valid_to", "successor_bfs", "organisation_settled_on",
                        "creditor_number", "iban", "finance_email", "street", "postcode"]),
    "population": (["bfs_nr", "reference_date", "foreign_residents"], ["source"]),
    "officers": (["email", "name", "bfs_nr", "valid_from"], ["valid_to"]),
    "contracts": (["lead_bfs", "member_bfs", "valid_from"], ["valid_to", "payee"]),
    "reports": (["bfs_nr", "year", "half", *COUNT_KEYS], ["submitted_on"]),
    "self-declarations": (["bfs_nr", "year"], ["submitted_on"]),
    "correspondents": (["bfs_nr", "name", "email", "valid_from"], ["function", "phone", "valid_to"]),
}


class _Rollback(Exception):
    pass


BANK_FIELDS = ("iban", "creditor_number")  # where money goes: fresh login on every path (issue 13)


def run_import(kind: str, filename: str, data: bytes, actor: Actor, dry_run: bool = False) -> ImportResult:
    """Parse, validate every row, then write all rows in one transaction (or none)."""
    if kind not in KINDS:
        raise DomainError(f"Unbekannte Importart «{kind}» (erlaubt: {', '.join(KINDS)}).")
    header, rows = tabular.read_table(filename, data)
    required, optional = KINDS[kind]
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in required + optional]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"fehlende Spalten: {', '.join(missing)}")
        if unknown:
            parts.append(f"unbekannte Spalten: {', '.join(c or '(leer)' for c in unknown)}")
        raise DomainError(f"Falsche Kopfzeile ({'; '.join(parts)}). Erwartet: "
                          f"{','.join(required)} und optional {','.join(optional)}.")
    if not rows:
        raise DomainError("Die Datei enthält keine Datenzeilen.")
    result = ImportResult(kind=kind, rows=len(rows), dry_run=dry_run)
    parsed = _PARSERS[kind](rows, result)
    if result.errors:
        return result
    try:
        with db.atomic():
            _WRITERS[kind](parsed, actor, result)
            if result.errors or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return result


def _parse_municipality(row):
    """Only columns present in the file are set, so an upsert never clears other fields."""
    bfs = tabular.integer(row.get("bfs_nr"), "bfs_nr")
    if problem := bfs_problem(bfs):
        raise tabular.CellError(f"bfs_nr: {problem}")
    item = {"bfs_nr": bfs, "name": tabular.text(row.get("name"), "name"),
            "district": tabular.text(row.get("district"), "district")}
    for column in ("valid_from", "valid_to", "organisation_settled_on"):
        if column in row:
            item[column] = tabular.day(row[column], column, required=False)
    for column in ("creditor_number", "finance_email", "street", "postcode"):
        if column in row:
            item[column] = tabular.text(row[column], column, required=False)
    if "successor_bfs" in row:
        item["successor_bfs"] = tabular.integer(row["successor_bfs"], "successor_bfs", required=False)
    if "iban" in row:
        try:
            item["iban"] = normalise_iban(tabular.text(row["iban"], "iban", required=False))
        except ValueError as exc:
            raise tabular.CellError(f"iban: {exc}") from None
    for problem in (validity_problem(item.get("valid_from"), item.get("valid_to")),
                    email_problem(item.get("finance_email")),
                    address_problem(item.get("street"), item.get("postcode"))):
        if problem:
            raise tabular.CellError(problem)
    return item


def _write_municipalities(parsed, actor, result):
    existing = {m.bfs_nr: m for m in Municipality.select()}
    successors = []
    for line, item in parsed:
        has_successor = "successor_bfs" in item
        successor_bfs = item.pop("successor_bfs", None)
        muni = existing.get(item["bfs_nr"])
        if not actor.fresh and any(  # a new municipality's bank data as well, as in the admin form
                name in item and (item[name] or None) != (getattr(muni, name, None) or None) for name in BANK_FIELDS):
            result.errors.append((line, "IBAN oder Kreditor-Nr ändern braucht eine Anmeldung der letzten 15 Minuten: "
                                        "bitte neu anmelden und die Datei erneut hochladen."))
            continue
        upsert(Municipality, muni, item, actor, result, existing, item["bfs_nr"])
        if has_successor:
            successors.append((line, item["bfs_nr"], successor_bfs))
    for line, bfs, successor_bfs in successors:
        muni = existing[bfs]
        successor = existing.get(successor_bfs) if successor_bfs is not None else None
        if successor_bfs is None:
            if muni.successor_id is not None:
                before = snapshot(muni)
                muni.successor = None
                muni.save()
                record(actor, "update", muni, before=before, after=snapshot(muni), reason=IMPORT_REASON)
            continue
        if successor is None:
            result.errors.append((line, f"successor_bfs: unbekannte BFS-Nummer {successor_bfs}."))
            continue
        problem = successor_problem(muni.valid_to, successor.valid_from, successor.valid_to)
        if problem:
            result.errors.append((line, f"successor_bfs: {problem}"))
            continue
        if muni.successor_id != successor.id:
            before = snapshot(muni)
            muni.successor = successor
            muni.save()
            record(actor, "update", muni, before=before, after=snapshot(muni), reason=IMPORT_REASON)


def _parse_population(row):
    item = {
        "bfs_nr": tabular.integer(row.get("bfs_nr"), "bfs_nr"),
        "reference_date": tabular.day(row.get("reference_date"), "reference_date"),
        "count": tabular.integer(row.get("foreign_residents"), "foreign_residents"),
        "source": tabular.text(row.get("source"), "source", required=False) or "",
    }
    return item


def _write_population(parsed, actor, result):
    """New counts go in bulk (a yearly file has a row per municipality); changed ones one by one."""
    municipalities = {m.bfs_nr: m for m in Municipality.select()}
    existing = {(p.municipality_id, p.reference_date): p for p in ForeignPopulation.select()}
    new_rows = []
    for line, item in parsed:
        muni = municipalities.get(item.pop("bfs_nr"))
        if muni is None:
            result.errors.append((line, "bfs_nr: unbekannte BFS-Nummer."))
            continue
        key = (muni.id, item["reference_date"])
        values = {**item, "municipality": muni.id}
        if key in existing:
            checked(line, result, check_population,
                     upsert(ForeignPopulation, existing[key], values, actor, result, existing, key))
            continue
        checked(line, result, check_population, ForeignPopulation(**values))
        new_rows.append(values)
    if result.errors or not new_rows:
        return
    for start in range(0, len(new_rows), 1000):
        ForeignPopulation.insert_many(new_rows[start:start + 1000]).execute()
    dates = {row["reference_date"] for row in new_rows}
    keys = {(row["municipality"], row["reference_date"]) for row in new_rows}
    created = [p for p in ForeignPopulation.select().where(ForeignPopulation.reference_date.in_(list(dates)))
               if (p.municipality_id, p.reference_date) in keys]
    record_created(actor, created, reason=IMPORT_REASON)
    result.created += len(created)


def _parse_officer(row):
    email = (tabular.text(row.get("email"), "email") or "").lower()
    if problem := email_problem(email):
        raise tabular.CellError(f"email: {problem}")
    item = {"email": email, "name": tabular.text(row.get("name"), "name"),
            "bfs_nr": tabular.integer(row.get("bfs_nr"), "bfs_nr"),
            "valid_from": tabular.day(row.get("valid_from"), "valid_from"),
            "valid_to": tabular.day(row.get("valid_to"), "valid_to", required=False)}
    if problem := validity_problem(item["valid_from"], item["valid_to"]):
        raise tabular.CellError(f"valid_to: {problem}")
    return item


def _write_officers(parsed, actor, result):
    """Officer users without a usable password (they set one via the admin) plus their assignment."""
    municipalities = {m.bfs_nr: m for m in Municipality.select()}
    users = {u.email: u for u in User.select()}
    assignments = {(a.user_id, a.municipality_id, a.valid_from): a for a in OfficerAssignment.select()}
    for line, item in parsed:
        muni = municipalities.get(item["bfs_nr"])
        if muni is None:
            result.errors.append((line, "bfs_nr: unbekannte BFS-Nummer."))
            continue
        user = users.get(item["email"])
        if user is not None and user.role != "officer":
            result.errors.append((line, f"email: {item['email']} hat bereits die Rolle {user.role_label}."))
            continue
        upsert(User, user, {"email": item["email"], "name": item["name"], "role": "officer"},
                actor, result, users, item["email"], count=False)
        user = users[item["email"]]
        key = (user.id, muni.id, item["valid_from"])
        values = {"user": user.id, "municipality": muni.id, "valid_from": item["valid_from"],
                  "valid_to": item["valid_to"]}
        checked(line, result, check_officer_assignment,
                 upsert(OfficerAssignment, assignments.get(key), values, actor, result, assignments, key))


def _parse_contract_row(row):
    payee = (tabular.text(row.get("payee"), "payee", required=False) or "lead").lower()
    if payee not in ("lead", "member"):
        raise tabular.CellError(f"payee: «{payee}» ist nicht erlaubt (lead oder member).")
    item = {"lead_bfs": tabular.integer(row.get("lead_bfs"), "lead_bfs"),
            "member_bfs": tabular.integer(row.get("member_bfs"), "member_bfs"),
            "valid_from": tabular.day(row.get("valid_from"), "valid_from"),
            "valid_to": tabular.day(row.get("valid_to"), "valid_to", required=False),
            "payee": payee}
    if problem := validity_problem(item["valid_from"], item["valid_to"]):
        raise tabular.CellError(f"valid_to: {problem}")
    if item["lead_bfs"] == item["member_bfs"]:
        raise tabular.CellError("member_bfs: die Leitgemeinde ist nicht Mitglied ihres eigenen Vertrags.")
    return item


def _write_contracts(parsed, actor, result):
    """One contract per lead and connected date span; one membership per row."""
    municipalities = {m.bfs_nr: m for m in Municipality.select()}
    groups: dict[int, list] = {}
    for line, item in parsed:
        for column in ("lead_bfs", "member_bfs"):
            if item[column] not in municipalities:
                result.errors.append((line, f"{column}: unbekannte BFS-Nummer {item[column]}."))
                break
        else:
            groups.setdefault(item["lead_bfs"], []).append((line, item))
    contracts = {}
    members = {(m.contract_id, m.municipality_id, m.valid_from): m for m in ContractMember.select()}
    for lead_bfs, rows in groups.items():
        lead = municipalities[lead_bfs]
        payees = {item["payee"] for _, item in rows}
        if len(payees) > 1:
            result.errors.append((rows[0][0], f"payee: widersprüchliche Angaben für Leitgemeinde {lead_bfs}."))
            continue
        start = min(item["valid_from"] for _, item in rows)
        ends = [item["valid_to"] for _, item in rows]
        end = None if None in ends else max(ends)
        existing = first_overlap(Contract.select().where(Contract.lead == lead.id), start, end)
        values = {"lead": lead.id, "payee": payees.pop(), "valid_from": start, "valid_to": end,
                  "reference": existing.reference if existing else f"Vertrag {lead.name} ab {start:%d.%m.%Y}"}
        if existing:
            values["valid_from"] = min(start, existing.valid_from)
        contract = upsert(Contract, existing, values, actor, result, contracts, lead_bfs, count=False)
        for _line, item in rows:
            muni = municipalities[item["member_bfs"]]
            key = (contract.id, muni.id, item["valid_from"])
            upsert(ContractMember, members.get(key),
                    {"contract": contract.id, "municipality": muni.id, "valid_from": item["valid_from"],
                     "valid_to": item["valid_to"]}, actor, result, members, key)
        checked(rows[0][0], result, check_contract, contract)


def _parse_correspondent(row):
    """§4.5.1: key bfs_nr + valid_from; the address and phone are checked here, overlaps on writing."""
    email = (tabular.text(row.get("email"), "email") or "").strip()
    if problem := email_problem(email):
        raise tabular.CellError(f"email: {problem}")
    item = {"bfs_nr": tabular.integer(row.get("bfs_nr"), "bfs_nr"), "name": tabular.text(row.get("name"), "name"),
            "email": email, "valid_from": tabular.day(row.get("valid_from"), "valid_from")}
    if "function" in row:
        item["function"] = tabular.text(row["function"], "function", required=False) or ""
    if "phone" in row:  # "+41 …" is a number, not a formula: the phone pattern allows nothing else
        item["phone"] = "" if row["phone"] is None else str(row["phone"]).strip()
        if problem := phone_problem(item["phone"]):
            raise tabular.CellError(f"phone: {problem}")
    if "valid_to" in row:
        item["valid_to"] = tabular.day(row["valid_to"], "valid_to", required=False)
    if problem := validity_problem(item["valid_from"], item.get("valid_to")):
        raise tabular.CellError(f"valid_to: {problem}")
    return item


def _write_correspondents(parsed, actor, result):
    """Upsert on (municipality, valid_from); a new person's row ends the old one only if the file says so."""
    municipalities = {m.bfs_nr: m for m in Municipality.select()}
    existing = {(c.municipality_id, c.valid_from): c for c in Correspondent.select()}
    written = []
    for line, item in parsed:
        muni = municipalities.get(item.pop("bfs_nr"))
        if muni is None:
            result.errors.append((line, "bfs_nr: unbekannte BFS-Nummer."))
            continue
        key = (muni.id, item["valid_from"])
        written.append((line, upsert(Correspondent, existing.get(key), {**item, "municipality": muni.id},
                                     actor, result, existing, key)))
    for line, correspondent in written:  # after all rows: a file may end one period and start the next
        checked(line, result, check_correspondent, correspondent)


_PARSERS = {
    "municipalities": lambda rows, result: parse_rows(rows, result, _parse_municipality,
                                                       lambda i: i["bfs_nr"]),
    "population": lambda rows, result: parse_rows(rows, result, _parse_population,
                                                   lambda i: (i["bfs_nr"], i["reference_date"])),
    "officers": lambda rows, result: parse_rows(rows, result, _parse_officer,
                                                 lambda i: (i["email"], i["bfs_nr"], i["valid_from"])),
    "contracts": lambda rows, result: parse_rows(rows, result, _parse_contract_row,
                                                  lambda i: (i["member_bfs"], i["valid_from"])),
    "reports": lambda rows, result: parse_rows(rows, result, parse_report,
                                                lambda i: (i["bfs_nr"], i["year"], i["half"])),
    "self-declarations": lambda rows, result: parse_rows(rows, result, parse_self_declaration,
                                                          lambda i: (i["bfs_nr"], i["year"])),
    "correspondents": lambda rows, result: parse_rows(rows, result, _parse_correspondent,
                                                       lambda i: (i["bfs_nr"], i["valid_from"])),
}
_WRITERS = {"municipalities": _write_municipalities, "population": _write_population,
            "officers": _write_officers, "contracts": _write_contracts, "reports": write_reports,
            "self-declarations": write_self_declarations, "correspondents": _write_correspondents}
