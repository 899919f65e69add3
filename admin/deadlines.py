"""Fristen (issue 15): overdue reports and self-declarations per municipality with the last reminder sent.

The cantonal team sees whom to call; financial control reads the same page. Read-only: reminders are sent
by `flask --app app reminders send` (cron), never from here.
"""
from datetime import date

from flask import request
from flask_admin import BaseView, expose
from flask_login import current_user

from auth.policy import can
from core.numbers import parse_int
from services import reminders
from services.errors import DomainError

from .base import _deny


class DeadlinesView(BaseView):
    def is_accessible(self):
        return can(current_user, "deadlines.read")

    def inaccessible_callback(self, name, **kwargs):
        return _deny()

    @expose("/")
    def index(self):
        today = date.today()
        years = list(range(today.year + 1, reminders.first_year(today) - 1, -1))
        raw = request.args.get("jahr", "")
        year = parse_int(raw, min(years), max(years))  # `²` or 5000 digits: no filter, not a 500
        try:
            groups, problem = reminders.overdue_by_municipality(today, year), None
        except DomainError as exc:
            groups, problem = [], exc.message
        return self.render("admin/deadlines.html", groups=groups, problem=problem, years=years, year=year,
                           today=today, nobody=reminders.NOBODY)
