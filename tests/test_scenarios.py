"""Scenario tests as data (issue 13, deliverable 10): every file in tests/scenarios/ is one whole case.

A file gives master data, reports, decisions and clawbacks, then ordered steps (prepare, approve, correct, …)
and expectations (amounts per payee, invoices, withheld items). The runner drives the real services on the
suite's database (SQLite, or PostgreSQL with TEST_DATABASE_URL). Unknown keys and step kinds fail loudly.
A scenario with meta.status = "xfail" documents a defect: it must fail today (strict) and is flipped to
"pass" once fixed. The file format is described in README.md, section "Scenario tests".
"""
import io
import tomllib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from core.calendar import HalfYear
from models import (
    Clawback,
    Decision,
    ForeignPopulation,
    FormVersion,
    Invoice,
    Municipality,
    OfficerAssignment,
    PayoutLine,
    PayoutRun,
    Report,
    SelfDeclaration,
    Tariff,
    User,
)
from services import exports, payout_runs, settings, submissions
from services.errors import DomainError

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
COUNT_KEYS = ("first_info_interviews", "first_info_interpreter", "integration_interviews", "integration_interpreter")

# Allowed keys per section: (required, optional). A typo is an error, never silently ignored.
SECTIONS = {
    "meta": ({"title", "rules", "status"}, {"defect", "xfail_reason", "notes", "go_live"}),
    "municipalities": ({"bfs_nr"}, {"name", "district", "valid_from", "valid_to", "successor_bfs",
                                    "organisation_settled_on", "iban", "creditor_number"}),
    "officers": ({"bfs"}, {"valid_from", "valid_to"}),
    "contracts": ({"lead", "members"}, {"reference", "payee", "valid_from", "valid_to"}),
    "population": ({"bfs", "count"}, {"year", "years"}),
    "tariffs": ({"kind", "amount", "valid_from"}, {"valid_to", "reference"}),
    "reports": ({"bfs", "year", "half"}, {*COUNT_KEYS, "status", "late"}),
    "self_declarations": ({"bfs"}, {"year", "years", "status"}),
    "decisions": ({"kind", "bfs", "reason"}, {"year", "half", "declaration_year", "decided_on", "component",
                                              "period"}),
    "clawbacks": ({"bfs", "amount", "reason", "decided_on"}, set()),
    "budgets": ({"year", "credit"}, set()),
}
REPORT_KEYS = ({"bfs", "year", "half"}, {*COUNT_KEYS, "as", "today"})
STEPS = {
    "prepare": ({"date"}, {"today", "as"}),
    "view_run": ({"run"}, {"as"}),
    "approve": ({"run"}, {"as", "today"}),
    "book": ({"run"}, {"as"}),
    "submit_report": REPORT_KEYS,
    "resubmit_report": REPORT_KEYS,
    "correct_report": REPORT_KEYS,
    "accept_report": ({"bfs", "year", "half"}, set()),
    "accept_self_declaration": ({"bfs", "year"}, set()),
    "edit_bank_data": ({"bfs"}, {"iban", "creditor_number"}),
    "add_clawback": SECTIONS["clawbacks"],
    "add_decision": SECTIONS["decisions"],
    "set_go_live": ({"date"}, set()),
    "expect_refused": ({"step", "message_contains"}, set()),
    "expect": ({"run"}, {"status", "total", "payees", "lines", "absent", "invoices", "withheld_contains",
                         "blockers"}),
    "expect_overall": (set(), {"paid", "invoiced"}),
    "expect_export": ({"run", "payees"}, set()),
    "expect_budget": ({"year"}, {"used", "surplus"}),
}
LINE_KEYS = {"bfs", "payee", "component", "period", "quantity", "amount", "status"}
INVOICE_KEYS = {"bfs", "amount", "invoice_date", "due"}


def _check_keys(where: str, data: dict, required: set, optional: set) -> None:
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a table, got {data!r}")
    missing, unknown = required - data.keys(), data.keys() - required - optional
    if missing or unknown:
        raise ValueError(f"{where}: missing keys {sorted(missing)}, unknown keys {sorted(unknown)} "
                         f"(allowed: {sorted(required | optional)})")


