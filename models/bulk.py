"""Fast multi-row INSERT for large writes (payout lines), values converted by the fields themselves so
money still goes through MoneyField (issue 8). PostgreSQL gets COPY, SQLite multi-row INSERTs."""
import io

from peewee import ForeignKeyField, IntegerField, PostgresqlDatabase

from .base import db

MAX_PARAMETERS = 30000  # below SQLite's 32766 bound parameters


def bulk_insert(model, fields, rows) -> int:
    """Insert `rows` (tuples in the order of `fields`); returns the number of statements sent."""
    if not rows:
        return 0
    table = model._meta.table_name
    columns = ", ".join(f'"{field.column_name}"' for field in fields)
    if isinstance(db.obj, PostgresqlDatabase):
        converters = [_csv_converter(field) for field in fields]
        buffer = io.StringIO()
        buffer.write("".join(",".join([convert(value) for convert, value in zip(converters, row, strict=True)]) + "\n"
                             for row in rows))
        buffer.seek(0)
        copy(f'COPY "{table}" ({columns}) FROM STDIN WITH (FORMAT csv)', buffer)
        return 1
    placeholder = "(" + ", ".join([db.obj.param] * len(fields)) + ")"
    per_batch = max(MAX_PARAMETERS // len(fields), 1)
    statements = 0
    for start in range(0, len(rows), per_batch):
        chunk = rows[start:start + per_batch]
        params = [field.db_value(value) for row in chunk for field, value in zip(fields, row, strict=True)]
        db.execute_sql(f'INSERT INTO "{table}" ({columns}) VALUES ' + ", ".join([placeholder] * len(chunk)), params)
        statements += 1
    return statements


def copy(sql: str, buffer) -> None:
    """One COPY statement (count_queries counts it like any other statement)."""
    db.connection().cursor().copy_expert(sql, buffer)


def _csv_converter(field):
    """Plain integer columns (ids, counts) skip the generic conversion: most of COPY's Python time."""
    def generic(value):
        return _csv(field.db_value(value))

    def integer(value):
        if value is None:
            return ""
        return str(value) if type(value) is int else generic(value)

    return integer if type(field) in (IntegerField, ForeignKeyField) else generic


def _csv(value) -> str:
    """CSV for COPY: an unquoted empty field is NULL, text is always quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace('"', '""') + '"'
