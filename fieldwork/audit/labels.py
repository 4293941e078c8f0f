"""Readable names for audit actions. Unknown actions show their technical name."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "auth.login": _("Signed in"),
    "auth.login_failed": _("Failed sign-in"),
    "study.created": _("Study created"),
    "membership.added": _("Member added"),
    "membership.role_changed": _("Role changed"),
    "membership.removed": _("Member removed"),
    "place.created": _("Place added"),
    "actor.created": _("Actor added"),
    "actor.updated": _("Actor changed"),
    "source.created": _("Source recorded"),
    "source.updated": _("Source changed"),
    "source.identity_revealed": _("Identity revealed"),
    "source.shredded": _("Identity destroyed"),
    "consent.granted": _("Consent given"),
    "consent.withdrawn": _("Consent withdrawn"),
    "consent_form.published": _("Consent form published"),
    "instrument.uploaded": _("Questionnaire version uploaded"),
    "instrument.published": _("Questionnaire version published"),
    "instrument.version_deleted": _("Questionnaire draft deleted"),
    "instrument.disclosure_reviewed": _("Disclosure roles reviewed"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
