"""Excel exports for accounting (issue 6): typed cells, no formula injection, constant memory.

Every text that may come from a user goes through `write_string` on a workbook opened with
`strings_to_formulas` and `strings_to_urls` off, so `=HYPERLINK(…)` stays text (R11, R13, R16, R25).
"""
import io
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

import xlsxwriter
from peewee import fn

from core.formatting import period_label
from models import (
    ITEM_STATUSES,
    OUTCOMES,
    PROPOSAL_STATES,
    TARIFF_KINDS,
    Clawback,
    Evidence,
    Invoice,
    Municipality,
    PayoutLine,
    PayoutRun,
    Report,
    RunPayee,
    RunStatus,
    Sample,
    SampleItem,
    Tariff,
    db,
)
from models.labels import LABELS
from payouts.base_contributions import yearly_contributions
from payouts.loader import load_base_inputs
from payouts.offsets import invoice_due

from .run_views import COLUMN_OF, legal_basis

WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
                    "constant_memory": True}
MONEY = "#,##0.00"
COMPONENT_LABELS = LABELS["component"]  # issue 18: the one mapping ("EG" read like Einwohnergemeinde)
PAYOUT_HEADERS = ["Lauf", "Valuta", "BFS-Nr", "Empfänger", "Kreditor-Nr", "IBAN", "Fallpauschalen",
                  "Dolmetschpauschalen", "Sockelbeitrag", "Korrekturen", "Verrechnung Rückforderungen", "Auszahlung",
                  "Buchungstext"]
DETAIL_HEADERS = ["BFS-Nr", "Gemeinde", "Empfänger", "Komponente", "Periode", "Anzahl", "Ansatz", "Betrag",
                  "Rechtsgrundlage"]
INVOICE_HEADERS = ["Rechnungsnr", "BFS-Nr", "Gemeinde", "Betrag", "Rechnungsdatum", "Fällig am", "Grund"]
SUM_COLUMNS = ("case", "interpreter", "base", "correction", "offset")


class _Sheet:
    """One worksheet written strictly row by row (constant_memory), with typed cells."""

    def __init__(self, book, name, headers, widths, formats):
        self.sheet = book.add_worksheet(name)
        self.formats = formats
        for column, width in enumerate(widths):
            self.sheet.set_column(column, column, width)
        for column, header in enumerate(headers):
            self.sheet.write_string(0, column, header, formats["header"])
        self.sheet.freeze_panes(1, 0)
        self.headers = headers
        self.row = 1

    def write(self, values: list) -> None:
        sheet, row = self.sheet, self.row
        for column, value in enumerate(values):
            kind = type(value)
            if value is None:
                continue  # an empty cell; nothing to write
            if kind is Decimal:
                sheet.write_number(row, column, float(value), self.formats["money"])
            elif kind is int:
                sheet.write_number(row, column, value)
            elif kind is date:
                sheet.write_datetime(row, column, datetime(value.year, value.month, value.day), self.formats["date"])
            else:
                sheet.write_string(row, column, str(value))  # text stays text, even "=…" (injection-proof)
        self.row += 1

    def total(self, label_column: int, label: str, sums: dict[int, Decimal | int]) -> None:
        """A totals row of SUM formulas that carry their cached values (readers that do not recalculate)."""
        self.close_table()
        self.sheet.write_string(self.row, label_column, label, self.formats["bold"])
        for column, value in sums.items():
            letter = xlsxwriter.utility.xl_col_to_name(column)
            style = self.formats["total" if isinstance(value, Decimal) else "total_count"]
            self.sheet.write_formula(self.row, column, f"=SUM({letter}2:{letter}{max(self.row, 2)})", style,
                                     float(value) if isinstance(value, Decimal) else value)
        self.row += 1

    def close_table(self) -> None:
        self.sheet.autofilter(0, 0, max(self.row - 1, 1), len(self.headers) - 1)


def _workbook(buffer, title: str):
    book = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
    book.set_properties({"title": title, "author": "start.integration, Kanton Solothurn",
                         "company": "Kanton Solothurn", "created": datetime.now()})
    formats = {
        "header": book.add_format({"bold": True, "bg_color": "#DDDDDD", "text_wrap": True}),
        "money": book.add_format({"num_format": MONEY}),
        "date": book.add_format({"num_format": "dd.mm.yyyy"}),
        "bold": book.add_format({"bold": True}),
        "total": book.add_format({"bold": True, "num_format": MONEY}),
        "total_count": book.add_format({"bold": True, "num_format": "#,##0"}),
    }
    return book, formats