def _check_step(where: str, step: dict) -> None:
    kind = step.get("do")
    if kind not in STEPS:
        raise ValueError(f"{where}: unknown step do={kind!r} (known: {sorted(STEPS)})")
    required, optional = STEPS[kind]
    _check_keys(where, {k: v for k, v in step.items() if k != "do"}, required, optional)
    if kind == "expect_refused":
        _check_step(f"{where}.step", step["step"])
    for item in step.get("lines", []) + step.get("absent", []):
        _check_keys(f"{where}.lines", item, set(), LINE_KEYS)
    for item in step.get("invoices", []):
        _check_keys(f"{where}.invoices", item, {"bfs", "amount"}, INVOICE_KEYS)


def load(path: Path) -> dict:
    """Read and validate one scenario file."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    unknown = data.keys() - SECTIONS.keys() - {"steps"}
    if unknown:
        raise ValueError(f"{path.name}: unknown sections {sorted(unknown)}")
    _check_keys(f"{path.name} [meta]", data.get("meta", {}), *SECTIONS["meta"])
    meta = data["meta"]
    if meta["status"] not in ("pass", "xfail") or (meta["status"] == "xfail") != bool(meta.get("xfail_reason")):
        raise ValueError(f"{path.name}: status is 'pass', or 'xfail' with an xfail_reason")
    for section, (required, optional) in SECTIONS.items():
        if section != "meta":
            for number, row in enumerate(data.get(section, []), start=1):
                _check_keys(f"{path.name} [[{section}]] #{number}", row, required, optional)
    if not data.get("steps"):
        raise ValueError(f"{path.name}: no [[steps]]")
    for number, step in enumerate(data["steps"], start=1):
        _check_step(f"{path.name} [[steps]] #{number}", step)
    return data


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _money(value) -> Decimal:
    if isinstance(value, float):
        raise ValueError(f"amount {value!r}: write amounts as strings, e.g. \"3080.00\" (R11)")
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _years(row: dict) -> range:
    if "years" in row:
        first, last = row["years"]
        return range(first, last + 1)
    return range(row["year"], row["year"] + 1)


class Scenario:
    def __init__(self, data: dict, make_municipality, make_user, make_contract):
        self.data = data
        self.make_municipality, self.make_user, self.make_contract = make_municipality, make_user, make_contract
        self.users: dict[str, User] = {}
        self.officers: dict[int, User] = {}
        self.seen_versions: dict[tuple[str, int], int] = {}

    # --- given ------------------------------------------------------------------------------------
    def muni(self, bfs) -> Municipality:
        muni = Municipality.get_or_none(Municipality.bfs_nr == int(bfs))
        assert muni is not None, f"unknown BFS number {bfs} in the scenario"
        return muni

    def actor(self, name: str) -> User:
        if name.startswith("officer:"):
            bfs = int(name.split(":", 1)[1])
            assert bfs in self.officers, f"no [[officers]] entry for {bfs}"
            return self.officers[bfs]
        if name not in self.users:
            role = name.rstrip("0123456789")
            assert role in ("admin", "accountant", "auditor"), f"unknown actor {name!r}"
            self.users[name] = self.make_user(role, email=f"{name}@scenario.so.ch")
        return self.users[name]

    def given(self) -> None:
        data = self.data
        for row in data.get("municipalities", []):
            self.make_municipality(
                bfs_nr=row["bfs_nr"], name=row.get("name", f"Gemeinde {row['bfs_nr']}"),
                district=row.get("district", "Lebern"),
                valid_from=_day(row["valid_from"]) if "valid_from" in row else None,
                valid_to=_day(row["valid_to"]) if "valid_to" in row else None,
                organisation_settled_on=_day(row.get("organisation_settled_on", "2017-01-01")),
                **{key: row[key] for key in ("iban", "creditor_number") if key in row})  # else valid test data
        for row in data.get("municipalities", []):
            if "successor_bfs" in row:
                Municipality.update(successor=self.muni(row["successor_bfs"])).where(
                    Municipality.bfs_nr == row["bfs_nr"]).execute()
        for row in data.get("officers", []):
            officer = self.make_user("officer", email=f"ib-{row['bfs']}@scenario.so.ch",
                                     municipality=self.muni(row["bfs"]),
                                     valid_from=_day(row.get("valid_from", "2017-01-01")))
            if "valid_to" in row:
                OfficerAssignment.update(valid_to=_day(row["valid_to"])).where(
                    OfficerAssignment.user == officer.id).execute()
            self.officers[row["bfs"]] = officer
        for row in data.get("contracts", []):
            lead = self.muni(row["lead"])
            self.make_contract(lead, [self.muni(m) for m in row["members"]],
                               valid_from=_day(row.get("valid_from", "2017-01-01")),
                               valid_to=_day(row["valid_to"]) if "valid_to" in row else None,
                               payee=row.get("payee", "lead"), reference=row.get("reference"))
        for row in data.get("population", []):
            for year in _years(row):
                ForeignPopulation.create(municipality=self.muni(row["bfs"]), reference_date=date(year, 12, 31),
                                         count=row["count"])
        for row in data.get("tariffs", []):
            self.add_tariff(row)
        for row in data.get("reports", []):
            period = HalfYear(row["year"], row["half"])
            report = Report(municipality=self.muni(row["bfs"]), year=period.year, half=period.half,
                            status=row.get("status", "accepted"), late=row.get("late", False),
                            form_version=FormVersion.valid_on("report", period.start))
            report.values = {key: row.get(key, 0) for key in COUNT_KEYS}
            report.save()
        for row in data.get("self_declarations", []):
            for year in _years(row):
                SelfDeclaration.create(municipality=self.muni(row["bfs"]), year=year,
                                       status=row.get("status", "accepted"),
                                       form_version=FormVersion.valid_on("self_declaration", date(year, 1, 1)))
        for row in data.get("decisions", []):
            self.add_decision(row)
        for row in data.get("clawbacks", []):
            self.add_clawback(row)
        for row in data.get("budgets", []):
            payout_runs.set_budget(self.actor("admin"), row["year"], _money(row["credit"]))

    def add_tariff(self, row: dict) -> None:
        """A new rate supersedes the open-ended one of the same kind from its start (R5, R7)."""
        start = _day(row["valid_from"])
        Tariff.update(valid_to=start - timedelta(days=1)).where(
            (Tariff.kind == row["kind"]) & (Tariff.valid_from < start) & Tariff.valid_to.is_null()).execute()
        Tariff.create(kind=row["kind"], amount=_money(row["amount"]), valid_from=start,
                      valid_to=_day(row["valid_to"]) if "valid_to" in row else None,
                      reference=row.get("reference", "Szenario"))

    def add_decision(self, row: dict) -> None:
        muni = self.muni(row["bfs"])
        report = self.report(row["bfs"], row["year"], row["half"]) if "half" in row else None
        declaration = (SelfDeclaration.get((SelfDeclaration.municipality == muni.id)
                                           & (SelfDeclaration.year == row["declaration_year"]))
                       if "declaration_year" in row else None)
        component, period = row.get("component"), row.get("period")
        if row["kind"] in ("refuse_contribution", "pay_after_close") and component is None:
            # §4.7: a refusal names component and period; a report's refusal refuses its fees
            component, period = ("fees", f"{row['year']}-H{row['half']}") if report else (
                "base_contribution", str(row.get("declaration_year", row.get("year"))))
        Decision.create(kind=row["kind"], municipality=muni, report=report, self_declaration=declaration,
                        reason=row["reason"], decided_on=_day(row.get("decided_on", "2017-01-01")),
                        decided_by=self.actor("admin"), component=component, period=period)

    def add_clawback(self, row: dict) -> None:
        payout_runs.add_clawback(self.actor("admin"), int(row["bfs"]), _money(row["amount"]), row["reason"],
                                 _day(row["decided_on"]))

    # --- when -------------------------------------------------------------------------------------
    def run(self, day) -> PayoutRun:
        run = PayoutRun.get_or_none(PayoutRun.payout_date == _day(day))
        assert run is not None, f"no run per {day}"
        return run

    def report(self, bfs, year, half) -> Report:
        report = Report.get_or_none((Report.municipality == self.muni(bfs).id) & (Report.year == year)
                                    & (Report.half == half))
        assert report is not None, f"no report {bfs} {year}-H{half}"
        return report

    def step(self, step: dict) -> None:
        getattr(self, "do_" + step["do"])(**{k: v for k, v in step.items() if k != "do"})

    def do_prepare(self, date, today=None, **kw):
        payout_runs.prepare(self.actor(kw.get("as", "admin")), _day(date), _day(today or date))

    def do_view_run(self, run, **kw):
        self.seen_versions[(kw.get("as", "accountant"), self.run(run).id)] = self.run(run).version

    def do_approve(self, run, today=None, **kw):
        """The accountant approves the version they viewed (or the current one), on `today` (default: run date)."""
        name = kw.get("as", "accountant")
        target = self.run(run)
        version = self.seen_versions.get((name, target.id), target.version)
        payout_runs.approve(self.actor(name), target.id, version, today=_day(today or run))

    def do_book(self, run, **kw):
        payout_runs.book(self.actor(kw.get("as", "accountant")), self.run(run).id)

    def _values(self, document: Report, counts: dict) -> dict:
        return {**document.values, **{key: counts[key] for key in COUNT_KEYS if key in counts}}

    def _submit(self, report: Report, user: User, today):
        return submissions.submit(user, report, report.version, today=_day(today) if today else None)

    def do_submit_report(self, bfs, year, half, today=None, **kw):
        """The officer enters a new report and submits it (R2, R22)."""
        user = self.actor(kw.pop("as", f"officer:{bfs}"))
        period = HalfYear(year, half)
        draft = Report(municipality=self.muni(bfs), year=year, half=half,
                       form_version=FormVersion.valid_on("report", period.start))
        draft = submissions.save_draft(user, draft, {key: kw.get(key, 0) for key in COUNT_KEYS}, None)
        self._submit(draft, user, today)

    def do_resubmit_report(self, bfs, year, half, today=None, **kw):
        """The canton returns an accepted report, the officer changes the counts and submits again (R22)."""
        user = self.actor(kw.pop("as", f"officer:{bfs}"))
        report = self.report(bfs, year, half)
        report = submissions.return_(self.actor("admin"), report, "Korrektur gemäss Szenario") \
            if report.status == "submitted" else self._reopen(report)
        report = submissions.save_draft(user, report, self._values(report, kw), report.version)
        self._submit(report, user, today)

    def _reopen(self, report: Report) -> Report:
        """An accepted report is opened for correction by the canton (R15, R22)."""
        return submissions.reopen(self.actor("admin"), report, "Korrektur gemäss Szenario")

    def do_correct_report(self, bfs, year, half, **kw):
        """A paid report is corrected and accepted again; the next run shows the difference (R15)."""
        self.do_resubmit_report(bfs, year, half, **kw)
        submissions.accept(self.actor("admin"), self.report(bfs, year, half))

    def do_accept_report(self, bfs, year, half):
        submissions.accept(self.actor("admin"), self.report(bfs, year, half))

    def do_accept_self_declaration(self, bfs, year):
        muni = self.muni(bfs)
        declaration = SelfDeclaration.get_or_none((SelfDeclaration.municipality == muni.id)
                                                  & (SelfDeclaration.year == year))
        if declaration is None:
            declaration = SelfDeclaration(municipality=muni, year=year,
                                          form_version=FormVersion.valid_on("self_declaration", date(year, 1, 1)))
            declaration = submissions.save_draft(self.actor(f"officer:{bfs}"), declaration, {}, None)
        if declaration.status in ("draft", "returned"):
            declaration = submissions.submit(self.actor(f"officer:{bfs}"), declaration, declaration.version)
        submissions.accept(self.actor("admin"), declaration)

    def do_edit_bank_data(self, bfs, **changes):
        """An admin edits the payee's bank data in the master data (as the admin form saves it)."""
        Municipality.update(**changes).where(Municipality.bfs_nr == int(bfs)).execute()

    def do_add_clawback(self, **row):
        self.add_clawback(row)

    def do_add_decision(self, **row):
        self.add_decision(row)

    def do_set_go_live(self, date):
        """Issue 13, deliverable 3: a recorded, audited go-live date (`flask settings go-live`)."""
        admin = self.actor("admin")
        settings.set_go_live(_day(date), admin)

    def do_expect_refused(self, step, message_contains):
        before = _written()
        try:
            self.step(step)
        except DomainError as refused:
            assert message_contains in str(refused), f"refused, but with: {refused}"
        else:
            raise AssertionError(f"expected a refusal containing {message_contains!r}, but the step succeeded")
        assert _written() == before, "refused, but something was written"

    # --- then -------------------------------------------------------------------------------------
    def lines(self, run: PayoutRun) -> list[dict]:
        bfs = dict(Municipality.select(Municipality.id, Municipality.bfs_nr).tuples())
        return [{"bfs": bfs[line.municipality_id], "payee": bfs[line.payee_id], "component": line.component,
                 "period": line.period, "quantity": line.quantity, "amount": line.amount, "status": line.status}
                for line in PayoutLine.select().where(PayoutLine.run == run.id)]

    def do_expect(self, run, **expected):
        target = self.run(run)
        lines = self.lines(target)
        if "status" in expected:
            assert target.status == expected["status"], f"run status {target.status}"
        if "total" in expected:
            total = sum((line["amount"] for line in lines if line["status"] == "payable"), Decimal("0.00"))
            assert total == _money(expected["total"]), f"total {total}"
        if "payees" in expected:
            assert _per_payee(lines) == {int(b): _money(a) for b, a in expected["payees"].items()}, \
                f"payees {_per_payee(lines)}"
        for wanted in expected.get("lines", []):
            found = [line for line in lines if _matches(line, wanted)]
            assert len(found) == 1, f"expected one line like {wanted}, found {found}; lines: {lines}"
        for unwanted in expected.get("absent", []):
            found = [line for line in lines if _matches(line, unwanted)]
            assert not found, f"expected no line like {unwanted}, found {found}"
        if "invoices" in expected:
            _expect_invoices(Invoice.select().where(Invoice.run == target.id), expected["invoices"])
        messages = [issue["message"] for issue in target.issues.get("withheld", [])]
        for text in expected.get("withheld_contains", []):
            assert any(text in message for message in messages), f"no withheld item with {text!r}: {messages}"
        if "blockers" in expected:
            blockers = target.issues.get("blockers", [])
            assert len(blockers) == expected["blockers"], f"blockers: {blockers}"

    def do_expect_overall(self, paid=None, invoiced=None):
        """Over all approved and booked runs: net paid per payee, and invoiced per debtor (R15, R16)."""
        if paid is not None:
            lines = [line for run in PayoutRun.select().where(PayoutRun.status.in_(("approved", "booked")))
                     for line in self.lines(run)]
            assert _per_payee(lines) == {int(b): _money(a) for b, a in paid.items()}, f"paid {_per_payee(lines)}"
        if invoiced is not None:
            bfs = dict(Municipality.select(Municipality.id, Municipality.bfs_nr).tuples())
            actual: dict[int, Decimal] = {}
            for invoice in Invoice.select():
                actual[bfs[invoice.municipality_id]] = actual.get(bfs[invoice.municipality_id], 0) + invoice.amount
            assert actual == {int(b): _money(a) for b, a in invoiced.items()}, f"invoiced {actual}"

    def do_expect_export(self, run, payees):
        """The payout list for accounting shows the bank data the run was approved with (issue 13, 4)."""
        sheet = openpyxl.load_workbook(io.BytesIO(exports.payout_list(self.run(run))), read_only=True).worksheets[0]
        rows = {row[2]: row for row in sheet.iter_rows(min_row=2, values_only=True) if isinstance(row[2], int)}
        for bfs, wanted in payees.items():
            _check_keys(f"expect_export {bfs}", wanted, set(), {"iban", "creditor_number"})
            assert int(bfs) in rows, f"{bfs} not in the payout list"
            actual = {"creditor_number": rows[int(bfs)][4], "iban": rows[int(bfs)][5]}
            for key, value in wanted.items():
                assert actual[key] == value, f"{bfs} {key}: {actual[key]}"

    def do_expect_budget(self, year, used=None, surplus=None):
        budget = payout_runs.budget_year(year)
        if used is not None:
            assert budget.used == _money(used), f"used {budget.used}"
        if surplus is not None:
            assert budget.surplus == _money(surplus), f"surplus {budget.surplus}"


