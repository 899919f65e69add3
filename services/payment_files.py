"""The payment file of an approved run: pain.001.001.09 after the Swiss Payment Standards (issue 16).

One transaction per payee whose net payout is positive (R16: a payee whose credit was offset to 0
gets none), to the IBAN frozen with the run (issue 13), never the municipality's current one. The
file is checked against the ISO schema before it is handed out, and every download is audited.
"""
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from auth.policy import require
from core.formatting import chf, date_ch
from documents.pain001 import Debtor, Pain001Error, PaymentFile, Transfer, build, schema_errors
from models import Municipality, PayoutLine, PayoutRun, RunPayee, RunStatus, User, db

from .audit import Actor, record
from .errors import DomainError
from .settings import canton_settings
from .validation import normalise_iban

ZERO = Decimal("0.00")
QR_IID = range(30000, 32000)  # a QR-IBAN needs a QR reference; SPS refuses it with an unstructured text


@dataclass(frozen=True)
class Pain001:
    """A produced payment file and what the audit log and the caller report about it."""

    filename: str
    data: bytes
    message_id: str
    control_sum: Decimal
    transactions: int
    execution_date: date


def message_id(run: PayoutRun) -> str:
    """Deterministic per run: the bank's duplicate check (SPS §3.8) refuses a second upload of the same run."""
    return f"SI-{run.id}-{run.payout_date:%Y%m%d}"


def execution_date(run: PayoutRun, today: date) -> date:
    """The run's payout date (the value date of the Excel list); once it has passed, the day the file is made,
    since banks refuse execution dates in the past."""
    return max(run.payout_date, today)


def _iban(value: str | None) -> str | None:
    try:
        iban = normalise_iban(value)
    except ValueError:
        return None
    if iban and int(iban[4:9]) in QR_IID:
        return None
    return iban


def _remittance(run: PayoutRun) -> dict[int, str]:
    """Per payee the run and the periods its payable lines belong to ("2025-H2", "2026"); an offset clawback
    (R16) is named, not its reference."""
    periods: dict[int, set[str]] = defaultdict(set)
    offset: set[int] = set()
    rows = (PayoutLine.select(PayoutLine.payee, PayoutLine.component, PayoutLine.period)
            .where((PayoutLine.run == run.id) & (PayoutLine.status == "payable")).distinct().tuples())
    for payee_id, component, period in rows:
        if component == "clawback_offset":
            offset.add(payee_id)
        else:
            periods[payee_id].add(period.partition(":")[0])
    head = f"start.integration Kanton Solothurn, Auszahlung Lauf {run.id} per {date_ch(run.payout_date)}"
    return {payee_id: f"{head}, Perioden {', '.join(sorted(values))}"
                      + (", nach Verrechnung Rückforderung" if payee_id in offset else "")
            for payee_id, values in periods.items()}


def _line_totals(run: PayoutRun) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line in PayoutLine.select(PayoutLine.payee, PayoutLine.amount).where(
            (PayoutLine.run == run.id) & (PayoutLine.status == "payable")):
        totals[line.payee_id] += line.amount
    return totals


