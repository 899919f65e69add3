"""The fetch-and-authorise helper for municipalities, shared by the portal and the payout pages (R12)."""
from datetime import date

from flask import abort
from flask_login import current_user

from models import Municipality
from services.responsibility import responsible_ids

READERS = ("officer", "admin", "auditor", "accountant")


def get_municipality_or_404(municipality_id: int) -> Municipality:
    """Officers: only municipalities they are responsible for today; 404 reveals nothing. Others read per role."""
    if current_user.role not in READERS:
        abort(403)
    municipality = Municipality.get_or_none(Municipality.id == municipality_id)
    if municipality is None:
        abort(404)
    if current_user.role == "officer" and municipality.id not in responsible_ids(current_user, date.today()):
        abort(404)
    return municipality