def _written() -> tuple:
    """What a refused action must leave unchanged (a draft saved before a refused submission may stay)."""
    return (PayoutRun.select().count(), PayoutLine.select().count(), Invoice.select().count(),
            Clawback.select().count(), Decision.select().count(),
            Report.select().where(Report.status != "draft").count(),
            sum(run.version for run in PayoutRun.select()))


def _per_payee(lines: list[dict]) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = {}
    for line in lines:
        if line["status"] == "payable":
            totals[line["payee"]] = totals.get(line["payee"], Decimal("0.00")) + line["amount"]
    return totals


def _matches(line: dict, wanted: dict) -> bool:
    for key, value in wanted.items():
        if key == "amount":
            if line["amount"] != _money(value):
                return False
        elif line[key] != value:
            return False
    return True


def _expect_invoices(query, expected: list[dict]) -> None:
    bfs = dict(Municipality.select(Municipality.id, Municipality.bfs_nr).tuples())
    actual = [{"bfs": bfs[i.municipality_id], "amount": i.amount, "invoice_date": i.invoice_date, "due": i.due_date}
              for i in query]
    remaining = list(actual)
    for wanted in expected:
        match = next((i for i in remaining if i["bfs"] == wanted["bfs"] and i["amount"] == _money(wanted["amount"])
                      and all(i[k] == _day(wanted[k]) for k in ("invoice_date", "due") if k in wanted)), None)
        assert match is not None, f"no invoice like {wanted}; invoices: {actual}"
        remaining.remove(match)
    assert not remaining, f"unexpected invoices {remaining}"


