"""Payment file pain.001.001.09 after the Swiss Payment Standards (issue 16).

Every produced file is validated against the ISO 20022 schema that sepaxml ships (with xmlschema,
independently of the module's own check) and against the SPS rules written out below (character set
§3.1, reference elements §3.2, spaces §3.3, no empty elements §3.4, amounts §3.7, lengths).
"""
import hashlib
import io
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from decimal import Decimal
from importlib.resources import files

import pytest
import xmlschema
from conftest import ensure_go_live, sample_iban
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from documents.pain001 import Debtor, PaymentFile, Transfer, build, sps_reference, sps_text
from models import AuditEntry, ForeignPopulation, FormVersion, Municipality, Report, RunPayee, SelfDeclaration
from services import exports, payment_files, payout_runs
from services.errors import DomainError

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
XSD = xmlschema.XMLSchema(str(files("sepaxml") / "schemas" / "pain.001.001.09.xsd"))
TODAY = date(2026, 3, 20)
PAYOUT = date(2026, 3, 31)
# XML metacharacters, control characters (no NUL: PostgreSQL text cannot hold it), 200 characters.
HOSTILE = ('<Gemeinde & "Söhne"> \x01\x1f\x7f]]> ' + "Ä" * 200)[:200]
REFERENCE = re.compile(r"^[A-Za-z0-9'()+,\-./:? ]+$")
LIMITS = {"Nm": 70, "TwnNm": 35, "Ustrd": 140, "MsgId": 35, "PmtInfId": 35, "EndToEndId": 35}


def _sps_char(char: str) -> bool:
    code = ord(char)
    return 0x20 <= code <= 0x7E or 0xA1 <= code <= 0x17F or 0x218 <= code <= 0x21B or code == 0x20AC


def sps_violations(data: bytes) -> list[str]:
    """The SPS rules of issue 16, checked on the bytes as a bank would see them."""
    problems = []
    if data.startswith(b"\xef\xbb\xbf"):
        problems.append("BOM")
    root = ET.fromstring(data)
    for element in root.iter():
        tag = element.tag.split("}")[1]
        text = element.text or ""
        if len(element) == 0 and not text.strip():
            problems.append(f"{tag} empty (§3.4)")
        if len(element) == 0:
            if text != text.strip() or "  " in text:
                problems.append(f"{tag} spaces {text!r} (§3.3)")
            if bad := [c for c in text if not _sps_char(c)]:
                problems.append(f"{tag} characters {bad!r} (§3.1)")
            if tag in LIMITS and len(text) > LIMITS[tag]:
                problems.append(f"{tag} longer than {LIMITS[tag]}")
            if tag in ("MsgId", "PmtInfId", "EndToEndId") and (
                    not REFERENCE.match(text) or text[0] in " /" or text.endswith("/") or "//" in text):
                problems.append(f"{tag} {text!r} outside the reference set (§3.2)")
            if tag in ("InstdAmt", "CtrlSum") and not re.match(r"^\d+\.\d{2}$", text):
                problems.append(f"{tag} {text!r} (§3.7)")
    amounts = [Decimal(a.text) for a in root.iterfind(".//p:CdtTrfTxInf/p:Amt/p:InstdAmt", NS)]
    if any(a <= 0 for a in amounts) or {a.get("Ccy") for a in root.iterfind(".//p:InstdAmt", NS)} != {"CHF"}:
        problems.append("amounts not positive CHF")
    for level in ("p:CstmrCdtTrfInitn/p:GrpHdr", "p:CstmrCdtTrfInitn/p:PmtInf"):
        if Decimal(root.find(f"{level}/p:CtrlSum", NS).text) != sum(amounts, Decimal(0)):
            problems.append(f"{level} CtrlSum")
        if int(root.find(f"{level}/p:NbOfTxs", NS).text) != len(amounts):
            problems.append(f"{level} NbOfTxs")
    ids = [e.text for e in root.iterfind(".//p:EndToEndId", NS)]
    if len(ids) != len(set(ids)):
        problems.append("EndToEndId not unique")
    if root.find(".//p:ChrgBr", NS) is not None:
        problems.append("ChrgBr (SEPA's SLEV) in a domestic file")
    for creditor in root.iterfind(".//p:Cdtr", NS):
        if creditor.find("p:PstlAdr/p:TwnNm", NS) is None or creditor.find("p:PstlAdr/p:Ctry", NS) is None:
            problems.append("creditor address without TwnNm and Ctry (§3.11)")
    return problems


