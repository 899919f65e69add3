"""models/bulk.py writes payout lines in one statement (COPY on PostgreSQL): every value must come back as
peewee would have written it — NULLs, quotes, separators, line breaks, backslashes and money (R11)."""
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import PayoutLine, PayoutRun, db
from models.bulk import bulk_insert
from payouts.writer import FIELDS

AWKWARD_TEXTS = ["", "a,b", 'er sagte "ja"', "Zeile 1\nZeile 2\r\n", "back\\slash", "NULL", "\\N", "\\.",
                 "Ä ö ü 1’234.50", "=SUM(A1)", " führende und folgende Leerzeichen "]


def _run(make_user):
    return PayoutRun.create(payout_date=date(2026, 3, 31), prepared_by=make_user("admin"))


def _rows(run, municipality, texts, start=0):
    return [(run.id, municipality if i % 2 else municipality.id, municipality.id, "correction", f"P{start + i}",
             None if i % 3 == 0 else i, None if i % 2 else Decimal("12.35"), Decimal(i) + Decimal("0.05"), "payable",
             "R16", text, None, None, None if i % 2 else -i, None if i % 2 else Decimal("-1.05"), None if i % 2 else i)
            for i, text in enumerate(texts)]


def test_r11_bulk_insert_round_trips_nulls_text_and_money(app, make_municipality, make_user):
    run, municipality = _run(make_user), make_municipality()
    rows = _rows(run, municipality, AWKWARD_TEXTS)
    with db.atomic():
        bulk_insert(PayoutLine, FIELDS, rows)
    stored = list(PayoutLine.select().where(PayoutLine.run == run.id).order_by(PayoutLine.id))
    assert [line.explanation for line in stored] == AWKWARD_TEXTS
    assert [line.quantity for line in stored] == [row[5] for row in rows]
    assert [line.rate for line in stored] == [row[6] for row in rows]
    assert [line.amount for line in stored] == [row[7] for row in rows]
    assert all(line.municipality_id == municipality.id and line.report_id is None and line.clawback_id is None
               for line in stored)
    raw = db.execute_sql("SELECT amount FROM payout_line WHERE period = 'P1'").fetchone()[0]
    assert raw == 105 and isinstance(raw, int)  # integer centimes, as MoneyField writes them


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(texts=st.lists(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")),
                      min_size=1, max_size=5))
def test_r11_bulk_insert_keeps_any_text(app, make_municipality, make_user, texts):
    run, municipality = _run(make_user), make_municipality()
    try:
        with db.atomic():
            bulk_insert(PayoutLine, FIELDS, _rows(run, municipality, texts))
        stored = [line.explanation for line in PayoutLine.select().where(PayoutLine.run == run.id)
                  .order_by(PayoutLine.id)]
        assert stored == texts
    finally:
        PayoutLine.delete().where(PayoutLine.run == run.id).execute()
        run.delete_instance()
