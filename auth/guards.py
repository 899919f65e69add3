"""Route decorator and template helpers over the policy; object checks live in each view's fetch-and-authorise
helper, which asks `can(current_user, action, record)` too."""
from functools import wraps

from flask import abort, request
from flask_login import current_user

from .policy import can, on_behalf


def permission_required(action: str, **by_method: str):
    """403 unless the user holds `action`; `post="..."` etc. name another action for that HTTP method."""
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not can(current_user, by_method.get(request.method.lower(), action)):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def template_helpers() -> dict:
    """`can('run.prepare')`, `can('document.edit', record)` and `on_behalf()` for the signed-in user."""
    return {"can": lambda action, obj=None: can(current_user, action, obj),
            "on_behalf": lambda: on_behalf(current_user)}
