"""Sign-ins and failed sign-ins go to the audit trail."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from fieldwork.audit.services import audit_record


@receiver(user_logged_in)
def _audit_login(sender, request, user, **kwargs) -> None:
    audit_record(actor=user, action="auth.login", target=user)


@receiver(user_login_failed)
def _audit_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # The attempted username is kept (it is not a source's identity); the password never is.
    audit_record(
        actor=None,
        action="auth.login_failed",
        actor_username=str(credentials.get("username", "")),
    )
