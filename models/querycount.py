"""Count the SQL statements a block of code sends (query-count tests and benchmarks, issue 8)."""
from contextlib import contextmanager

from . import bulk
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
    original, original_copy = database.execute_sql, bulk.copy
    counter = QueryCounter()

    def counting(sql, params=None, *args, **kwargs):
        counter.statements.append(sql)
        return original(sql, params, *args, **kwargs)

    def counting_copy(sql, buffer):
        counter.statements.append(sql)
        return original_copy(sql, buffer)

    database.execute_sql, bulk.copy = counting, counting_copy
    try:
        yield counter
    finally:
        database.execute_sql, bulk.copy = original, original_copy
