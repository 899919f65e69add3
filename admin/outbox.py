"""Postausgang (issue 15): every message with its state; admins resend, financial control reads."""
from io import BytesIO

from flask import abort, flash, redirect, request, send_file, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from auth.policy import can
from services import postausgang
from services.errors import DomainError

from .base import _deny


class OutboxView(BaseView):
    def is_accessible(self):
        return can(current_user, "outbox.read")

    def inaccessible_callback(self, name, **kwargs):
        return _deny()

    @expose("/")
    def index(self):
        state = request.args.get("status") or None
        state = state if state in postausgang.FILTERS else None
        page, counts = postausgang.outbox_page(current_user, state, request.args.get("seite", 1, type=int))
        return self.render("admin/outbox.html", page=page, counts=counts, state=state,
                           filters=postausgang.FILTERS, may_resend=can(current_user, "outbox.resend"))

    @expose("/<int:message_id>")
    def detail(self, message_id):
        try:
            row, attachments = postausgang.message_detail(current_user, message_id)
        except LookupError:
            abort(404)
        return self.render("admin/outbox_detail.html", row=row, attachments=attachments,
                           may_resend=can(current_user, "outbox.resend"))

    @expose("/<int:message_id>/anhang/<int:attachment_id>")
    def attachment(self, message_id, attachment_id):
        try:
            found = postausgang.attachment(current_user, message_id, attachment_id)
        except LookupError:
            abort(404)
        return send_file(BytesIO(bytes(found.content)), mimetype=found.mimetype, as_attachment=True,
                         download_name=found.filename)

    @expose("/<int:message_id>/erneut-senden", methods=("POST",))
    def resend(self, message_id):
        if not can(current_user, "outbox.resend"):
            abort(403)
        try:
            flash(postausgang.resend(current_user, message_id), "success")
        except LookupError:
            abort(404)
        except DomainError as exc:
            flash(exc.message, "error")
        return redirect(url_for(".detail", message_id=message_id))