def payout_list(run: PayoutRun) -> bytes:
    """Payout list of a run; a draft only as a preview marked ENTWURF in the title and every sheet name."""
    draft = run.status == RunStatus.DRAFT
    prefix = "ENTWURF " if draft else ""
    municipalities = {m.id: m for m in Municipality.select(
        Municipality.id, Municipality.bfs_nr, Municipality.name, Municipality.creditor_number, Municipality.iban)
        .namedtuples()}  # plain tuples: a third of the query time of model instances at 2,131 rows
    query = (PayoutLine.select(PayoutLine.municipality, PayoutLine.payee, PayoutLine.component, PayoutLine.period,
                               PayoutLine.quantity, PayoutLine.rate, PayoutLine.amount, PayoutLine.rule)
             .where((PayoutLine.run == run.id) & (PayoutLine.status == "payable")))
    # The cursor's own rows with only the money converted (by MoneyField): peewee's per-column
    # conversion was half of this export's cost above the raw-xlsxwriter limit at 8,000 lines.
    money = PayoutLine.amount.python_value
    lines = [(muni, payee, component, period, quantity, money(rate), money(amount), rule)
             for muni, payee, component, period, quantity, rate, amount, rule in db.execute_sql(*query.sql())]
    per_payee: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for _muni, payee_id, component, _period, _quantity, _rate, amount, _rule in lines:
        per_payee[payee_id][COLUMN_OF[component]] += amount
    buffer = io.BytesIO()
    title = f"{prefix}Auszahlung start.integration per {run.payout_date:%d.%m.%Y}"
    book, formats = _workbook(buffer, title)
    sheet = _Sheet(book, f"{prefix}Auszahlungen", PAYOUT_HEADERS, [7, 11, 8, 28, 12, 26, 15, 15, 15, 13, 15, 15, 48],
                   formats)
    sums = defaultdict(Decimal)
    # The bank data the run pays to, frozen with the run; never the municipality's current data (issue 13).
    bank = {row.payee_id: row for row in RunPayee.select().where(RunPayee.run == run.id)}
    for payee_id in sorted(per_payee, key=lambda i: municipalities[i].bfs_nr):
        payee, amounts = bank.get(payee_id) or municipalities[payee_id], per_payee[payee_id]
        values = [amounts[key] for key in SUM_COLUMNS]
        total = sum(values, Decimal("0.00"))
        for column, value in enumerate([*values, total], start=6):
            sums[column] += value
        sheet.write([run.id, run.payout_date, municipalities[payee_id].bfs_nr, payee.name, payee.creditor_number,
                     payee.iban, *values, total, f"start.integration {run.payout_date:%d.%m.%Y} {payee.name}"])
    sheet.total(3, "Total", sums)
    details = _Sheet(book, f"{prefix}Details", DETAIL_HEADERS, [8, 26, 26, 26, 24, 9, 11, 14, 10], formats)
    for muni_id, payee_id, component, period, quantity, rate, amount, rule in sorted(
            lines, key=lambda line: (municipalities[line[0]].bfs_nr, line[2], line[3])):
        muni = municipalities[muni_id]
        details.write([muni.bfs_nr, muni.name, municipalities[payee_id].name, COMPONENT_LABELS[component],
                       period_label(period), quantity, rate, amount, legal_basis(rule)])
    details.close_table()
    invoices = _Sheet(book, f"{prefix}Rechnungen", INVOICE_HEADERS, [20, 8, 26, 14, 14, 12, 50], formats)
    if draft:
        for number, drafted in enumerate(run.issues.get("invoices", []), start=1):
            muni = municipalities[drafted["municipality_id"]]
            invoices.write([f"ENTWURF-{number}", muni.bfs_nr, muni.name, Decimal(drafted["amount"]), run.payout_date,
                            invoice_due(run.payout_date), drafted["reason"]])
    else:
        for invoice in Invoice.select(Invoice, Clawback).join(Clawback).where(Invoice.run == run.id).order_by(
                Invoice.number):
            muni = municipalities[invoice.municipality_id]
            invoices.write([invoice.number, muni.bfs_nr, muni.name, invoice.amount, invoice.invoice_date,
                            invoice.due_date, invoice.clawback.reason])
    invoices.close_table()
    book.close()
    return buffer.getvalue()


