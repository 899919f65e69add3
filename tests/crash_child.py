"""Child process of the crash test: prints READY, then approves a run or imports a file until killed."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from models import PayoutRun, User, db  # noqa: E402
from services import payout_runs  # noqa: E402
from services.audit import Actor  # noqa: E402
from services.imports import run_import  # noqa: E402

url, action, argument = sys.argv[1:4]
app = create_app({"TESTING": True, "SECRET_KEY": "crash-test-secret-key-0123456789-abcdef", "DATABASE_URL": url})
with app.app_context():
    db.connect(reuse_if_open=True)
    accountant = User.get(User.role == "accountant")
    data = Path(argument).read_bytes() if action == "import" else b""
    print("READY", flush=True)
    sys.stdin.readline()  # the parent says when to start, then kills at a random moment
    if action == "approve":
        run = PayoutRun.get_by_id(int(argument))
        payout_runs.approve(accountant, run.id, run.version)
    else:
        run_import("population", "bestand.csv", data, Actor.cli("crash"))
    print("DONE", flush=True)
