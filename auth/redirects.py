"""Validate `next` targets: only same-site relative paths (AUTH-08)."""
from urllib.parse import unquote, urlsplit


def _unsafe_characters(candidate: str) -> bool:
    """A backslash or a control character: browsers read them as something other than what was checked."""
    return "\\" in candidate or any(ord(ch) < 32 or ord(ch) == 127 for ch in candidate)


def safe_next(target: str | None) -> str | None:
    """The target if it is a plain local path, else None."""
    if not target:
        return None
    for candidate in (target, unquote(target)):
        if not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
            return None
        if _unsafe_characters(candidate):
            return None
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return None
    return target


def same_site_location(location: str, host: str) -> bool:
    """A redirect target that stays on this site: a local path, or an absolute http(s) URL to `host`.

    Flask-Admin's `url` parameter passes `http:evil.example` as "safe" (it joins it to the host first),
    and the browser then leaves the site; every redirect is checked against this instead (issue 20).
    """
    if safe_next(location):
        return True
    for candidate in (location, unquote(location)):
        if _unsafe_characters(candidate):
            return False
    parts = urlsplit(location)
    return parts.scheme in ("http", "https") and parts.netloc == host and location.startswith(f"{parts.scheme}://")
