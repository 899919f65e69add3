"""The domain exception: a German message for the user, optionally per field.

It lives at the bottom (auth, below services) so the permission policy can raise it too;
services/errors.py re-exports it for everyone else.
"""


class DomainError(Exception):
    """A refused operation; `message` is shown to the user, `field_errors` next to fields."""

    def __init__(self, message: str, field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class PermissionDenied(DomainError):
    """The policy refuses the action to this user (role, record or inactive account)."""
