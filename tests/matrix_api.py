"""Who may call each REST endpoint: (url name, method, study roles allowed; OUTSIDER is a
signed-in member of another study).

Every URL of the `api` namespace and every method it answers is listed; a test walks the
resolver and fails for a URL missing here. The sets are written out rather than read from
`PERM_ROLES`, so a change to the permission table shows up as a failing test.
"""

from fieldwork.accounts.permissions import ADMIN, ANALYST, CODER, FR, SUP
from tests.conftest import OUTSIDER

EVERYONE = {FR, CODER, SUP, ANALYST, ADMIN}
STAFF = {SUP, ADMIN}
RECORDERS = STAFF | {FR}  # who handles sources: never coders or analysts
INSTRUMENT_USERS = RECORDERS | {CODER}
INTERVIEW_READERS = RECORDERS | {CODER}

API_MATRIX = [
    # Anyone signed in lists their own studies (the outsider sees only theirs); creating a
    # study needs a staff account, which no study role gives.
    ("api:study-list", "get", EVERYONE | {OUTSIDER}),
    ("api:study-list", "post", set()),
    ("api:study-detail", "get", EVERYONE),
    ("api:source-list", "get", RECORDERS),
    ("api:source-list", "post", RECORDERS),
    ("api:source-detail", "get", RECORDERS),
    # The world's source was recorded by its field researcher, who may edit it.
    ("api:source-detail", "patch", RECORDERS),
    ("api:source-reveal", "post", STAFF),
    ("api:source-shred", "post", {ADMIN}),
    ("api:source-consent-list", "get", RECORDERS),
    ("api:source-consent-list", "post", RECORDERS),
    ("api:source-consent-withdraw", "post", RECORDERS),
    ("api:consent-form-list", "get", RECORDERS | {CODER}),
    ("api:consent-form-list", "post", {ADMIN}),
    ("api:consent-form-detail", "get", RECORDERS | {CODER}),
    ("api:place-list", "get", EVERYONE),
    ("api:place-list", "post", STAFF),
    ("api:place-detail", "get", EVERYONE),
    ("api:actor-list", "get", EVERYONE),
    ("api:actor-list", "post", STAFF),
    ("api:actor-detail", "get", EVERYONE),
    ("api:actor-detail", "put", STAFF),
    ("api:actor-detail", "patch", STAFF),
    ("api:member-list", "get", STAFF),
    ("api:member-list", "post", {ADMIN}),
    ("api:member-detail", "get", STAFF),
    ("api:member-detail", "patch", {ADMIN}),
    ("api:member-detail", "delete", {ADMIN}),
    ("api:audit-event-list", "get", STAFF),
    ("api:instrument-list", "get", INSTRUMENT_USERS),
    ("api:instrument-list", "post", {ADMIN}),
    ("api:instrument-version-detail", "get", INSTRUMENT_USERS),
    # The world's version is a draft: its study admin may delete it.
    ("api:instrument-version-detail", "delete", {ADMIN}),
    ("api:instrument-version-publish", "post", {ADMIN}),
    ("api:instrument-version-disclosure", "post", {ADMIN}),
    ("api:interview-list", "get", INTERVIEW_READERS),
    ("api:interview-list", "post", RECORDERS),
    # The world's interview was recorded by its field researcher; she sees it.
    ("api:interview-detail", "get", INTERVIEW_READERS),
    ("api:interview-review", "post", STAFF),
    # The world's interview is "received": only reviewers may comment (its field researcher
    # answers once it is marked as having issues).
    ("api:interview-comment", "post", STAFF),
    # Its field researcher sends a draft for review; she and the reviewers correct it.
    ("api:interview-submit", "post", {FR}),
    ("api:interview-version-list", "post", RECORDERS),
    # a photo sent with the world's interview (`StudyWorld.files`)
    ("api:interview-attachment", "get", INTERVIEW_READERS),
    ("api:interview-attachment", "put", RECORDERS),
    # Transcripts follow the interview: coders read, its field researcher and staff save.
    ("api:transcript-detail", "get", INTERVIEW_READERS),
    ("api:transcript-detail", "put", RECORDERS),
]
