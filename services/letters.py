"""The canton's letters (issue 15): payout notices, Anhang 1, confirmations of submitted forms.

Gathers the figures from the database, checks the permission, renders through documents/ and, for letters
that are sent, queues them in the outbox inside the caller's transaction with a dedupe key.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timezone

from auth.policy import can, require
from core.formatting import chf, iban_masked
from documents import anhang1, confirmation, payout_notice
from documents.letter import Sender
from models import (
    COMPONENTS,
    STATUSES,
    TARIFF_KINDS,
    Municipality,
    OutboxMessage,
    PayoutLine,
    PayoutRun,
    RunPayee,
    RunStatus,
    Status,
    Submittable,
    Tariff,
    User,
    db,
)
from payouts.base_contributions import yearly_contributions
from payouts.inputs import BASE_KIND
from payouts.loader import load_base_inputs

from . import settings
from .audit import Actor
from .errors import DomainError, PermissionDenied
from .outbox import Attachment, enqueue
from .portal import document_rows
from .recipients import municipality_addresses

PDF = "application/pdf"
ORDER = {component: position for position, component in enumerate(COMPONENTS)}  # as on the run page
FIRST_ANHANG1_YEAR = 2018  # the base contribution exists since 2018 (R5)


def sender() -> Sender:
    return Sender.from_settings(settings.canton_settings())


# --- payout notice (per payee and run) ------------------------------------------------------------------------


def notice_key(run_id: int, payee_id: int) -> str:
    return f"payout_notice:run:{run_id}:payee:{payee_id}"


def notice_filename(run: PayoutRun, payee_bfs: int) -> str:
    return f"Auszahlungsanzeige_{run.payout_date:%Y-%m-%d}_{payee_bfs}.pdf"


def _notices(run: PayoutRun, payees: list[RunPayee], issued_on: date) -> dict[int, payout_notice.PayoutNotice]:
    """The notices of the given payees from the run's payable lines and frozen bank data: two queries."""
    ids = [payee.payee_id for payee in payees]
    municipalities = {m.id: m for m in Municipality.select(Municipality.id, Municipality.bfs_nr, Municipality.name)}
    lines = defaultdict(list)
    for line in (PayoutLine.select(PayoutLine.municipality, PayoutLine.payee, PayoutLine.component, PayoutLine.period,
                                   PayoutLine.quantity, PayoutLine.rate, PayoutLine.amount, PayoutLine.explanation)
                 .where((PayoutLine.run == run.id) & (PayoutLine.status == "payable") & PayoutLine.payee.in_(ids))
                 .order_by(PayoutLine.id)):
        muni = municipalities[line.municipality_id]
        lines[line.payee_id].append((muni.bfs_nr, ORDER[line.component], line.period, payout_notice.NoticeLine(
            str(muni), COMPONENTS[line.component], line.period, line.quantity, line.rate, line.amount,
            line.explanation)))
    notices = {}
    for payee in payees:
        rows = [row[-1] for row in sorted(lines[payee.payee_id], key=lambda row: row[:3])]
        members = sorted({row[0] for row in lines[payee.payee_id]} - {municipalities[payee.payee_id].bfs_nr})
        contract = ""
        if members:  # R13: the lead receives the contributions of its members
            names = ", ".join(str(m) for m in sorted(municipalities.values(), key=lambda m: m.bfs_nr)
                              if m.bfs_nr in members)
            contract = (f"Sie erhalten auch die Beiträge von {names} (Zusammenarbeitsvertrag oder Fusion, "
                        "R13, R26).")
        notices[payee.payee_id] = payout_notice.PayoutNotice(
            run_id=run.id, value_date=run.payout_date, issued_on=issued_on, payee=payee.name,
            payee_bfs=municipalities[payee.payee_id].bfs_nr, creditor_number=payee.creditor_number, iban=payee.iban,
            total=payee.amount, lines=tuple(rows), contract=contract, draft=run.status == RunStatus.DRAFT)
    return notices


def notice_pdf(user: User, run: PayoutRun, payee_id: int, today: date | None = None) -> tuple[str, bytes]:
    """One payee's notice as (filename, PDF); officers only for their own payee in approved or booked runs."""
    require(user, "payout_notice.read", payee_id)
    if run.status == RunStatus.DRAFT and not can(user, "run.read"):
        raise PermissionDenied("Ein Entwurf ist intern (R12).")
    payee = RunPayee.get_or_none((RunPayee.run == run.id) & (RunPayee.payee == payee_id))
    if payee is None:
        raise DomainError("Dieser Empfänger kommt im Lauf nicht vor.")
    notice = _notices(run, [payee], today or date.today())[payee_id]
    return notice_filename(run, notice.payee_bfs), payout_notice.render(sender(), notice)


