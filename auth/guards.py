"""Route guard by role; object-level checks live in the fetch-and-authorise helpers of each view."""
from functools import wraps

from flask import abort
from flask_login import current_user


def roles_required(*roles: str):
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated or current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator
