"""Imports: the shipped real data loads; bad files are refused whole with line numbers."""
import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from models import AuditEntry, ForeignPopulation, Municipality
from services.audit import Actor
from services.errors import DomainError
from services.imports import run_import

DATA = Path(__file__).resolve().parent.parent / "data"
ACTOR = Actor.cli("test")


def _import(kind, content, name="x.csv", dry_run=False):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return run_import(kind, name, data, ACTOR, dry_run=dry_run)


def _load_real(runner):
    for kind, name in (("municipalities", "municipalities.csv"), ("population", "population.csv")):
        result = runner.invoke(args=["import", kind, str(DATA / name)])
        assert result.exit_code == 0, result.output


def test_real_data_loads_through_the_cli(app, runner):
    _load_real(runner)
    assert Municipality.select().count() == 106
    assert ForeignPopulation.select().count() == 212
    total_2024 = sum(p.count for p in ForeignPopulation.select().where(
        ForeignPopulation.reference_date == date(2024, 12, 31)))
    assert total_2024 == 74173  # the canton row of STATPOP (data/SOURCES.md)


def test_r26_merger_of_2026_is_recorded(app, runner):
    _load_real(runner)
    kriegstetten = Municipality.get(Municipality.bfs_nr == 2525)
    for bfs in (2520, 2529):
        merged = Municipality.get(Municipality.bfs_nr == bfs)
        assert merged.valid_to == date(2025, 12, 31) and merged.successor_id == kriegstetten.id
    assert Municipality.valid_in_year(2025).count() == 106
    assert Municipality.valid_in_year(2026).count() == 104


def test_reimporting_the_same_file_creates_no_duplicates(app, runner):
    _load_real(runner)
    audits = AuditEntry.select().count()
    result = runner.invoke(args=["import", "municipalities", str(DATA / "municipalities.csv")])
    assert "0 neu, 0 geändert, 106 unverändert" in result.output
    assert Municipality.select().count() == 106 and AuditEntry.select().count() == audits


def test_import_updates_on_the_natural_key_and_keeps_absent_columns(app, make_municipality):
    muni = make_municipality(bfs_nr=2601, name="Solothurn", organisation_settled_on=date(2018, 1, 1))
    result = _import("municipalities", "bfs_nr,name,district\n2601,Stadt Solothurn,Solothurn\n")
    assert (result.created, result.updated) == (0, 1)
    muni = Municipality.get_by_id(muni.id)
    assert muni.name == "Stadt Solothurn" and muni.organisation_settled_on == date(2018, 1, 1)


def test_semicolon_csv_with_swiss_dates_and_bom(app):
    content = "\ufeffbfs_nr;name;district;valid_from\n2601;Solothurn;Solothurn;01.01.1990\n"
    result = _import("municipalities", content)
    assert result.ok and Municipality.get(Municipality.bfs_nr == 2601).valid_from == date(1990, 1, 1)


