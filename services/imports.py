"""All-or-nothing imports with upsert on the natural key and an error per bad row (issue 3)."""
from dataclasses import dataclass, field

from models import ForeignPopulation, Municipality, db

from . import tabular
from .audit import Actor, record, snapshot
from .errors import DomainError
from .validation import bfs_problem, email_problem, normalise_iban, successor_problem, validity_problem

KINDS = {
    "municipalities": (["bfs_nr", "name", "district"],
                       ["valid_from", "valid_to", "successor_bfs", "organisation_settled_on",
                        "creditor_number", "iban", "finance_email"]),
    "population": (["bfs_nr", "reference_date", "foreign_residents"], ["source"]),
}


@dataclass
class ImportResult:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return f"{len(self.errors)} Fehler, nichts gespeichert."
        verb = "würden" if self.dry_run else "wurden"
        return (f"{self.rows} Zeilen: {self.created} neu, {self.updated} geändert, "
                f"{self.unchanged} unverändert ({verb} gespeichert)." if not self.dry_run else
                f"Probelauf: {self.rows} Zeilen, {self.created} neu, {self.updated} geändert, "
                f"{self.unchanged} unverändert; nichts gespeichert.")


class _Rollback(Exception):
    pass


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


def _parse_rows(rows, result, parse_one, key_of):
    seen: dict = {}
    parsed = []
    for line, row in rows:
        try:
            item = parse_one(row)
        except tabular.CellError as exc:
            result.errors.append((line, str(exc)))
            continue
        key = key_of(item)
        if key in seen:
            result.errors.append((line, f"Doppelte Zeile (gleich wie Zeile {seen[key]})."))
            continue
        seen[key] = line
        parsed.append((line, item))
    return parsed


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
    for column in ("creditor_number", "finance_email"):
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
                    email_problem(item.get("finance_email"))):
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
        _upsert(Municipality, muni, item, actor, result, existing, item["bfs_nr"])
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
                record(actor, "update", muni, before=before, after=snapshot(muni), reason="Import")
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
            record(actor, "update", muni, before=before, after=snapshot(muni), reason="Import")


def _parse_population(row):
    item = {
        "bfs_nr": tabular.integer(row.get("bfs_nr"), "bfs_nr"),
        "reference_date": tabular.day(row.get("reference_date"), "reference_date"),
        "count": tabular.integer(row.get("foreign_residents"), "foreign_residents"),
        "source": tabular.text(row.get("source"), "source", required=False) or "",
    }
    if (item["reference_date"].month, item["reference_date"].day) != (12, 31):
        raise tabular.CellError("reference_date: Stichtag muss der 31. Dezember sein.")
    return item


def _write_population(parsed, actor, result):
    municipalities = {m.bfs_nr: m for m in Municipality.select()}
    existing = {(p.municipality_id, p.reference_date): p for p in ForeignPopulation.select()}
    for line, item in parsed:
        muni = municipalities.get(item.pop("bfs_nr"))
        if muni is None:
            result.errors.append((line, "bfs_nr: unbekannte BFS-Nummer."))
            continue
        key = (muni.id, item["reference_date"])
        _upsert(ForeignPopulation, existing.get(key), {**item, "municipality": muni.id}, actor,
                result, existing, key)


def _upsert(model, instance, values, actor, result, cache, key):
    if instance is None:
        instance = model.create(**values)
        cache[key] = instance
        record(actor, "create", instance, after=snapshot(instance), reason="Import")
        result.created += 1
        return
    before = snapshot(instance)
    for name, value in values.items():
        setattr(instance, name, value)
    after = snapshot(instance)
    if after == before:
        result.unchanged += 1
        return
    instance.save()
    record(actor, "update", instance, before=before, after=after, reason="Import")
    result.updated += 1


_PARSERS = {
    "municipalities": lambda rows, result: _parse_rows(rows, result, _parse_municipality,
                                                       lambda i: i["bfs_nr"]),
    "population": lambda rows, result: _parse_rows(rows, result, _parse_population,
                                                   lambda i: (i["bfs_nr"], i["reference_date"])),
}
_WRITERS = {"municipalities": _write_municipalities, "population": _write_population}
