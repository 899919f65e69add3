"""Fast multi-row INSERT for large writes (payout lines): one statement per batch, values converted by
the fields themselves, so money still goes through MoneyField (issue 8)."""
from .base import db

MAX_PARAMETERS = 30000  # below SQLite's 32766 and PostgreSQL's 65535 bound parameters


def bulk_insert(model, fields, rows) -> int:
    """Insert `rows` (tuples in the order of `fields`); returns the number of statements sent."""
    if not rows:
        return 0
    table = model._meta.table_name
    columns = ", ".join(f'"{field.column_name}"' for field in fields)
    placeholder = "(" + ", ".join([db.obj.param] * len(fields)) + ")"
    per_batch = max(MAX_PARAMETERS // len(fields), 1)
    statements = 0
    for start in range(0, len(rows), per_batch):
        chunk = rows[start:start + per_batch]
        params = [field.db_value(value) for row in chunk for field, value in zip(fields, row, strict=True)]
        db.execute_sql(f'INSERT INTO "{table}" ({columns}) VALUES ' + ", ".join([placeholder] * len(chunk)), params)
        statements += 1
    return statements
