"""The REST API, version 1. Every study-scoped URL takes the study's `slug`; objects inside a
study are addressed by `code` (sources) or `place_id`, `actor_id`, `member_id`, `form_id`,
`version_id` (instrument versions), `interview_id` (an interview's client UUID)."""

from django.urls import path

from fieldwork.accounts.api import MemberDetailApi, MemberListApi
from fieldwork.audit.api import AuditEventListApi
from fieldwork.instruments.api import (
    InstrumentListApi,
    InstrumentVersionDetailApi,
    InstrumentVersionDisclosureApi,
    InstrumentVersionPublishApi,
)
from fieldwork.interviews.api import (
    InterviewAttachmentApi,
    InterviewCommentApi,
    InterviewDetailApi,
    InterviewListApi,
    InterviewReviewApi,
    InterviewSubmitApi,
    InterviewVersionListApi,
)
from fieldwork.sources.api import (
    ConsentFormDetailApi,
    ConsentFormListApi,
    SourceConsentListApi,
    SourceConsentWithdrawApi,
    SourceDetailApi,
    SourceListApi,
    SourceRevealApi,
    SourceShredApi,
)
from fieldwork.studies.api import (
    ActorDetailApi,
    ActorListApi,
    PlaceDetailApi,
    PlaceListApi,
    StudyDetailApi,
    StudyListApi,
)
from fieldwork.transcripts.api import TranscriptDetailApi

app_name = "api"

STUDY = "studies/<slug:slug>/"
SOURCE = STUDY + "sources/<str:code>/"
VERSION = STUDY + "instruments/versions/<int:version_id>/"
INTERVIEW = STUDY + "interviews/<uuid:interview_id>/"

urlpatterns = [
    path("studies/", StudyListApi.as_view(), name="study-list"),
    path(STUDY, StudyDetailApi.as_view(), name="study-detail"),
    path(STUDY + "sources/", SourceListApi.as_view(), name="source-list"),
    path(SOURCE, SourceDetailApi.as_view(), name="source-detail"),
    path(SOURCE + "reveal/", SourceRevealApi.as_view(), name="source-reveal"),
    path(SOURCE + "shred/", SourceShredApi.as_view(), name="source-shred"),
    path(SOURCE + "consent/", SourceConsentListApi.as_view(), name="source-consent-list"),
    path(
        SOURCE + "consent/withdraw/",
        SourceConsentWithdrawApi.as_view(),
        name="source-consent-withdraw",
    ),
    path(STUDY + "consent-forms/", ConsentFormListApi.as_view(), name="consent-form-list"),
    path(
        STUDY + "consent-forms/<int:form_id>/",
        ConsentFormDetailApi.as_view(),
        name="consent-form-detail",
    ),
    path(STUDY + "places/", PlaceListApi.as_view(), name="place-list"),
    path(STUDY + "places/<int:place_id>/", PlaceDetailApi.as_view(), name="place-detail"),
    path(STUDY + "actors/", ActorListApi.as_view(), name="actor-list"),
    path(STUDY + "actors/<int:actor_id>/", ActorDetailApi.as_view(), name="actor-detail"),
    path(STUDY + "members/", MemberListApi.as_view(), name="member-list"),
    path(STUDY + "members/<int:member_id>/", MemberDetailApi.as_view(), name="member-detail"),
    path(STUDY + "instruments/", InstrumentListApi.as_view(), name="instrument-list"),
    path(VERSION, InstrumentVersionDetailApi.as_view(), name="instrument-version-detail"),
    path(
        VERSION + "publish/",
        InstrumentVersionPublishApi.as_view(),
        name="instrument-version-publish",
    ),
    path(
        VERSION + "disclosure/",
        InstrumentVersionDisclosureApi.as_view(),
        name="instrument-version-disclosure",
    ),
    path(STUDY + "interviews/", InterviewListApi.as_view(), name="interview-list"),
    path(INTERVIEW, InterviewDetailApi.as_view(), name="interview-detail"),
    path(INTERVIEW + "review/", InterviewReviewApi.as_view(), name="interview-review"),
    path(INTERVIEW + "comments/", InterviewCommentApi.as_view(), name="interview-comment"),
    path(INTERVIEW + "submit/", InterviewSubmitApi.as_view(), name="interview-submit"),
    path(INTERVIEW + "versions/", InterviewVersionListApi.as_view(), name="interview-version-list"),
    path(
        INTERVIEW + "versions/<int:version_number>/files/<str:filename>",
        InterviewAttachmentApi.as_view(),
        name="interview-attachment",
    ),
    path(INTERVIEW + "transcript/", TranscriptDetailApi.as_view(), name="transcript-detail"),
    path(STUDY + "audit-events/", AuditEventListApi.as_view(), name="audit-event-list"),
]