def xsd_errors(data: bytes) -> list[str]:
    return [str(error.reason) for error in XSD.iter_errors(data.decode("utf-8"))]


def _town(make_municipality, make_user, bfs, name, count=100, **kw):
    muni = make_municipality(bfs_nr=bfs, name=name, organisation_settled_on=date(2017, 1, 1), **kw)
    make_user("officer", municipality=muni, valid_from=date(2017, 1, 1))
    ForeignPopulation.create(municipality=muni, reference_date=date(2024, 12, 31), count=count)
    SelfDeclaration.create(municipality=muni, year=2026, status="accepted",
                           form_version=FormVersion.valid_on("self_declaration", date(2026, 1, 1)))
    return muni


def _report(muni, fi):
    report = Report(municipality=muni, year=2025, half=2, status="accepted",
                    form_version=FormVersion.valid_on("report", date(2025, 7, 1)))
    report.values = {"first_info_interviews": fi, "first_info_interpreter": 0, "integration_interviews": 0,
                     "integration_interpreter": 0}
    report.save()


@pytest.fixture
def scenario(app, make_municipality, make_user):
    """March 2026 run: a plain town, a hostile name, a town whose credit a clawback eats (R16), and Halten
    merged into Kriegstetten (R26). Returns (run, admin, accountant, towns by BFS number)."""
    ensure_go_live(PAYOUT)
    admin, accountant = make_user("admin"), make_user("accountant")
    towns = {2546: _town(make_municipality, make_user, 2546, "Grenchen", count=200),
             2601: _town(make_municipality, make_user, 2601, HOSTILE, count=10),
             2581: _town(make_municipality, make_user, 2581, "Olten", count=1),
             2525: _town(make_municipality, make_user, 2525, "Kriegstetten", count=50)}
    halten = make_municipality(bfs_nr=2520, name="Halten", organisation_settled_on=date(2017, 1, 1),
                               valid_to=date(2025, 12, 31), iban=sample_iban(2520))
    make_user("officer", municipality=halten, valid_from=date(2017, 1, 1))
    ForeignPopulation.create(municipality=halten, reference_date=date(2024, 12, 31), count=10)
    halten.successor = towns[2525]
    halten.save()
    towns[2520] = halten
    for bfs, interviews in ((2546, 8), (2601, 2), (2581, 1), (2525, 1), (2520, 3)):
        _report(towns[bfs], interviews)
    payout_runs.add_clawback(admin, 2581, Decimal("5000.00"), "Doppelt abgerechnet", date(2026, 2, 1))
    payout_runs.add_clawback(admin, 2546, Decimal("100.00"), "Dolmetscher doppelt", date(2026, 2, 1))
    run = payout_runs.prepare(admin, PAYOUT, TODAY)
    assert not run.issues["blockers"], run.issues["blockers"]
    run = payout_runs.approve(accountant, run.id, run.version, today=PAYOUT)
    return run, admin, accountant, towns


def _transactions(data: bytes) -> dict[str, dict]:
    root = ET.fromstring(data)
    return {tx.find("p:Cdtr/p:Nm", NS).text: {
        "amount": Decimal(tx.find("p:Amt/p:InstdAmt", NS).text), "iban": tx.find("p:CdtrAcct/p:Id/p:IBAN", NS).text,
        "e2e": tx.find("p:PmtId/p:EndToEndId", NS).text, "text": tx.find("p:RmtInf/p:Ustrd", NS).text,
        "town": tx.find("p:Cdtr/p:PstlAdr/p:TwnNm", NS).text} for tx in root.iterfind(".//p:CdtTrfTxInf", NS)}


