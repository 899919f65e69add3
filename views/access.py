"""The fetch-and-authorise helper for municipalities, shared by the portal and the payout pages (R12)."""
from flask import abort
from flask_login import current_user

from auth.policy import can
from models import Municipality


def get_municipality_or_404(municipality_id: int, action: str = "municipality.read") -> Municipality:
    """Officers: only municipalities they are responsible for today; 404 reveals nothing. Others read per role."""
    if not can(current_user, action):
        abort(403)
    municipality = Municipality.get_or_none(Municipality.id == municipality_id)
    if municipality is None or not can(current_user, action, municipality):
        abort(404)
    return municipality