def _transfers(run: PayoutRun) -> list[Transfer]:
    """The run's positive net payouts with their frozen bank data; refused when any lacks a valid IBAN."""
    payees = list(RunPayee.select(RunPayee, Municipality.id, Municipality.bfs_nr).join(Municipality)
                  .where(RunPayee.run == run.id).order_by(Municipality.bfs_nr))
    frozen = {payee.payee_id: payee for payee in payees}
    problems = []
    totals = _line_totals(run)
    for payee_id in sorted(set(totals) | set(frozen)):  # both ways: a frozen payee without lines pays nothing
        payee, total = frozen.get(payee_id), totals.get(payee_id, Decimal("0.00"))
        if max(total, Decimal("0.00")) != max(payee.amount if payee else Decimal("0.00"), Decimal("0.00")):
            problems.append(f"Die Bankdaten des Laufs passen nicht zu seinen Zeilen (Empfänger-Nr. {payee_id}).")
    missing = [f"{payee.name} (BFS {payee.payee.bfs_nr}, CHF {chf(payee.amount)})"
               for payee in payees if payee.amount > 0 and _iban(payee.iban) is None]
    if missing:
        problems.append("Ohne gültige IBAN (keine QR-IBAN) im freigegebenen Lauf: " + "; ".join(missing) + ".")
    if problems:
        raise DomainError("Keine Zahlungsdatei erstellt. " + " ".join(problems))
    remittance = _remittance(run)
    transfers = []
    for payee in payees:
        if payee.amount <= 0:
            continue  # R16: offset to nothing, nothing to transfer
        transfers.append(Transfer(end_to_end_id=f"SI-{run.id}-{payee.payee.bfs_nr}", amount=payee.amount,
                                  creditor_name=payee.name, creditor_town=payee.name, creditor_country="CH",
                                  iban=_iban(payee.iban),
                                  remittance=remittance.get(payee.payee_id, f"start.integration Lauf {run.id}")))
    return transfers


def _debtor() -> Debtor:
    values = canton_settings()
    iban = _iban(values["canton.iban"])
    if iban is None:
        raise DomainError("Keine Zahlungsdatei erstellt: das Konto des Kantons (Einstellung canton.iban) ist keine "
                          "gültige IBAN.")
    return Debtor(name=values["canton.name"], iban=iban, bic=values["canton.bic"].strip().upper())


def pain001(run_id: int, user: User | None = None, operator: str = "export-pain001", today: date | None = None,
            now: datetime | None = None) -> Pain001:
    """The pain.001 of an approved (or booked) run, schema-checked and audited; drafts are refused.

    Without a user it is an operator on the server (CLI without --as), audited as cli:<operator>.
    """
    if user is not None:
        require(user, "run.payment_file")
    actor = Actor.of(user) if user is not None else Actor.cli(operator)
    now = now or datetime.now()
    today = today or now.date()
    with db.atomic():
        run = PayoutRun.get_or_none(PayoutRun.id == run_id)
        if run is None:
            raise DomainError(f"Unbekannter Lauf {run_id}.")
        if run.status not in RunStatus.SETTLED:
            raise DomainError(f"Lauf {run.id} per {date_ch(run.payout_date)} ist ein Entwurf: eine Zahlungsdatei "
                              "(pain.001) gibt es erst nach der Freigabe.")
        transfers = _transfers(run)
        if not transfers:
            raise DomainError(f"Lauf {run.id} per {date_ch(run.payout_date)} zahlt niemandem etwas aus; "
                              "keine Zahlungsdatei erstellt.")
        value_date = execution_date(run, today)
        payment = PaymentFile(message_id=message_id(run), payment_info_id=f"SI-{run.id}-{value_date:%Y%m%d}-1",
                              created_at=now, execution_date=value_date, debtor=_debtor(),
                              transfers=tuple(transfers))
        try:
            data = build(payment)
        except Pain001Error as exc:
            raise DomainError(f"Keine Zahlungsdatei erstellt: {exc}") from None
        errors = schema_errors(data)
        if errors:  # never hand out a file the bank would reject
            raise DomainError("Keine Zahlungsdatei erstellt: sie verletzt das Schema pain.001.001.09 (" +
                              "; ".join(errors[:3]) + ").")
        result = Pain001(filename=f"pain001_Auszahlung_{run.payout_date:%Y-%m-%d}_Lauf{run.id}.xml", data=data,
                         message_id=payment.message_id, control_sum=payment.control_sum,
                         transactions=len(transfers), execution_date=value_date)
        record(actor, "export", run, after={"file": result.filename, "format": "pain.001.001.09",
                                            "msg_id": result.message_id, "ctrl_sum": str(result.control_sum),
                                            "nb_of_txs": result.transactions,
                                            "sha256": hashlib.sha256(data).hexdigest(),
                                            "execution_date": value_date.isoformat()},
               reason=f"Zahlungsdatei pain.001 {result.message_id}: {result.transactions} Zahlungen, "
                      f"CHF {chf(result.control_sum)}")
    return result