def test_pain001_of_an_approved_run_is_xsd_valid_follows_sps_and_equals_the_excel_totals(scenario):
    """Issue 16: one transaction per payee with net > 0; CtrlSum/NbOfTxs = the Excel list and RunPayee (R11)."""
    run, _admin, accountant, towns = scenario
    payment = payment_files.pain001(run.id, accountant, today=PAYOUT, now=datetime(2026, 3, 31, 8, 15))
    assert xsd_errors(payment.data) == [] and sps_violations(payment.data) == []
    root = ET.fromstring(payment.data)
    positive = list(RunPayee.select().where((RunPayee.run == run.id) & (RunPayee.amount > 0)))
    assert payment.transactions == len(positive) == 3 == int(root.find(".//p:GrpHdr/p:NbOfTxs", NS).text)
    sheet = load_workbook(io.BytesIO(exports.payout_list(run)), data_only=True)["Auszahlungen"]
    total_row = next(row for row in sheet.iter_rows(values_only=True) if row[3] == "Total")
    assert Decimal(root.find(".//p:GrpHdr/p:CtrlSum", NS).text) == payment.control_sum \
        == sum(p.amount for p in positive) == Decimal(str(total_row[11])) == Decimal("4590.00")
    transactions = _transactions(payment.data)
    assert transactions["Grenchen"]["amount"] == Decimal("2900.00")  # 8 × 200 + 200 × 7 − 100 (R8, R10, R16)
    assert transactions["Grenchen"]["text"] == (f"start.integration Kanton Solothurn, Auszahlung Lauf {run.id} per "
                                                "31.03.2026, Perioden 2025-H2, 2026, nach Verrechnung Rückforderung")
    assert "Olten" not in transactions  # R16: offset to 0, nothing transferred
    # R26: Halten's H2 2025 fees go to its successor, on the successor's IBAN.
    assert "Halten" not in transactions
    assert transactions["Kriegstetten"] == {  # 200 + Halten 600 + base (50 + 10) × 7
        "amount": Decimal("1220.00"), "iban": towns[2525].iban, "e2e": f"SI-{run.id}-2525", "town": "Kriegstetten",
        "text": f"start.integration Kanton Solothurn, Auszahlung Lauf {run.id} per 31.03.2026, Perioden 2025-H2, 2026"}
    assert root.find(".//p:GrpHdr/p:MsgId", NS).text == f"SI-{run.id}-20260331" == payment.message_id
    assert root.find(".//p:ReqdExctnDt/p:Dt", NS).text == "2026-03-31"
    assert root.find(".//p:DbtrAcct/p:Id/p:IBAN", NS).text == "CH9300762011623852957"
    assert root.find(".//p:DbtrAgt/p:FinInstnId/p:BICFI", NS).text == "POFICHBEXXX"


def test_pain001_hostile_payee_name_gives_a_valid_file_with_the_name_mapped(scenario):
    """XML metacharacters are escaped by the writer, control characters removed, 200 characters cut to 70."""
    run, _admin, accountant, _towns = scenario
    data = payment_files.pain001(run.id, accountant, today=PAYOUT).data
    assert b"<Gemeinde" not in data and b"&lt;Gemeinde &amp; \"S\xc3\xb6hne\"&gt;" in data
    name = next(n for n in _transactions(data) if n.startswith("<Gemeinde"))
    assert name == ('<Gemeinde & "Söhne"> ]]> ' + "Ä" * 70)[:70]  # umlauts kept: SPS permits them
    assert xsd_errors(data) == [] and sps_violations(data) == []


def test_pain001_pays_the_iban_frozen_at_approval_and_keeps_the_msgid(scenario):
    """Issue 13: a later IBAN change does not reach the file; the same run gives the same MsgId (SPS §3.8)."""
    run, _admin, accountant, towns = scenario
    first = payment_files.pain001(run.id, accountant, today=PAYOUT)
    frozen = towns[2546].iban
    Municipality.update(iban=sample_iban(7777)).where(Municipality.id == towns[2546].id).execute()
    second = payment_files.pain001(run.id, accountant, today=date(2026, 4, 2))
    assert _transactions(second.data)["Grenchen"]["iban"] == frozen
    assert second.message_id == first.message_id  # the bank's duplicate check refuses a second upload
    assert second.execution_date == date(2026, 4, 2)  # the payout date has passed: executed on the day made


