"""Who may use each page of the web interface: (url name, method, roles allowed).

Read with `tests/conftest.py`'s `study_world`: the source there was recorded by the field
researcher (so she may edit it), `member_id` is the coder's membership, `form_id` the study's
consent form, `version_id` the study admin's draft of the checkpoint questionnaire,
`interview_id` a received interview the field researcher recorded (`StudyWorld.interview`). Besides
roles, a set may name OUTSIDER (signed in, member of another study) and ANONYMOUS. An empty
POST by an allowed visitor answers 200 (the form with its errors) or a redirect; anyone else
gets 403 (member without the permission) or 404 (not a member), and an anonymous visitor is
sent to the sign-in page.
"""

from fieldwork.accounts.models import Role
from fieldwork.accounts.permissions import ADMIN, CODER, FR, SUP
from tests.conftest import ANONYMOUS, OUTSIDER

EVERYONE = frozenset(Role)
STAFF = frozenset({SUP, ADMIN})
SOURCE_USERS = STAFF | {FR}
NOBODY: frozenset[Role] = frozenset()
EVERY_VISITOR_SET = EVERYONE | {OUTSIDER, ANONYMOUS}
INSTRUMENT_USERS = STAFF | {FR, CODER}  # analysts read questionnaires in releases
INTERVIEW_USERS = STAFF | {FR, CODER}

