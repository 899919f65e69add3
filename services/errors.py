"""The domain exception: a German message for the user, optionally per field."""


class DomainError(Exception):
    """A refused operation; `message` is shown to the user, `field_errors` next to fields."""

    def __init__(self, message: str, field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}
