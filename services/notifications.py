"""Notices to the officers when the canton returns or accepts a form (issue 15, R12, R22).

Called by `services.submissions` inside the transaction of the status change: a review that fails writes
no message, and the dedupe key of the status change makes a replay write nothing new.
"""
from datetime import date

from core.formatting import date_ch
from models import Status, StatusChange, Submittable

from .audit import Actor
from .outbox import enqueue
from .portal import document_path
from .recipients import officers_or_correspondent
from .settings import canton_settings

KIND_OF_STATUS = {Status.RETURNED: "returned", Status.ACCEPTED: "accepted"}


def review_notice(actor: Actor, document: Submittable, change: StatusChange, today: date | None = None):
    """Queue the notice of a return (with the reason) or an acceptance; other transitions send nothing."""
    kind = KIND_OF_STATUS.get(change.to_status)
    if kind is None:
        return None
    today = today or date.today()
    muni = document.municipality
    path = document_path(muni.id, document.kind, document.year, getattr(document, "half", None))
    signature = canton_settings()["canton.signature"]
    if kind == "returned":
        # a reopened accepted form (R15) is returned too, with the canton's reason
        verb = ("zur Korrektur wieder geöffnet" if change.from_status == Status.ACCEPTED
                else "zur Korrektur zurückgewiesen")
        subject = f"Zurückgewiesen: {document.title} {muni.name}"
        body = (f"Guten Tag\n\nDas Formular «{document.title}» von {muni.name} (BFS {muni.bfs_nr}) wurde am "
                f"{date_ch(today)} {verb}.\n\nBegründung:\n{change.reason}\n\n"
                f"Bitte korrigieren Sie es im Portal start.integration und reichen Sie es erneut ein:\n{path}\n\n"
                f"Freundliche Grüsse\n{signature}\n")
    else:
        subject = f"Akzeptiert: {document.title} {muni.name}"
        body = (f"Guten Tag\n\nDas Formular «{document.title}» von {muni.name} (BFS {muni.bfs_nr}) wurde am "
                f"{date_ch(today)} akzeptiert. Es ist damit abgeschlossen.\n{path}\n\n"
                f"Freundliche Grüsse\n{signature}\n")
    message, _created = enqueue(actor, kind, officers_or_correspondent(muni, today), subject, body,
                                dedupe_key=f"{kind}:status_change:{change.id}", municipality=muni)
    return message
