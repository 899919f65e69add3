"""Validate `next` targets: only same-site relative paths (AUTH-08)."""
from urllib.parse import unquote, urlsplit


def safe_next(target: str | None) -> str | None:
    """The target if it is a plain local path, else None."""
    if not target:
        return None
    for candidate in (target, unquote(target)):
        if not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
            return None
        if "\\" in candidate or any(ord(ch) < 32 or ord(ch) == 127 for ch in candidate):
            return None
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return None
    return target