def _params():
    for path in sorted(SCENARIOS.glob("*.toml")):
        try:
            meta = load(path)["meta"]
        except (ValueError, tomllib.TOMLDecodeError):
            yield pytest.param(path, id=path.stem)  # the test reports the error
            continue
        marks = [pytest.mark.xfail(strict=True, reason=meta["xfail_reason"])] if meta["status"] == "xfail" else []
        yield pytest.param(path, id=path.stem, marks=marks)


@pytest.mark.parametrize("path", list(_params()))
def test_scenario(path, app, make_municipality, make_user, make_contract):
    """One readable case of tests/scenarios/: given master data, when steps run, then amounts (R4–R17, R26)."""
    data = load(path)
    scenario = Scenario(data, make_municipality, make_user, make_contract)
    scenario.given()
    if not any(step["do"] == "set_go_live" for step in data["steps"]):
        # the system pays from go-live on: by default the scenario's first run (issue 13, deliverable 3)
        first = data["meta"].get("go_live") or next(
            (s["date"] for s in data["steps"] if s["do"] == "prepare"), None)
        if first:
            scenario.do_set_go_live(first)
    for number, step in enumerate(data["steps"], start=1):
        try:
            scenario.step(step)
        except Exception as exc:
            exc.add_note(f"{path.name}, step {number}: {step}")
            raise


def test_scenario_files_are_valid_and_typos_fail(tmp_path):
    """Every scenario file parses; an unknown key or step kind is an error, not a silent pass."""
    files = sorted(SCENARIOS.glob("*.toml"))
    assert files
    for path in files:
        load(path)
    typo = tmp_path / "typo.toml"
    typo.write_text('[meta]\ntitle = "x"\nrules = []\nstatus = "pass"\n[[steps]]\ndo = "prepare"\ndate = "2026-09-30"'
                    '\ntodya = "2026-09-30"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="todya"):
        load(typo)
    typo.write_text('[meta]\ntitle = "x"\nrules = []\nstatus = "pass"\n[[steps]]\ndo = "aprove"\nrun = "2026-09-30"\n',
                    encoding="utf-8")
    with pytest.raises(ValueError, match="aprove"):
        load(typo)
