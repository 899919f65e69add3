"""Start page: each role lands where its work is."""
from datetime import date

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from views.portal import render_overview

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def home():
    if current_user.role == "admin":
        return redirect(url_for("admin.index"))
    if current_user.role == "officer":
        return render_overview()
    return render_template("main/home.html", today=date.today())


@bp.route("/healthz")
def health():
    return {"status": "ok"}