def contributions(year: int, municipality_ids: set[int] | None = None) -> bytes:
    """Anhang 1 (R25) for a year; officers get only the rows of their own municipalities."""
    inputs = load_base_inputs(year)
    districts = dict(Municipality.select(Municipality.id, Municipality.district).tuples())
    buffer = io.BytesIO()
    book, formats = _workbook(buffer, f"Beiträge an die Einwohnergemeinden für das Jahr {year} (Anhang 1)")
    headers = ["BFS-Nr", "Gemeinde", "Bezirk", f"Ausländerbestand 31.12.{year - 2}", f"Sockelbeitrag {year}"]
    sheet = _Sheet(book, f"Beiträge {year}", headers, [8, 28, 16, 22, 16], formats)
    count_total, amount_total = 0, Decimal("0.00")
    for muni, count, amount in yearly_contributions(inputs, year):
        if municipality_ids is not None and muni.id not in municipality_ids:
            continue
        sheet.write([muni.bfs_nr, muni.name, districts[muni.id], count, amount])
        count_total += count or 0
        amount_total += amount or Decimal("0.00")
    sheet.total(1, "Total", {3: count_total, 4: amount_total})
    tariffs = _Sheet(book, f"Tarife {year}", ["Tarif", "Betrag", "Gültig ab", "Gültig bis", "Rechtsgrundlage"],
                     [46, 12, 12, 12, 60], formats)
    for tariff in Tariff.select().where(Tariff.overlapping(date(year, 1, 1), date(year, 12, 31)))\
            .order_by(Tariff.kind, Tariff.valid_from):
        tariffs.write([TARIFF_KINDS[tariff.kind], tariff.amount, tariff.valid_from, tariff.valid_to, tariff.reference])
    tariffs.close_table()
    book.close()
    return buffer.getvalue()


SAMPLE_HEADERS = ["Posten", "BFS-Nr", "Gemeinde", "Bezirk", "Jahr", "Halbjahr", "Status", "Belege angefordert",
                  "Belege", "Ergebnis", "Betrag", "Begründung", "Beurteilt am", "Rückforderungsvorschlag"]


def sample_list(sample: Sample) -> bytes:
    """The items of a sample (R24) with their state and outcome; a second sheet records how it was drawn."""
    buffer = io.BytesIO()
    book, formats = _workbook(buffer, f"Stichprobe {sample.id} Finanzkontrolle {sample.year}")
    sheet = _Sheet(book, "Stichprobe", SAMPLE_HEADERS, [8, 8, 26, 16, 7, 9, 18, 14, 7, 14, 13, 50, 12, 22], formats)
    counts = dict(Evidence.select(Evidence.item, fn.COUNT(Evidence.id)).join(SampleItem)
                  .where(SampleItem.sample == sample.id).group_by(Evidence.item).tuples())
    items = (SampleItem.select(SampleItem, Municipality, Report).join(Municipality).switch(SampleItem).join(Report)
             .where(SampleItem.sample == sample.id).order_by(Municipality.bfs_nr, Report.year, Report.half))
    total = Decimal("0.00")
    for item in items:
        sheet.write([item.id, item.municipality.bfs_nr, item.municipality.name, item.district, item.report.year,
                     item.report.half, ITEM_STATUSES[item.status],
                     item.requested_at.date() if item.requested_at else None, counts.get(item.id, 0),
                     OUTCOMES.get(item.outcome, "offen"), item.amount, item.text,
                     item.decided_at.date() if item.decided_at else None,
                     PROPOSAL_STATES.get(item.proposal, "")])
        total += item.amount or Decimal("0.00")
    sheet.total(9, "Total Beanstandungen", {10: total})
    about = _Sheet(book, "Ziehung", ["Angabe", "Wert"], [28, 40], formats)
    for label, value in (("Stichprobe", sample.id), ("Jahr", sample.year), ("Startwert (Seed)", sample.seed),
                         ("Methode", f"{sample.percent} %" if sample.method == "percent" else "Anzahl"),
                         ("Umfang", sample.size), ("Grundgesamtheit", sample.population_size),
                         ("Nach Bezirk geschichtet", "ja" if sample.stratified else "nein"),
                         ("Bezirk", sample.district or "alle"), ("Gezogen am", sample.drawn_at.date()),
                         ("Gezogen von", sample.drawn_by.email)):
        about.write([label, value])
    about.close_table()
    book.close()
    return buffer.getvalue()
