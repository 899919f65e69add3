"""The domain exception, re-exported from its home at the bottom (auth/errors.py) for the services and above."""
from auth.errors import DomainError, PermissionDenied

__all__ = ["DomainError", "PermissionDenied"]