def test_pain001_download_is_audited_with_msgid_and_sum(scenario):
    """Who downloaded which file, its MsgId and sum (R23)."""
    run, _admin, accountant, _towns = scenario
    payment = payment_files.pain001(run.id, accountant, today=PAYOUT)
    entry = AuditEntry.select().where(AuditEntry.action == "export").get()
    assert entry.actor == accountant.email and entry.model == "PayoutRun" and entry.record_id == str(run.id)
    assert payment.message_id in entry.after and '"ctrl_sum": "4590.00"' in entry.after
    assert payment.filename in entry.after and "CHF 4’590.00" in entry.reason
    assert hashlib.sha256(payment.data).hexdigest() in entry.after  # EXP-04: which bytes were handed out


def test_pain001_refuses_a_draft_with_a_german_message_and_writes_nothing(app, make_municipality, make_user,
                                                                          runner, tmp_path):
    """Drafts are refused (issue 16): no file, no audit entry, CLI exit code 1."""
    ensure_go_live(PAYOUT)
    admin, accountant = make_user("admin"), make_user("accountant")
    _report(_town(make_municipality, make_user, 2546, "Grenchen"), 2)
    run = payout_runs.prepare(admin, PAYOUT, TODAY)
    before = AuditEntry.select().count()
    with pytest.raises(DomainError, match="ist ein Entwurf: eine Zahlungsdatei"):
        payment_files.pain001(run.id, accountant)
    target = tmp_path / "lauf.xml"
    result = runner.invoke(args=["export", "pain001", str(run.id), "-o", str(target)])
    assert result.exit_code == 1 and "erst nach der Freigabe" in result.output and not target.exists()
    assert AuditEntry.select().count() == before


def test_pain001_refuses_a_payee_without_iban_and_writes_nothing(scenario, runner, tmp_path):
    """A positive payout without a valid IBAN in the run is refused (issue 16), as is a QR-IBAN."""
    run, _admin, accountant, _towns = scenario
    before = AuditEntry.select().count()
    payee = RunPayee.get((RunPayee.run == run.id) & (RunPayee.name == "Grenchen"))
    for bad in (None, "CH00 nonsense", "CH4431999123000889012"):  # missing, invalid, QR-IBAN (IID 31999)
        RunPayee.update(iban=bad).where(RunPayee.id == payee.id).execute()
        with pytest.raises(DomainError, match="Ohne gültige IBAN .* Grenchen \\(BFS 2546, CHF 2’900.00\\)"):
            payment_files.pain001(run.id, accountant)
    target = tmp_path / "lauf.xml"
    result = runner.invoke(args=["export", "pain001", str(run.id), "-o", str(target)])
    assert result.exit_code == 1 and "Keine Zahlungsdatei erstellt" in result.output and not target.exists()
    assert AuditEntry.select().count() == before


def test_pain001_cli_writes_the_validated_file(scenario, runner, tmp_path):
    """`flask --app app export pain001 RUN -o FILE.xml` (--as names the accountant in the audit log)."""
    run, _admin, accountant, _towns = scenario
    target = tmp_path / "lauf.xml"
    result = runner.invoke(args=["export", "pain001", str(run.id), "-o", str(target), "--as", accountant.email])
    assert result.exit_code == 0, result.output
    assert f"MsgId SI-{run.id}-20260331, 3 Zahlungen, CHF 4’590.00" in result.output
    assert xsd_errors(target.read_bytes()) == [] and sps_violations(target.read_bytes()) == []
    assert AuditEntry.select().where(AuditEntry.action == "export").get().actor == accountant.email
    result = runner.invoke(args=["export", "pain001", str(run.id), "-o", str(tmp_path / "x.xml"), "--as",
                                 _admin.email])
    assert result.exit_code == 1 and "nicht erlaubt" in result.output


