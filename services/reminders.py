"""Reminders before and after the deadlines of reports and self-declarations, and the Fristen page (issue 15).

An open item is a report (R2) or self-declaration (R3) the system follows up — from go-live on, of a
municipality valid in its period (R26) — that is not yet submitted or accepted (a returned one is open
again). Its stage on a day is `due` from REMINDER_DAYS_BEFORE days before the deadline and `overdue` after
it. `send` writes one message per responsible officer (R12, on the day) and stage with the items not yet
reminded at that stage; each (item, stage, recipient) is recorded once in `Reminder` (unique), so a second
run on the same day, or any later run, never repeats a reminder, and an item submitted since drops out.
The deadlines and states come from `services.portal.overviews_since`, the officer home's calculation.
"""
from dataclasses import dataclass, field
from datetime import date

from auth.responsibility import officers_responsible
from core.calendar import HalfYear, first_base_year_in_system, first_period_in_system
from core.formatting import date_ch
from models import OUTBOX_STATES, REMINDER_STAGES, Municipality, OutboxMessage, Reminder, User, db

from . import settings
from .audit import Actor, record_created
from .errors import DomainError
from .outbox import enqueue
from .portal import Item, document_path, overviews_since
from .recipients import correspondent_address

DUE, OVERDUE = "due", "overdue"
MESSAGE_KIND = {DUE: "reminder_due", OVERDUE: "reminder_overdue"}
MAX_DAYS_BEFORE = 31  # deadlines lie 31 days after the period: earlier, a report cannot be submitted yet
NO_GO_LIVE = ("Go-live ist nicht gesetzt: ohne ihn ist offen, ab welcher Periode das System Formulare "
              "verfolgt (flask --app app settings go-live DATUM).")
NOBODY = "keine zuständige Person"


def stage_of(deadline: date, today: date, days_before: int) -> str | None:
    """`overdue` after the deadline, `due` within `days_before` days before it (R2, R3), else None."""
    if today > deadline:
        return OVERDUE
    if (deadline - today).days <= days_before:
        return DUE
    return None


def first_year(today: date) -> int:
    """The first year of the Fristen page's year filter: the first period the system follows up."""
    start = settings.go_live()
    return first_period_in_system(start).year if start else today.year


def open_items(today: date, year: int | None = None) -> list[Item]:
    """Open reports and self-declarations the system follows up on `today` (go-live, R26), by deadline."""
    start = settings.go_live()
    if start is None:
        raise DomainError(NO_GO_LIVE)
    first_period, first_base_year = first_period_in_system(start), first_base_year_in_system(start)
    municipalities = list(Municipality.select().where(Municipality.overlapping(first_period.start, today))
                          .order_by(Municipality.name))
    starts = {m.id: max(first_period.start, m.valid_from or first_period.start) for m in municipalities}
    items = []
    for overview in overviews_since(municipalities, starts, today):
        muni = overview.municipality
        for item in overview.reports:
            period = HalfYear(item.year, item.half)
            if period >= first_period and muni.overlaps(period.start, period.end):
                items.append(item)
        for item in overview.declarations:
            # R3/R10: declaration Y is the basis of the base contribution of Y, paid from go-live on
            if item.year >= first_base_year and muni.overlaps(date(item.year, 1, 1), date(item.year, 12, 31)):
                items.append(item)
    return sorted((i for i in items if i.needs_action and (year is None or i.year == year)),
                  key=lambda i: (i.deadline, i.municipality.name, i.label))


def _item_key(item: Item) -> tuple:
    return item.municipality.id, item.kind, item.year, item.half or 0


@dataclass
class _Letter:
    stage: str
    recipient_key: str
    officer: User | None
    municipality: Municipality | None  # set when nobody is responsible for it
    items: list[Item] = field(default_factory=list)


@dataclass
class SendResult:
    messages: list[OutboxMessage]
    reminded: int  # item × stage × recipient records written
    without_officer: list[Municipality]
    postponed: int = 0  # items whose recipient got the day's message already; they follow the next day


def _line(item: Item, today: date) -> str:
    muni = item.municipality
    days = (today - item.deadline).days
    when = (f"überfällig seit {date_ch(item.deadline)} ({days} Tag{'e' if days != 1 else ''})"
            if today > item.deadline else f"fällig am {date_ch(item.deadline)}")
    return (f"- {muni.name} (BFS {muni.bfs_nr}): {item.label}, {when}, Stand: {item.state_label}\n"
            f"  {document_path(muni.id, item.kind, item.year, item.half)}")


def compose(letter: _Letter, today: date, signature: str) -> tuple[str, str]:
    """Subject and German body of one reminder (de-CH dates)."""
    items = sorted(letter.items, key=lambda i: (i.deadline, i.municipality.name, i.label))
    count = f"{len(items)} Formular{'e' if len(items) != 1 else ''}"
    names = sorted({i.municipality.name for i in items})
    where = f" ({names[0]})" if len(names) == 1 else ""
    if letter.stage == DUE:
        subject = f"Erinnerung: {count} fällig bis {date_ch(max(i.deadline for i in items))}{where}"
        intro = "die Frist der folgenden Formulare läuft bald ab:"
    else:
        subject = f"Mahnung: {count} überfällig{where}"
        intro = "die Frist der folgenden Formulare ist abgelaufen; sie fehlen noch:"
    greeting = f"Guten Tag {letter.officer.name or letter.officer.email}" if letter.officer else "Guten Tag"
    note = ""
    if letter.officer is None:
        note = (f"\nFür {letter.municipality.name} ist heute keine Integrationsbeauftragte Person erfasst; "
                + ("diese Nachricht geht deshalb an die Korrespondenzperson der Gemeinde.\n"
                   if correspondent_address(letter.municipality, today) else
                   "auch keine Korrespondenzperson: bitte eine zuständige Person erfassen (Fristen, Postausgang).\n"))
    body = (f"{greeting}\n\n{intro[0].upper()}{intro[1:]}\n\n" + "\n".join(_line(i, today) for i in items)
            + f"\n{note}\nBitte füllen Sie die Formulare im Portal start.integration aus und reichen Sie sie ein "
            "(die Pfade oben führen direkt zum Formular). Bereits eingereichte Formulare sind hier nicht "
            f"aufgeführt.\n\nStand: {date_ch(today)}\n\nFreundliche Grüsse\n{signature}\n")
    return subject, body


