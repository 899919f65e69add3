"""Count the SQL statements a block of code sends (query-count tests and benchmarks, issue 8)."""
from contextlib import contextmanager

from .base import db


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_queries():
    """Wrap the bound database's execute_sql for the duration of the block (not thread-safe by design)."""
    database = db.obj
    original = database.execute_sql
    counter = QueryCounter()

    def counting(sql, params=None, *args, **kwargs):
        counter.statements.append(sql)
        return original(sql, params, *args, **kwargs)

    database.execute_sql = counting
    try:
        yield counter
    finally:
        database.execute_sql = original
