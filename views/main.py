"""Start page: each user lands where their work is (the policy says which)."""
from datetime import date

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from auth.policy import can
from services.tasks import next_tasks
from views.portal import render_overview

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def home():
    if can(current_user, "admin.write"):  # the coordination office works in the admin
        return redirect(url_for("admin.index"))
    if can(current_user, "portal.overview"):
        return render_overview()
    return render_template("main/home.html", today=date.today(), tasks=next_tasks(current_user, date.today()))


@bp.route("/healthz")
def health():
    return {"status": "ok"}
