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
    "instrument.media_added": _("Form media file added"),
    "interview.received": _("Interview received"),
    "interview.edited": _("Interview edited"),
    "interview.conflict": _("Conflicting submission kept"),
    "interview.submitted": _("Interview sent for review"),
    "interview.reviewed": _("Interview reviewed"),
    "interview.commented": _("Comment on an interview"),
    "interview.attachment_opened": _("Interview file opened"),
    "interview.attachment_added": _("Interview file added"),
    "interview.conflict_opened": _("Refused submission downloaded"),
    "interview.decrypted": _("Encrypted interview decrypted"),
    "device.created": _("Phone given a token"),
    "device.revoked": _("Phone token revoked"),
    "openrosa.form_key_created": _("Key for encrypted forms created"),
    "openrosa.key_unlocked": _("Key for encrypted forms unlocked"),
    "openrosa.key_unlock_failed": _("Failed unlock of the key for encrypted forms"),
    "openrosa.decryption_run": _("Encrypted interviews decrypted"),
    "import.previewed": _("Export file checked for import"),
    "import.confirmed": _("Export imported"),
    "transcript.saved": _("Transcript saved"),
    "transcript.finalized": _("Transcript marked final"),
    "keys.master_rotated": _("Master key rotated"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
