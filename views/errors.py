"""German error pages and the one handler for refused domain operations."""
from flask import render_template
from werkzeug.exceptions import HTTPException

from services.errors import DomainError

MESSAGES = {
    400: ("Ungültige Anfrage", "Die Anfrage konnte nicht verarbeitet werden. Bitte laden Sie die Seite neu."),
    403: ("Kein Zugriff", "Sie haben keine Berechtigung für diese Seite."),
    404: ("Nicht gefunden", "Die Seite oder der Datensatz existiert nicht."),
    405: ("Nicht erlaubt", "Diese Aktion ist auf diesem Weg nicht erlaubt."),
    413: ("Datei zu gross", "Die übermittelten Daten sind zu gross."),
    429: ("Zu viele Versuche", "Zu viele Anfragen. Bitte warten Sie einige Minuten."),
    500: ("Interner Fehler", "Es ist ein Fehler aufgetreten. Es wurde nichts gespeichert."),
}


def _page(status: int):
    title, text = MESSAGES.get(status, ("Fehler", "Es ist ein Fehler aufgetreten."))
    return render_template("errors/error.html", title=title, text=text, status=status), status


def register_error_handlers(app) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc):
        if exc.code in (301, 302, 303, 307, 308):
            return exc
        return _page(exc.code or 500)

    @app.errorhandler(DomainError)
    def domain_error(exc):
        return render_template("errors/error.html", title="Nicht möglich", text=exc.message,
                               status=409), 409

    @app.errorhandler(500)
    def server_error(exc):
        return _page(500)
