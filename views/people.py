"""People on pages by name, the e-mail address on hover (issue 18)."""
from markupsafe import Markup


def person(user) -> Markup:
    """`Beat Frei` with `beat.frei@…` as tooltip; a user without a name shows the address; none shows "–"."""
    if user is None:
        return Markup("–")
    name = getattr(user, "name", "") or ""
    email = getattr(user, "email", "") or str(user)
    if not name:
        return Markup("{}").format(email)
    return Markup('<span title="{}">{}</span>').format(email, name)