def notice_body(notice: payout_notice.PayoutNotice, signature: str) -> str:
    if notice.total > 0:
        transfer = (f"Sie erhalten CHF {chf(notice.total)} mit Valuta {notice.value_date:%d.%m.%Y} auf das Konto "
                    f"{iban_masked(notice.iban)}.")
    else:
        transfer = "Aus diesem Lauf wird Ihnen nichts überwiesen: die Gutschriften sind mit Rückforderungen verrechnet."
    return (f"Guten Tag\n\nDer Kanton hat die Auszahlung start.integration per {notice.value_date:%d.%m.%Y} an "
            f"die Einwohnergemeinde {notice.payee} verbucht. {transfer}\n\nDie Zusammensetzung und die Begründung "
            "jeder Zeile finden Sie in der beigelegten Auszahlungsanzeige (PDF).\n\nFreundliche Grüsse\n"
            f"{signature}\n")


def queue_payout_notices(actor: Actor, run: PayoutRun, today: date) -> int:
    """Issue 15: one notice per payee of a booked run to its officers and finance office, in the caller's
    transaction; the dedupe key per run and payee makes a replay queue nothing. Returns how many were new."""
    assert db.in_transaction(), "notices are queued in the booking's transaction"
    payees = list(RunPayee.select().where(RunPayee.run == run.id).order_by(RunPayee.payee))
    existing = _existing_keys([notice_key(run.id, p.payee_id) for p in payees])
    payees = [p for p in payees if notice_key(run.id, p.payee_id) not in existing]
    if not payees:
        return 0
    canton = sender()
    municipalities = list(Municipality.select().where(Municipality.id.in_([p.payee_id for p in payees])))
    addresses = municipality_addresses(municipalities, today, finance=True)
    created = 0
    for payee_id, notice in _notices(run, payees, today).items():
        _message, new = enqueue(actor, "payout_notice", addresses[payee_id], payout_notice.title(notice)
                                + f" – {notice.payee}", notice_body(notice, canton.signature),
                                dedupe_key=notice_key(run.id, payee_id), municipality=payee_id,
                                attachments=[Attachment(notice_filename(run, notice.payee_bfs), PDF,
                                                        payout_notice.render(canton, notice))])
        created += new
    return created


def _existing_keys(keys: list[str]) -> set[str]:
    """Dedupe keys already in the outbox: what exists is not rendered again."""
    return {m.dedupe_key for m in OutboxMessage.select(OutboxMessage.dedupe_key)
            .where(OutboxMessage.dedupe_key.in_(keys))}


# --- Anhang 1 (R25): per municipality and year ----------------------------------------------------------------


def _check_year(year: int) -> None:
    if not FIRST_ANHANG1_YEAR <= year <= 2100:
        raise DomainError(f"Jahr {year}: Anhang 1 gibt es für die Jahre {FIRST_ANHANG1_YEAR} bis 2100 "
                          "(Sockelbeitrag seit 2018, R5).")


def _tariffs(year: int) -> tuple[anhang1.TariffRow, ...]:
    """The tariffs in force in the year, as on the Excel sheet «Tarife» (R5, R25)."""
    return tuple(anhang1.TariffRow(TARIFF_KINDS[t.kind], t.amount, t.valid_from, t.valid_to, t.reference)
                 for t in Tariff.select().where(Tariff.overlapping(date(year, 1, 1), date(year, 12, 31)))
                 .order_by(Tariff.kind, Tariff.valid_from))


def anhang1_letters(year: int, issued_on: date, municipality_ids: set[int] | None = None
                    ) -> list[anhang1.Anhang1Letter]:
    """The letters of the municipalities valid in the year, with the figures of the Excel export (R10, R25, R26)."""
    _check_year(year)
    tariffs = _tariffs(year)
    base = next((t.amount for t in sorted(Tariff.select().where((Tariff.kind == BASE_KIND)
                                                                & Tariff.covering(date(year, 1, 1))),
                                          key=lambda t: t.valid_from, reverse=True)), None)
    letters = []
    for muni, count, amount in yearly_contributions(load_base_inputs(year), year):
        if municipality_ids is not None and muni.id not in municipality_ids:
            continue
        letters.append(anhang1.Anhang1Letter(year=year, issued_on=issued_on, municipality=muni.name,
                                             bfs_nr=muni.bfs_nr, municipality_id=muni.id, foreign_residents=count,
                                             rate=base, amount=amount, tariffs=tariffs))
    return letters


def anhang1_years(today: date) -> list[int]:
    """The years offered for download on the municipality's pages: this year and the last."""
    return [year for year in (today.year, today.year - 1) if FIRST_ANHANG1_YEAR <= year]