UI_MATRIX = [
    # accounts: not tied to a study. Signed-in visitors asking for the sign-in page are sent on
    # to their studies; signing out sends everyone to the sign-in page (for an anonymous
    # visitor that is the usual "please sign in" answer).
    ("accounts:login", "get", EVERYONE | {OUTSIDER, ANONYMOUS}),
    ("accounts:logout", "post", EVERYONE | {OUTSIDER}),
    # studies: the list shows each user their own studies, the outsider included
    ("studies:study-list", "get", EVERYONE | {OUTSIDER}),
    ("studies:study-create", "get", NOBODY),  # site staff only (user.is_staff), no study role
    ("studies:study-create", "post", NOBODY),
    ("studies:study-home", "get", EVERYONE),
    ("studies:place-list", "get", EVERYONE),
    ("studies:place-create", "get", STAFF),
    ("studies:place-create", "post", STAFF),
    ("studies:actor-list", "get", EVERYONE),
    ("studies:actor-detail", "get", EVERYONE),
    ("studies:actor-create", "get", STAFF),
    ("studies:actor-create", "post", STAFF),
    ("studies:actor-edit", "get", STAFF),
    ("studies:actor-edit", "post", STAFF),
    ("studies:member-list", "get", STAFF),
    ("studies:member-add", "get", {ADMIN}),
    ("studies:member-add", "post", {ADMIN}),
    ("studies:member-role", "post", {ADMIN}),
    ("studies:member-remove", "post", {ADMIN}),
    # sources (coders and analysts never reach a source page)
    ("sources:source-list", "get", SOURCE_USERS),
    ("sources:source-create", "get", SOURCE_USERS),
    ("sources:source-create", "post", SOURCE_USERS),
    ("sources:source-duplicate-check", "post", SOURCE_USERS),
    ("sources:source-detail", "get", SOURCE_USERS),
    ("sources:source-edit", "get", SOURCE_USERS),  # the researcher because she recorded it
    ("sources:source-edit", "post", SOURCE_USERS),
    ("sources:source-reveal", "post", STAFF),
    ("sources:source-shred", "get", {ADMIN}),
    ("sources:source-shred", "post", {ADMIN}),
    ("sources:consent-grant", "get", SOURCE_USERS),
    ("sources:consent-grant", "post", SOURCE_USERS),
    ("sources:consent-withdraw", "get", SOURCE_USERS),
    ("sources:consent-withdraw", "post", SOURCE_USERS),
    ("sources:consent-form-list", "get", SOURCE_USERS | {CODER}),
    ("sources:consent-form-detail", "get", SOURCE_USERS | {CODER}),
    ("sources:consent-form-create", "get", {ADMIN}),
    ("sources:consent-form-create", "post", {ADMIN}),
    # instruments: everyone but analysts reads them; study admins upload and publish
    ("instruments:instrument-list", "get", INSTRUMENT_USERS),
    ("instruments:instrument-upload", "get", {ADMIN}),
    ("instruments:instrument-upload", "post", {ADMIN}),
    ("instruments:version-detail", "get", INSTRUMENT_USERS),
    ("instruments:version-xform", "get", INSTRUMENT_USERS),
    ("instruments:version-media", "post", {ADMIN}),
    ("instruments:version-xlsform", "get", INSTRUMENT_USERS),
    ("instruments:version-publish", "post", {ADMIN}),
    ("instruments:version-delete", "post", {ADMIN}),
    ("instruments:version-disclosure", "get", {ADMIN}),
    ("instruments:version-disclosure", "post", {ADMIN}),
    # interviews: the world's interview was recorded by the field researcher and is "received";
    # she may comment only once it is marked as having issues, coders only read
    ("interviews:interview-list", "get", INTERVIEW_USERS),
    ("interviews:interview-detail", "get", INTERVIEW_USERS),
    ("interviews:interview-review", "post", STAFF),
    ("interviews:interview-comment", "post", STAFF),
    # its field researcher sends her draft for review; a refused body kept beside it
    # (`StudyWorld.conflict`) is downloaded by reviewers
    ("interviews:interview-submit", "post", {FR}),
    ("interviews:interview-conflict", "get", STAFF),
    # a file of the world's interview (see test_role_matrix): whoever may read the interview
    ("interviews:interview-attachment", "get", INTERVIEW_USERS),
    # transcripts follow the interview: coders read them, its field researcher and staff write
    ("transcripts:transcript-detail", "get", INTERVIEW_USERS),
    ("transcripts:transcript-edit", "get", SOURCE_USERS),
    ("transcripts:transcript-edit", "post", SOURCE_USERS),
    # web entry with ODK Web Forms: whoever records interviews; the fill page is the world's
    # questionnaire, published for it (`StudyWorld.published_version`)
    ("webforms:form-list", "get", STAFF | {FR}),
    ("webforms:form-fill", "get", STAFF | {FR}),
    # correcting the world's interview in the browser: its field researcher and reviewers
    ("webforms:form-edit", "get", STAFF | {FR}),
    ("webforms:form-edit-instance", "get", STAFF | {FR}),
    # imports of Kobo/ODK exports: whoever records interviews. The world has no import: the
    # batch page without `?id=` and an empty confirmation send the visitor back to the list
    ("imports:import-list", "get", STAFF | {FR}),
    ("imports:import-create", "get", STAFF | {FR}),
    ("imports:import-create", "post", STAFF | {FR}),
    ("imports:import-detail", "get", STAFF | {FR}),
    ("imports:import-confirm", "post", STAFF | {FR}),
    # audit
    ("audit:event-list", "get", STAFF),
    # OpenRosa (phones, Web Forms; not the REST API, so not in matrix_api): signed in through
    # the browser, those who record interviews; with a device token in the URL, the token
    # decides and the session does not matter (`StudyWorld.device`, the field researcher's).
    ("openrosa:form-list", "get", SOURCE_USERS),
    ("openrosa:form-download", "get", SOURCE_USERS),
    ("openrosa:form-manifest", "get", SOURCE_USERS),
    ("openrosa:form-media", "get", SOURCE_USERS),
    ("openrosa:submission", "get", SOURCE_USERS),
    ("openrosa:key-form-list", "get", EVERY_VISITOR_SET),
    ("openrosa:key-form-download", "get", EVERY_VISITOR_SET),
    ("openrosa:key-form-manifest", "get", EVERY_VISITOR_SET),
    ("openrosa:key-form-media", "get", EVERY_VISITOR_SET),
    ("openrosa:key-submission", "get", EVERY_VISITOR_SET),
    # phones: a field researcher makes a token for her own phone (and revokes it; the
    # world's device is hers), supervisors and study admins for anyone's
    ("devices:device-list", "get", SOURCE_USERS),
    ("devices:device-list", "post", SOURCE_USERS),
    ("devices:device-revoke", "post", SOURCE_USERS),
    # what phones sent that the worker refused (`StudyWorld.received`, sent by the field
    # researcher's phone): she sees it; reviewers also download its body and record it again
    ("devices:received-list", "get", SOURCE_USERS),
    ("devices:received-body", "get", STAFF),
    ("devices:received-retry", "post", STAFF),
    # encrypted forms: the study's keys and decrypting are for study admins only
    ("formkeys:key-list", "get", {ADMIN}),
    ("formkeys:key-generate", "post", {ADMIN}),
    ("formkeys:key-upload", "post", {ADMIN}),
    ("formkeys:submissions-decrypt", "post", {ADMIN}),
]

#: Answers only to POST: GET gets 405.
POST_ONLY = frozenset(
    {
        "accounts:logout",
        "studies:member-role",
        "studies:member-remove",
        "sources:source-duplicate-check",
        "sources:source-reveal",
        "instruments:version-publish",
        "instruments:version-delete",
        "instruments:version-media",
        "interviews:interview-review",
        "interviews:interview-comment",
        "interviews:interview-submit",
        "imports:import-confirm",
        "devices:device-revoke",
        "devices:received-retry",
        "formkeys:key-generate",
        "formkeys:key-upload",
        "formkeys:submissions-decrypt",
    }
)
