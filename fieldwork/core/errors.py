"""Errors that services raise for the caller to show to a user."""

from django.core.exceptions import ValidationError


class ServiceError(ValidationError):
    """A rule of the domain refused the action.

    It is a ValidationError so forms and the API show it the same way: a translated,
    user-facing sentence, optionally keyed by the field it concerns
    (`ServiceError({"phone": [...]})`). `code` names a kind of refusal the caller may act on
    (`"duplicate"`: the user may confirm and retry).
    """

    def __init__(self, message, code=None, params=None):
        super().__init__(message, code, params)
        # ValidationError drops `code` when given a dict of field errors; keep it, or callers
        # could not tell a duplicate warning from any other refusal.
        if code is not None or not hasattr(self, "code"):
            self.code = code

    def as_text(self) -> str:
        """Every message in one line, for a client that shows plain text (a phone)."""
        return " ".join(str(message) for message in self.messages)