def send(actor: Actor, today: date, days_before: int) -> SendResult:
    """Queue the day's reminders, each item × stage × recipient at most once; one transaction."""
    if not 0 <= days_before <= MAX_DAYS_BEFORE:
        raise DomainError(f"REMINDER_DAYS_BEFORE muss zwischen 0 und {MAX_DAYS_BEFORE} liegen "
                          f"(die Frist endet {MAX_DAYS_BEFORE} Tage nach der Periode), nicht {days_before}.")
    with db.atomic():
        staged = [(item, stage) for item in open_items(today)
                  if (stage := stage_of(item.deadline, today, days_before)) is not None]
        ids = {item.municipality.id for item, _stage in staged}
        officers = officers_responsible(ids, today)
        done = {(r.municipality_id, r.item_kind, r.year, r.half, r.stage, r.recipient_key)
                for r in Reminder.select().where(Reminder.municipality.in_(ids))} if ids else set()
        letters: dict[tuple[str, str], _Letter] = {}
        without_officer = {}
        for item, stage in staged:
            muni = item.municipality
            targets = [(f"user:{user.id}", user, None) for user in officers.get(muni.id, [])]
            if not targets:  # not skipped silently: the correspondent, or a message "keine Adresse"
                without_officer[muni.id] = muni
                targets = [(f"municipality:{muni.id}", None, muni)]
            for key, user, nobody_for in targets:
                if (*_item_key(item), stage, key) in done:
                    continue
                letters.setdefault((stage, key), _Letter(stage, key, user, nobody_for)).items.append(item)
        signature = settings.canton_settings()["canton.signature"]
        messages, reminders, postponed = [], [], 0
        for (stage, key), letter in sorted(letters.items()):
            recipients = ([(letter.officer.name or letter.officer.email, letter.officer.email)] if letter.officer
                          else correspondent_address(letter.municipality, today))
            subject, body = compose(letter, today, signature)
            munis = {i.municipality.id: i.municipality for i in letter.items}
            message, created = enqueue(actor, MESSAGE_KIND[stage], recipients, subject, body,
                                       dedupe_key=f"reminder:{stage}:{key}:{today.isoformat()}",
                                       municipality=next(iter(munis.values())) if len(munis) == 1 else None,
                                       user=letter.officer.id if letter.officer else None)
            if not created:
                postponed += len(letter.items)
                continue
            messages.append(message)
            for item in letter.items:
                muni_id, kind, year, half = _item_key(item)
                reminders.append(Reminder.create(
                    municipality=muni_id, item_kind=kind, year=year, half=half, stage=stage, recipient_key=key,
                    officer=letter.officer.id if letter.officer else None, message=message.id,
                    deadline=item.deadline, sent_on=today))
        record_created(actor, reminders, reason=f"Erinnerungslauf {date_ch(today)}")
    return SendResult(messages, len(reminders), sorted(without_officer.values(), key=lambda m: m.name), postponed)


@dataclass
class OverdueRow:
    item: Item
    days_overdue: int
    last_reminder: Reminder | None

    @property
    def last_stage(self) -> str:
        return REMINDER_STAGES[self.last_reminder.stage] if self.last_reminder else ""

    @property
    def message_status(self) -> str:
        return OUTBOX_STATES[self.last_reminder.message.status] if self.last_reminder else ""


@dataclass
class MunicipalityDeadlines:
    municipality: Municipality
    officers: list[User]
    rows: list[OverdueRow]

    @property
    def officer_names(self) -> str:
        return ", ".join(u.name or u.email for u in self.officers) or NOBODY


def overdue_by_municipality(today: date, year: int | None = None) -> list[MunicipalityDeadlines]:
    """The Fristen page: overdue items per municipality with the last reminder sent and its message's state."""
    items = [i for i in open_items(today, year) if today > i.deadline]
    ids = {i.municipality.id for i in items}
    if not ids:
        return []
    officers = officers_responsible(ids, today)
    last: dict[tuple, Reminder] = {}
    for reminder in (Reminder.select(Reminder, OutboxMessage).join(OutboxMessage)
                     .where(Reminder.municipality.in_(ids)).order_by(Reminder.sent_on, Reminder.id)):
        last[(reminder.municipality_id, reminder.item_kind, reminder.year, reminder.half)] = reminder
    groups: dict[int, MunicipalityDeadlines] = {}
    for item in items:
        muni = item.municipality
        group = groups.setdefault(muni.id, MunicipalityDeadlines(muni, officers.get(muni.id, []), []))
        group.rows.append(OverdueRow(item, (today - item.deadline).days, last.get(_item_key(item))))
    return sorted(groups.values(), key=lambda g: g.municipality.name)
