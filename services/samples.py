"""Random samples of financial control (R24, §6): draw, request evidence, judge, decide proposed clawbacks.

The auditor's only writes (auth/policy.py READ_ONLY_EXCEPTIONS). Every step is one transaction with its
audit entries; the evidence request goes to the outbox in that transaction, once per item.
"""
import secrets
from datetime import date
from decimal import Decimal

from auth.policy import require
from core.formatting import chf, date_ch
from core.sampling import SampleRefused, draw, parse_seed, sample_size
from core.text import text_problem
from models import Municipality, Report, Sample, SampleItem, Status, User, db, utcnow

from . import payout_runs
from .audit import Actor, record, record_created, snapshot
from .errors import DomainError
from .outbox import enqueue
from .recipients import officer_addresses

MAX_TEXT = 5000


def _refused(exc: SampleRefused) -> DomainError:
    return DomainError(exc.message, {exc.field: [exc.message]})


def population(year: int, district: str | None = None) -> list[tuple[int, str]]:
    """The accepted reports of the year (both halves) as (report id, district), by id."""
    query = (Report.select(Report.id, Municipality.district).join(Municipality)
             .where((Report.year == year) & (Report.status == Status.ACCEPTED)))
    if district:
        query = query.where(Municipality.district == district)
    return [(report_id, district_) for report_id, district_ in query.order_by(Report.id).tuples()]


def districts() -> list[str]:
    return [d for (d,) in Municipality.select(Municipality.district).distinct().order_by(Municipality.district)
            .tuples()]


def draw_sample(user: User, year: int, *, method: str, value: int | None, seed: str | None = None,
                stratified: bool = False, district: str | None = None) -> Sample:
    """Draw and record a sample (R24): n reports or p %, optionally per district; seed given or drawn."""
    require(user, "sample.draw")
    if not 2017 <= year <= 2100:
        raise DomainError("Das Jahr muss zwischen 2017 und 2100 liegen.", {"year": ["Ungültiges Jahr."]})
    if method not in ("count", "percent"):
        raise DomainError("Bitte Anzahl oder Prozent wählen.", {"method": ["Ungültige Methode."]})
    district = (district or "").strip() or None
    if district is not None and district not in districts():
        raise DomainError(f"Unbekannter Bezirk «{district}».", {"district": ["Unbekannter Bezirk."]})
    try:
        seed_value = parse_seed(seed) if (seed or "").strip() else secrets.randbelow(10**12)
        with db.atomic():
            members = population(year, district)
            size = sample_size(len(members), count=value if method == "count" else None,
                               percent=value if method == "percent" else None)
            drawn = draw(members, seed_value, size, stratified)
            by_id = dict(members)
            reports = {r.id: r for r in Report.select(Report.id, Report.municipality)
                       .where(Report.id.in_(drawn.report_ids))}
            sample = Sample.create(drawn_by=user.id, year=year, seed=str(seed_value), size=size, method=method,
                                   percent=value if method == "percent" else None, stratified=stratified,
                                   district=district, population_size=len(members))
            items = [SampleItem.create(sample=sample, report=report_id, district=by_id[report_id],
                                       municipality=reports[report_id].municipality_id)
                     for report_id in drawn.report_ids]
            record(Actor.of(user), "create", sample, after={**snapshot(sample), "report_ids": drawn.report_ids,
                                                            "quotas": drawn.quotas},
                   reason=f"Stichprobe {year}: {size} von {len(members)} Reportings, Seed {seed_value}")
            record_created(Actor.of(user), items)
    except SampleRefused as exc:
        raise _refused(exc) from None
    return sample


def _item(item_id: int) -> SampleItem:
    item = SampleItem.get_or_none(SampleItem.id == item_id)
    if item is None:
        raise DomainError("Unbekannter Stichprobenposten.")
    return item


def request_evidence(user: User, item_id: int, today: date | None = None) -> bool:
    """Ask the responsible officers (R12) for the evidence of one item; a second request writes nothing."""
    require(user, "sample.request")
    today = today or date.today()
    with db.atomic():
        item = _item(item_id)
        if item.requested_at is not None:
            return False
        before = snapshot(item)
        item.requested_at = utcnow()
        if item.status == "drawn":
            item.status = "requested"
        item.save()
        report, municipality = item.report, item.municipality
        recipients = officer_addresses([municipality.id], today)[municipality.id]
        body = (f"Guten Tag\n\nDie Finanzkontrolle hat das {report.title} der Gemeinde {municipality.name} "
                f"in die Stichprobe {item.sample_id} ({item.sample.year}) gezogen (§6 KRS-GEF-2017/01).\n"
                "Bitte laden Sie die Belege dazu (PDF, JPEG oder PNG) in start.integration unter «Belege» hoch.\n\n"
                f"Angefordert am {date_ch(today)}.\n\nFreundliche Grüsse\nFinanzkontrolle")
        enqueue(Actor.of(user), "evidence_request", recipients,
                f"Stichprobe: Belege zum {report.title} ({municipality.name})", body,
                dedupe_key=f"evidence_request:{item.id}", municipality=municipality)
        record(Actor.of(user), "update", item, before=before, after=snapshot(item), reason="Belege angefordert")
    return True


