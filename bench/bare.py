"""The baseline of (g): a bare Flask endpoint served by the same gunicorn settings."""
from flask import Flask

app = Flask(__name__)


@app.get("/bare")
def bare():
    return "ok"


@app.get("/healthz")
def health():
    return {"status": "ok"}