def test_xlsx_first_sheet_is_imported(app, make_municipality):
    make_municipality(bfs_nr=2601)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["bfs_nr", "reference_date", "foreign_residents", "source"])
    sheet.append([2601, date(2024, 12, 31), 3512, "BFS"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = _import("population", buffer.getvalue(), name="bestand.xlsx")
    assert result.ok and ForeignPopulation.get().count == 3512


def test_dry_run_writes_nothing(app):
    audits = AuditEntry.select().count()
    result = _import("municipalities", "bfs_nr,name,district\n2601,Solothurn,Solothurn\n", dry_run=True)
    assert result.ok and result.created == 1
    assert Municipality.select().count() == 0 and AuditEntry.select().count() == audits


@pytest.mark.parametrize("content, line, message", [
    ("bfs_nr,reference_date,foreign_residents\n2601,2024-12-31,-5\n", 2, "kleiner als 0"),
    ("bfs_nr,reference_date,foreign_residents\n2601,2024-12-31,viele\n", 2, "keine ganze Zahl"),
    ("bfs_nr,reference_date,foreign_residents\n2601,31.02.2024,5\n", 2, "kein gültiges Datum"),
    ("bfs_nr,reference_date,foreign_residents\n2601,2024-06-30,5\n", 2, "31. Dezember"),
    ("bfs_nr,reference_date,foreign_residents\n2601,2024-12-31,5\n2601,31.12.2024,6\n", 3, "Doppelte Zeile"),
    ("bfs_nr,reference_date,foreign_residents\n2601,2024-12-31,5\n7777,2024-12-31,6\n", 3, "unbekannte BFS"),
    ("bfs_nr,reference_date,foreign_residents,source\n2601,2024-12-31,5,=HYPERLINK(\"x\")\n", 2, "Formeln"),
])
def test_bad_population_rows_are_reported_and_nothing_is_written(app, make_municipality, content, line, message):
    make_municipality(bfs_nr=2601)
    result = _import("population", content)
    assert not result.ok
    assert any(n == line and message in m for n, m in result.errors), result.errors
    assert ForeignPopulation.select().count() == 0


@pytest.mark.parametrize("content, message", [
    ("bfs_nr,name,district\n260,Kurz,Solothurn\n", "vierstellig"),
    ("bfs_nr,name,district\n2601,+Solothurn,Solothurn\n", "Formeln"),
    ("bfs_nr,name,district\n2601,@SUM(1),Solothurn\n", "Formeln"),
    ("bfs_nr,name,district,iban\n2601,Solothurn,Solothurn,DE89370400440532013000\n", "Schweizer"),
    ("bfs_nr,name,district,iban\n2601,Solothurn,Solothurn,CH00 0000 0000 0000 0000 0\n", "keine gültige IBAN"),
    ("bfs_nr,name,district,valid_from,valid_to\n2601,Solothurn,Solothurn,2020-01-01,2019-01-01\n", "vor dem Beginn"),
    ("bfs_nr,name,district,valid_to,successor_bfs\n2601,Solothurn,Solothurn,2025-12-31,4242\n", "unbekannte BFS"),
])
def test_bad_municipality_rows_are_refused(app, content, message):
    result = _import("municipalities", content)
    assert not result.ok and any(message in m for _, m in result.errors), result.errors
    assert Municipality.select().count() == 0


def test_a_bad_row_late_in_the_file_rolls_back_everything(app):
    audits = AuditEntry.select().count()
    rows = "".join(f"{2400 + i},G{i},Gäu\n" for i in range(1, 50))
    result = _import("municipalities", "bfs_nr,name,district,valid_to,successor_bfs\n" + rows
                     + "2600,Alt,Gäu,2025-12-31,9998\n")
    assert not result.ok and Municipality.select().count() == 0
    assert AuditEntry.select().count() == audits


def test_valid_iban_is_stored_compact(app):
    result = _import("municipalities", "bfs_nr,name,district,iban\n2601,Solothurn,Solothurn,CH93 0076 2011 6238 5295 7\n")
    assert result.ok and Municipality.get().iban == "CH9300762011623852957"


@pytest.mark.parametrize("content, name, message", [
    ("", "x.csv", "leer"),
    ("bfs_nr,name\n2601,Solothurn\n", "x.csv", "fehlende Spalten: district"),
    ("bfs_nr,name,district,extra\n2601,S,S,1\n", "x.csv", "unbekannte Spalten: extra"),
    ("bfs_nr,name,district\n", "x.csv", "keine Datenzeilen"),
    (b"\x89PNG\r\n\x1a\n\x00\x00binary", "bild.png", "weder CSV"),
    (b"PK\x03\x04kaputt", "x.xlsx", "nicht gelesen"),
])
def test_unusable_files_are_refused_with_a_message(app, content, name, message):
    with pytest.raises(DomainError, match=message):
        _import("municipalities", content, name=name)


def test_import_cli_reports_rows_and_fails(app, runner, tmp_path):
    path = tmp_path / "bestand.csv"
    path.write_text("bfs_nr,reference_date,foreign_residents\n1234,2024-12-31,5\n", encoding="utf-8")
    result = runner.invoke(args=["import", "population", str(path)])
    assert result.exit_code == 1 and "Zeile 2: bfs_nr: unbekannte BFS-Nummer" in result.output


def test_import_writes_one_audit_entry_per_created_row(app):
    _import("municipalities", "bfs_nr,name,district\n2601,Solothurn,Solothurn\n2581,Bellach,Lebern\n")
    entries = AuditEntry.select().where(AuditEntry.model == "Municipality")
    assert entries.count() == 2 and {e.reason for e in entries} == {"Import"}