def request_all(user: User, sample_id: int, today: date | None = None) -> int:
    """Request evidence for every item of a sample not yet requested; returns how many were new."""
    require(user, "sample.request")
    with db.atomic():
        ids = [item.id for item in SampleItem.select(SampleItem.id).where(SampleItem.sample == sample_id)
               .order_by(SampleItem.id)]
        return sum(request_evidence(user, item_id, today) for item_id in ids)


def _amount(raw) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = str(raw).strip().replace("’", "").replace("'", "")
    try:  # bounded before quantize: `1E+999999` must be a German message, not an InvalidOperation
        amount = Decimal(text) if len(text) <= 20 else None
        if amount is not None and (not amount.is_finite() or amount <= 0 or amount >= Decimal("10000000")
                                   or amount != amount.quantize(Decimal("0.01"))):
            amount = None
    except ArithmeticError:
        amount = None
    if amount is None:
        raise DomainError("Ungültiger Betrag.", {"amount": [
            "Bitte einen Betrag in CHF über 0 mit höchstens zwei Nachkommastellen angeben."]})
    return amount.quantize(Decimal("0.01"))


def judge(user: User, item_id: int, outcome: str, amount=None, text: str = "") -> SampleItem:
    """Record the outcome (R24): in Ordnung, or Beanstandung with text; an amount proposes a clawback (§4.7)."""
    require(user, "sample.judge")
    text = (text or "").strip()
    if outcome not in ("ok", "objection"):
        raise DomainError("Bitte das Ergebnis wählen.", {"outcome": ["Bitte «In Ordnung» oder «Beanstandung»."]})
    value = _amount(amount)
    if outcome == "ok" and value is not None:
        raise DomainError("Ein Betrag gehört nur zu einer Beanstandung.", {"amount": [
            "Bei «In Ordnung» bitte keinen Betrag angeben."]})
    if outcome == "objection" and not text:
        raise DomainError("Eine Beanstandung braucht eine Begründung.", {"text": ["Bitte begründen."]})
    if len(text) > MAX_TEXT or text_problem(text, multiline=True, allow_formula_prefix=True):
        raise DomainError("Ungültiger Text.", {"text": [f"Höchstens {MAX_TEXT} Zeichen, keine Steuerzeichen."]})
    item = _item(item_id)
    before = snapshot(item)
    with db.atomic():
        proposal = "open" if value is not None else None
        # one conditional UPDATE: a judgement never overwrites a proposal an admin has decided meanwhile
        updated = (SampleItem.update(outcome=outcome, amount=value, text=text, status="decided", decided_by=user.id,
                                     decided_at=utcnow(), proposal=proposal)
                   .where((SampleItem.id == item.id)
                          & (SampleItem.proposal.is_null() | (SampleItem.proposal == "open"))).execute())
        if updated != 1:
            raise DomainError("Über den Rückforderungsvorschlag ist entschieden; das Ergebnis bleibt.")
        item = _item(item_id)
        record(Actor.of(user), "update", item, before=before, after=snapshot(item),
               reason="Stichprobe beurteilt: " + ("In Ordnung" if outcome == "ok" else "Beanstandung"))
    return item


def open_proposals():
    return (SampleItem.select().where(SampleItem.proposal == "open").order_by(SampleItem.decided_at, SampleItem.id))


def decide_proposal(user: User, item_id: int, accept: bool, reason: str = "", today: date | None = None):
    """The admin turns a Beanstandung's amount into a clawback (R16, §4.7) or dismisses it with a reason."""
    require(user, "sample.proposal")
    reason = (reason or "").strip()
    if not accept and not reason:
        raise DomainError("Bitte begründen, warum der Vorschlag verworfen wird.", {"reason": ["Bitte begründen."]})
    if len(reason) > MAX_TEXT:
        raise DomainError(f"Höchstens {MAX_TEXT} Zeichen.", {"reason": [f"Höchstens {MAX_TEXT} Zeichen."]})
    item = _item(item_id)
    with db.atomic():
        # claim the proposal first with a conditional UPDATE, before any read in the transaction: of two
        # admins (or a double click) exactly one goes on to the clawback; a plain read-then-save let both
        # through on PostgreSQL, and a read first makes SQLite's lock upgrade fail (review finding)
        claimed = (SampleItem.update(proposal="accepted" if accept else "dismissed")
                   .where((SampleItem.id == item.id) & (SampleItem.proposal == "open")).execute())
        if claimed != 1:
            raise DomainError("Zu diesem Posten liegt kein offener Rückforderungsvorschlag vor.")
        item = _item(item_id)
        before = {**snapshot(item), "proposal": "open"}
        if accept:
            clawback_reason = (f"Stichprobe {item.sample_id} ({item.sample.year}), {item.report.title}: {item.text}"
                               + (f" – {reason}" if reason else ""))
            clawback = payout_runs.add_clawback(user, item.municipality.bfs_nr, item.amount, clawback_reason,
                                                today or date.today(), source_report=item.report)
            item.clawback = clawback
        item.proposal = "accepted" if accept else "dismissed"
        item.proposal_reason, item.proposal_decided_by, item.proposal_decided_at = reason, user.id, utcnow()
        item.save()
        record(Actor.of(user), "update", item, before=before, after=snapshot(item),
               reason=(f"Rückforderung CHF {chf(item.amount)} erfasst" if accept else f"Vorschlag verworfen: {reason}"))
    return item
