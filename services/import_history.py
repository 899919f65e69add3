"""Historical reports and self-declarations (migration of 2017–2024): imported as accepted (issue 3)."""
from collections import defaultdict
from datetime import date, datetime

from core.calendar import HalfYear, self_declaration_deadline
from models import FormField, FormVersion, Municipality, Report, SelfDeclaration, Status
from payouts.inputs import COUNT_KEYS, INTEGRATION_INTERVIEWS

from . import tabular
from .import_rows import upsert, version_on


def parse_report(row):
    item = {"bfs_nr": tabular.integer(row.get("bfs_nr"), "bfs_nr"),
            "year": tabular.integer(row.get("year"), "year"),
            "half": tabular.integer(row.get("half"), "half"),
            "submitted_on": tabular.day(row.get("submitted_on"), "submitted_on", required=False)}
    if not 2017 <= item["year"] <= 2100:
        raise tabular.CellError(f"year: {item['year']} liegt ausserhalb 2017–2100.")
    if item["half"] not in (1, 2):
        raise tabular.CellError("half: 1 (1. Halbjahr) oder 2 (2. Halbjahr).")
    for key in COUNT_KEYS:
        item[key] = tabular.integer(row.get(key), key)
        if item[key] > 100_000:
            raise tabular.CellError(f"{key}: {item[key]} ist unplausibel gross (höchstens 100’000).")
    period = HalfYear(item["year"], item["half"])
    if period.end >= date.today():
        raise tabular.CellError(f"year/half: das {period.label} ist noch nicht abgeschlossen.")
    return item


def _historical(model, instance, values, submitted_on, deadline, actor, result, cache, key, line):
    if instance is not None and instance.status != Status.ACCEPTED:
        result.errors.append((line, f"{instance} ist im Portal in Bearbeitung (Status {instance.status}); "
                                    "der Import überschreibt es nicht."))
        return
    values.update(status=Status.ACCEPTED, late=bool(submitted_on and submitted_on > deadline),
                  submitted_at=datetime.combine(submitted_on, datetime.min.time()) if submitted_on else None)
    upsert(model, instance, values, actor, result, cache, key)


def write_reports(parsed, actor, result):
    """Historical reports (2017–2024 migration), imported as accepted with their form version."""
    municipalities = {m.bfs_nr: m for m in Municipality.select()}
    versions = list(FormVersion.select().where(FormVersion.form_type == "report"))
    keys_of = defaultdict(set)  # the form's keys per version, loaded once instead of once per row
    for version_id, key in FormField.select(FormField.form_version, FormField.key).tuples():
        keys_of[version_id].add(key)
    existing = {(r.municipality_id, r.year, r.half): r for r in Report.select()}
    for line, item in parsed:
        period = HalfYear(item["year"], item["half"])
        muni, version = _municipality_and_version(line, item, municipalities, versions, period.start, result)
        if muni is None:
            continue
        keys = keys_of[version.id]
        extra = [k for k in COUNT_KEYS if item[k] and k not in keys]
        if extra:
            result.errors.append((line, f"{', '.join(extra)}: gibt es in der Formularversion «{version.name}» "
                                        "nicht (Integrationsgespräche erst ab 2022, R18)."))
            continue
        report_values = {k: item[k] for k in COUNT_KEYS if k in keys}
        if "integration_confirmation" in keys:
            report_values["integration_confirmation"] = item[INTEGRATION_INTERVIEWS] > 0
        report = Report(values_json="{}")
        report.values = report_values
        key = (muni.id, item["year"], item["half"])
        _historical(Report, existing.get(key),
                    {"municipality": muni.id, "year": item["year"], "half": item["half"],
                     "form_version": version.id, "values_json": report.values_json},
                    item["submitted_on"], period.deadline, actor, result, existing, key, line)


def parse_self_declaration(row):
    item = {"bfs_nr": tabular.integer(row.get("bfs_nr"), "bfs_nr"),
            "year": tabular.integer(row.get("year"), "year"),
            "submitted_on": tabular.day(row.get("submitted_on"), "submitted_on", required=False)}
    if not 2017 <= item["year"] <= date.today().year:
        raise tabular.CellError(f"year: {item['year']} liegt ausserhalb 2017–{date.today().year}.")
    return item


def write_self_declarations(parsed, actor, result):
    municipalities = {m.bfs_nr: m for m in Municipality.select()}
    versions = list(FormVersion.select().where(FormVersion.form_type == "self_declaration"))
    existing = {(d.municipality_id, d.year): d for d in SelfDeclaration.select()}
    for line, item in parsed:
        muni, version = _municipality_and_version(line, item, municipalities, versions, date(item["year"], 1, 1),
                                                  result)
        if muni is None:
            continue
        key = (muni.id, item["year"])
        _historical(SelfDeclaration, existing.get(key),
                    {"municipality": muni.id, "year": item["year"], "form_version": version.id,
                     "values_json": '{"imported": true}'},
                    item["submitted_on"], self_declaration_deadline(item["year"]), actor, result,
                    existing, key, line)


def _municipality_and_version(line, item, municipalities, versions, day, result):
    """The row's municipality and the form version valid on `day` (R18), or (None, None) with the error noted."""
    muni = municipalities.get(item["bfs_nr"])
    if muni is None:
        result.errors.append((line, "bfs_nr: unbekannte BFS-Nummer."))
        return None, None
    version = version_on(versions, day)
    if version is None:
        result.errors.append((line, f"Keine Formularversion gültig am {day:%d.%m.%Y}."))
        return None, None
    return muni, version
