"""Pages of long lists (a national run has 2,000 payees and 8,000 lines): a page number out of range
shows the nearest page, never an error or an empty page."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    items: list
    page: int
    pages: int
    total: int
    per_page: int

    @property
    def first(self) -> int:
        """1-based position of the first item shown."""
        return (self.page - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1


def _clamp(page: int, total: int, per_page: int) -> tuple[int, int]:
    pages = max(1, -(-total // per_page))
    return min(max(page, 1), pages), pages


def of_list(items: list, page: int, per_page: int) -> Page:
    page, pages = _clamp(page, len(items), per_page)
    return Page(items[(page - 1) * per_page:page * per_page], page, pages, len(items), per_page)


def of_query(query, total: int, page: int, per_page: int) -> Page:
    """`total` counted by the caller (one COUNT), the page fetched with LIMIT/OFFSET."""
    page, pages = _clamp(page, total, per_page)
    return Page(list(query.paginate(page, per_page)), page, pages, total, per_page)
