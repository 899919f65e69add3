"""Start page: each role lands where its work is."""
from datetime import date

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from services.responsibility import responsible_municipalities

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def home():
    if current_user.role == "admin":
        return redirect(url_for("admin.index"))
    municipalities = []
    if current_user.role == "officer":
        municipalities = responsible_municipalities(current_user, date.today())
    return render_template("main/home.html", municipalities=municipalities, today=date.today())


@bp.route("/healthz")
def health():
    return {"status": "ok"}