def test_pain001_download_on_the_run_page_for_accountants_only(scenario, client, auth):
    """The button is on the run page for the accountant; the POST returns the XML (issue 16)."""
    run, admin, accountant, _towns = scenario
    auth.login(user=admin)
    assert "Zahlungsdatei pain.001" not in client.get(f"/runs/{run.id}").get_data(as_text=True)
    assert client.post(f"/runs/{run.id}/pain001.xml").status_code == 403  # four eyes: not who prepares
    auth.logout()
    auth.login(user=accountant)
    assert "Zahlungsdatei pain.001" in client.get(f"/runs/{run.id}").get_data(as_text=True)
    response = client.post(f"/runs/{run.id}/pain001.xml", data={"version": str(run.version)})
    assert response.status_code == 200 and response.content_type == "application/xml; charset=utf-8"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="pain001_Auszahlung_2026-03-31_Lauf{run.id}.xml"'
    assert xsd_errors(response.data) == [] and sps_violations(response.data) == []


def test_pain001_refusal_on_the_run_page_is_a_flash_message(scenario, client, auth):
    """A refused file (payee without IBAN) sends the accountant back to the run page with the reason."""
    run, _admin, accountant, _towns = scenario
    RunPayee.update(iban=None).where((RunPayee.run == run.id) & (RunPayee.name == "Grenchen")).execute()
    auth.login(user=accountant)
    response = client.post(f"/runs/{run.id}/pain001.xml", data={"version": str(run.version)}, follow_redirects=True)
    assert response.status_code == 200 and "Keine Zahlungsdatei erstellt" in response.get_data(as_text=True)


# --- the pure module: any text becomes a valid file -----------------------------------------------

def _file(names: list[str], remittance: str = "start.integration") -> PaymentFile:
    transfers = tuple(Transfer(end_to_end_id=f"SI-1-{2500 + i}", amount=Decimal(i + 1) + Decimal("0.05"),
                               creditor_name=name, creditor_town=name, creditor_country="CH",
                               iban=sample_iban(i + 1), remittance=remittance) for i, name in enumerate(names))
    return PaymentFile(message_id="SI-1-20260331", payment_info_id="SI-1-20260331-1",
                       created_at=datetime(2026, 3, 31, 9, 0), execution_date=PAYOUT,
                       debtor=Debtor("Kanton Solothurn", "CH9300762011623852957", "POFICHBEXXX"), transfers=transfers)


@settings(max_examples=150, deadline=None)
@given(names=st.lists(st.text(max_size=220), min_size=1, max_size=4), remittance=st.text(max_size=300))
def test_pain001_any_payee_name_and_text_give_an_xsd_valid_sps_file(names, remittance):
    """Hypothesis: NUL, control characters, surrogate-free Unicode, 220 characters — always a valid file."""
    data = build(_file(names, remittance))
    assert xsd_errors(data) == [] and sps_violations(data) == []


def test_sps_text_keeps_umlauts_and_maps_the_rest():
    """SPS §3.1 permits äöüéàç and Latin Extended-A; typography is mapped, controls removed, only SP spaces."""
    assert sps_text("Müller’s\tGemeinde\x00 – «Œuvre» ﬁn …", 70) == "Müller's Gemeinde - «Œuvre» fin ..."
    assert sps_text("Ș ț € 東京 \u00a0x", 70) == "Ș ț € x"
    assert sps_text("\x01\x02", 70, fallback="Gemeinde 2601") == "Gemeinde 2601"
    assert sps_reference("//SI Lauf/é_1/") == "SI Lauf/e1"


def test_pain001_download_needs_a_fresh_login(scenario, client, auth):
    """AUTH-07: the payment file moves money; a login older than 15 minutes is sent to log in again, no audit."""
    run, _admin, accountant, _towns = scenario
    auth.login(user=accountant)
    with client.session_transaction() as session:
        session["login_at"] -= 20 * 60
    before = AuditEntry.select().count()
    response = client.post(f"/runs/{run.id}/pain001.xml", data={"version": str(run.version)})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert AuditEntry.select().count() == before
