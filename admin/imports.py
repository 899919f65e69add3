"""Admin import: upload → preview (dry run with per-row errors) → confirm (issue 3)."""
import json
import re
import secrets
from pathlib import Path

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from auth.policy import can
from auth.session import login_is_fresh
from forms.imports import KIND_LABELS, ImportForm
from services.audit import Actor
from services.errors import DomainError
from services.imports import KINDS, run_import

from .base import _deny

TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")


class ImportView(BaseView):
    def is_accessible(self):
        return can(current_user, "import.run")

    def inaccessible_callback(self, name, **kwargs):
        return _deny()

    def _pending(self, token: str) -> Path:
        if not TOKEN_RE.match(token or ""):
            abort(400)
        # The user id in the name keeps one admin from confirming another admin's upload.
        return Path(current_app.instance_path) / "uploads" / f"{current_user.id}-{token}"

    @expose("/", methods=("GET", "POST"))
    def index(self):
        form = ImportForm()
        if form.validate_on_submit():
            data = form.file.data.read()
            filename = form.file.data.filename or "upload"
            try:
                result = run_import(form.kind.data, filename, data, Actor.of(current_user, fresh=login_is_fresh()),
                                    dry_run=True)
            except DomainError as exc:
                form.file.errors.append(exc.message)
                return self.render("admin/import.html", form=form, labels=KIND_LABELS)
            token = None
            if result.ok:
                token = secrets.token_hex(16)
                path = self._pending(token)
                path.parent.mkdir(parents=True, exist_ok=True)
                # The preview's kind and name are stored with the data: the confirm step takes nothing else from
                # the request (issue 20); the name is cut by characters, never inside a UTF-8 sequence.
                meta = json.dumps({"kind": form.kind.data, "filename": filename[:200]}, ensure_ascii=True)
                path.write_bytes(meta.encode("ascii") + b"\n" + data)
            return self.render("admin/import.html", form=form, labels=KIND_LABELS, result=result,
                               token=token, filename=filename)
        return self.render("admin/import.html", form=form, labels=KIND_LABELS)

    @expose("/confirm", methods=("POST",))
    def confirm(self):
        path = self._pending(request.form.get("token", ""))
        if not path.exists():
            flash("Die Vorschau ist abgelaufen oder wurde schon übernommen; bitte die Datei erneut hochladen.",
                  "error")
            return redirect(url_for(".index"))
        meta, _, data = path.read_bytes().partition(b"\n")
        meta = json.loads(meta)
        kind, filename = meta["kind"], meta["filename"]
        if kind not in KINDS:
            abort(400)
        try:
            result = run_import(kind, filename, data, Actor.of(current_user, fresh=login_is_fresh()))
        except DomainError as exc:
            flash(exc.message, "error")
            return redirect(url_for(".index"))
        finally:
            path.unlink(missing_ok=True)
        if result.ok:
            flash(f"{KIND_LABELS[kind]}: {result.summary()}", "success")
        else:  # the data changed between preview and confirm
            flash("Nichts gespeichert: " + "; ".join(f"Zeile {n}: {m}" for n, m in result.errors[:20]), "error")
        return redirect(url_for(".index"))
