"""Route guard by role; object-level checks live in the fetch-and-authorise helpers."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def roles_required(*roles: str):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
