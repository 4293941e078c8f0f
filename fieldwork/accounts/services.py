"""Writes about accounts and study membership. Role changes are audited."""

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fieldwork.accounts.models import Membership, Role, User
from fieldwork.audit.services import audit_record
from fieldwork.core.errors import ServiceError


@transaction.atomic
def user_create(*, username: str, password: str, email: str = "", language: str = "fr") -> User:
    username = username.strip()
    if not username:
        raise ServiceError({"username": [_("Enter a username.")]})
    try:
        for validator in User._meta.get_field("username").validators:
            validator(username)
    except ValidationError as exc:
        raise ServiceError({"username": exc.messages}) from exc
    if User.objects.filter(username__iexact=username).exists():
        raise ServiceError(
            {"username": [_("An account named “%(name)s” already exists.") % {"name": username}]}
        )
    user = User(username=username, email=email.strip(), language=language)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError({"password": exc.messages}) from exc
    user.set_password(password)
    user.save()
    return user


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise ServiceError({"role": [_("Choose one of the study roles.")]})


def _keep_an_admin(membership: Membership) -> None:
    others = Membership.objects.filter(study=membership.study, role=Role.STUDY_ADMIN).exclude(
        pk=membership.pk
    )
    if membership.role == Role.STUDY_ADMIN and not others.exists():
        raise ServiceError(_("A study needs at least one study admin; appoint another one first."))


@transaction.atomic
def member_add(*, study, by, username: str, role: str, password: str = "") -> Membership:
    """Give a user a role in the study; with a password, create the account first."""
    _check_role(role)
    user = User.objects.filter(username__iexact=username.strip()).first()
    if user is None:
        if not password:
            raise ServiceError(
                {
                    "username": [
                        _("No account is named “%(name)s”. Give a password to create it.")
                        % {"name": username}
                    ]
                }
            )
        user = user_create(username=username, password=password)
    if Membership.objects.filter(study=study, user=user).exists():
        raise ServiceError(
            {
                "username": [
                    _("%(name)s is already a member of this study.") % {"name": user.username}
                ]
            }
        )
    membership = Membership.objects.create(study=study, user=user, role=role)
    audit_record(
        actor=by,
        study=study,
        action="membership.added",
        target=membership,
        target_id=user.username,
        data={"role": role},
    )
    return membership


@transaction.atomic
def member_change_role(*, membership: Membership, by, role: str) -> Membership:
    _check_role(role)
    membership = (
        Membership.objects.select_for_update().select_related("user", "study").get(pk=membership.pk)
    )
    if membership.role == role:
        return membership
    if role != Role.STUDY_ADMIN:
        _keep_an_admin(membership)
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        actor=by,
        study=membership.study,
        action="membership.role_changed",
        target=membership,
        target_id=membership.user.username,
        data={"from": old, "to": role},
    )
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, by) -> None:
    membership = (
        Membership.objects.select_for_update().select_related("user", "study").get(pk=membership.pk)
    )
    _keep_an_admin(membership)
    audit_record(
        actor=by,
        study=membership.study,
        action="membership.removed",
        target=membership,
        target_id=membership.user.username,
        data={"role": membership.role},
    )
    membership.delete()


def user_set_language(*, user: User, language: str) -> User:
    """Remember the interface language a user chose; unknown codes are ignored."""
    if language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user
