"""Errors that services raise for the caller to show to a user."""

from django.core.exceptions import ValidationError


class ServiceError(ValidationError):
    """A rule of the domain refused the action.

    It is a ValidationError so forms and the API show it the same way: a translated,
    user-facing sentence, optionally keyed by the field it concerns
    (`ServiceError({"phone": [...]})`).
    """