def anhang1_filename(letter: anhang1.Anhang1Letter) -> str:
    return f"Anhang1_{letter.year}_{letter.bfs_nr}.pdf"


def anhang1_pdf(user: User, year: int, municipality: Municipality, today: date | None = None) -> tuple[str, bytes]:
    """Anhang 1 of one municipality; officers for the municipalities they are responsible for (R12)."""
    require(user, "contributions.export", municipality)
    letters = anhang1_letters(year, today or date.today(), {municipality.id})
    if not letters:
        raise DomainError(f"{municipality.name} besteht im Jahr {year} nicht (R26).")
    return anhang1_filename(letters[0]), anhang1.render(sender(), letters[0])


def anhang1_key(year: int, municipality_id: int) -> str:
    return f"anhang1:{year}:municipality:{municipality_id}"


@dataclass
class SendResult:
    queued: int = 0
    already: int = 0
    no_address: int = 0

    def summary(self, year: int) -> str:
        return (f"Anhang 1 {year}: {self.queued} Brief(e) in den Postausgang gestellt, davon {self.no_address} ohne "
                f"Adresse; {self.already} bereits früher gestellt.")


def send_anhang1(year: int, today: date, user: User | None = None, operator: str = "letters") -> SendResult:
    """R25: the yearly letter to every IB and finance office of the municipalities valid in the year, in one
    transaction; the dedupe key per municipality and year makes a second run send nothing new."""
    if user is not None:
        require(user, "letters.send")
    actor = Actor.of(user) if user is not None else Actor.cli(operator)
    result = SendResult()
    canton = sender()
    with db.atomic():
        letters = anhang1_letters(year, today)
        existing = _existing_keys([anhang1_key(year, letter.municipality_id) for letter in letters])
        pending = [letter for letter in letters if anhang1_key(year, letter.municipality_id) not in existing]
        result.already = len(letters) - len(pending)
        municipalities = Municipality.select().where(Municipality.id.in_([letter.municipality_id
                                                                         for letter in pending]))
        addresses = municipality_addresses(municipalities, today, finance=True)
        for letter in pending:
            message, created = enqueue(
                actor, "anhang1", addresses.get(letter.municipality_id, []),
                f"{anhang1.title(letter)} – {letter.municipality}",
                f"Guten Tag\n\nIm Anhang erhalten Sie die Beiträge des Kantons an die Einwohnergemeinde "
                f"{letter.municipality} für das Jahr {year} (Anhang 1 zum Kreisschreiben KRS-GEF-2017/01): den "
                f"Ausländerbestand per 31.12.{year - 2}, den Sockelbeitrag und die geltenden Pauschalen.\n\n"
                f"Freundliche Grüsse\n{canton.signature}\n",
                dedupe_key=anhang1_key(year, letter.municipality_id), municipality=letter.municipality_id,
                attachments=[Attachment(anhang1_filename(letter), PDF, anhang1.render(canton, letter))])
            result.queued += created
            result.no_address += created and message.status == "no_address"
    return result


# --- confirmation of a submitted form (R22) --------------------------------------------------------------------


def confirmation_filename(document: Submittable) -> str:
    kind = "Reporting" if document.kind == "report" else "Selbstdeklaration"
    period = f"{document.year}-H{document.half}" if document.kind == "report" else str(document.year)
    return f"Bestaetigung_{kind}_{period}_{document.municipality.bfs_nr}.pdf"


def confirmation_pdf(user: User, document: Submittable, now: datetime | None = None) -> tuple[str, bytes]:
    """The confirmation of a submitted (or accepted) form: date, who, values and the workflow steps (R22)."""
    require(user, "document.read", document)
    if document.id is None or document.status not in Status.FILED:
        raise DomainError("Eine Bestätigung gibt es erst für ein eingereichtes Formular.")
    municipality = document.municipality
    history = tuple((change.at, STATUSES.get(change.to_status, change.to_status)
                     + (" (im Auftrag der Gemeinde)" if change.on_behalf else ""),
                     change.user.name or change.user.email, change.reason or "") for change in document.history())
    data = confirmation.Confirmation(
        title=document.title, municipality=municipality.name, bfs_nr=municipality.bfs_nr,
        status=document.status_label, submitted_at=document.submitted_at,
        submitted_by=_who(document.submitted_by) if document.submitted_by_id else "",
        late=document.late, deadline=document.deadline, form_version=document.form_version.name,
        rows=tuple((label, str(value)) for label, value in document_rows(document, document.values)),
        history=history, issued_at=now or datetime.now(timezone.utc).replace(tzinfo=None))
    return confirmation_filename(document), confirmation.render(sender(), data)


def _who(user: User) -> str:
    return f"{user.name} ({user.email})" if user.name else user.email
