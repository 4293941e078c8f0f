"""Reads about interviews, filtered to what the user may see: a field researcher sees the
interviews they recorded; coders, supervisors and study admins all of the study's."""

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    QuerySet,
)
from django.http import Http404
from django.utils.translation import gettext as _

from fieldwork.accounts.models import Role, User
from fieldwork.accounts.permissions import (
    PERM_ROLES,
    Perm,
    can_see_answer_identifiers,
    has_perm,
    study_role,
)
from fieldwork.core.i18n import in_reader_language
from fieldwork.instruments.models import Disclosure, Question
from fieldwork.interviews.models import (
    WAITING,
    WAITING_STATES,
    Attachment,
    Interview,
    InterviewStatus,
    InterviewVersion,
    ReviewEvent,
    SubmissionConflict,
)
from fieldwork.sources.blobs import open_blob, open_payload
from fieldwork.sources.models import ConsentScope
from fieldwork.sources.selectors import consent_allows
from fieldwork.studies.selectors import place_subtree_ids


def is_waiting(status: str, answered: bool) -> bool:
    """`models.WAITING` for one interview, or one group of interviews, by its state and
    `answered`."""
    return status in WAITING_STATES or answered


def can_review(user, interview) -> bool:
    return has_perm(user, interview.study, Perm.INTERVIEW_REVIEW)


def can_submit(user, interview) -> bool:
    """The field researcher who recorded a draft sends it for review; nobody else does."""
    return (
        interview.status == InterviewStatus.DRAFT
        and interview.researcher_id == user.pk
        and has_perm(user, interview.study, Perm.INTERVIEW_RECORD)
    )


def can_comment(user, interview) -> bool:
    """Reviewers comment at any time; the field researcher who recorded the interview answers
    when it is marked as having issues. Coders read only."""
    if can_review(user, interview):
        return True
    return (
        interview.researcher_id == user.pk
        and interview.status == InterviewStatus.HAS_ISSUES
        and has_perm(user, interview.study, Perm.INTERVIEW_VIEW)
    )


def interview_visible_to(*, study, user) -> QuerySet[Interview]:
    """The study's interviews the user may read; none for non-members and other roles."""
    interviews = Interview.objects.filter(study=study)
    if not has_perm(user, study, Perm.INTERVIEW_VIEW):
        return interviews.none()
    if study_role(user=user, study=study) == Role.FIELD_RESEARCHER:
        return interviews.filter(researcher=user)
    return interviews


def interview_list(
    *,
    study,
    user,
    status: str = "",
    researcher=None,
    instrument=None,
    place=None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[Interview]:
    """Interviews the user may see, newest first; `since`/`until` bound when they were
    received."""
    interviews = (
        interview_visible_to(study=study, user=user)
        .select_related(
            "source",
            "researcher",
            "instrument",
            "place",
            "current_version__instrument_version",
        )
        # Lists never show a version's content, its questionnaire's files or a source's
        # sealed identity. The questionnaire's files alone were 16 kB on each of a page's 50
        # rows (make bench: queue); a page that needs one reads it on access.
        .defer(
            "current_version__payload_ciphertext",
            "current_version__answers_ciphertext",
            "current_version__instrument_version__original_file",
            "current_version__instrument_version__xform_xml",
            "source__identity_ciphertext",
            "source__wrapped_key",
        )
    )
    if status:
        interviews = interviews.filter(status=status)
    if researcher is not None:
        interviews = interviews.filter(researcher=researcher)
    if instrument is not None:
        interviews = interviews.filter(instrument=instrument)
    if place is not None:
        # A region or commune stands for every place inside it (its villages...).
        interviews = interviews.filter(place_id__in=place_subtree_ids(place=place))
    if since is not None:
        interviews = interviews.filter(created_at__gte=since)
    if until is not None:
        interviews = interviews.filter(created_at__lt=until)
    return interviews


def interview_get(*, study, user, interview_id) -> Interview:
    """One interview by its client UUID, if the user may see it (a field researcher: only
    her own), with what its pages show; 404 otherwise, the same answer for "missing" and
    "not yours"."""
    interview = interview_list(study=study, user=user).filter(client_uuid=interview_id).first()
    if interview is None:
        raise Http404
    interview.study = study
    return interview


#: What a queue row shows (templates/interviews/list.html): a page reads only these columns
#: of its 50 interviews and their source, researcher, place and questionnaire.
QUEUE_ROW_FIELDS = (
    "client_uuid",
    "status",
    "answered",
    "created_at",
    "source__code",
    "researcher__username",
    "place__name",
    "instrument__title",
    "instrument__form_id",
    "current_version__payload_format",
    "current_version__decrypted_at",
    "current_version__problem_count",
    "current_version__instrument_version__version",
)


def interview_queue(*, study, user, waiting: bool = False, **criteria) -> QuerySet[Interview]:
    """`interview_list` (same criteria) for the review queue, each row annotated in the same
    query with `has_conflicts` (refused submissions are kept for it), with the columns a
    queue row shows (`QUEUE_ROW_FIELDS`). `waiting`: only what waits for a reviewer:
    received, edited, and "has issues" answered by the field researcher
    (`Interview.answered`)."""
    interviews = (
        interview_list(study=study, user=user, **criteria)
        .only(*QUEUE_ROW_FIELDS)
        .annotate(
            has_conflicts=Exists(SubmissionConflict.objects.filter(interview=OuterRef("pk"))),
        )
    )
    if waiting:
        interviews = interviews.filter(WAITING)
    return interviews


def interview_page_ids(interviews: QuerySet[Interview]) -> QuerySet:
    """The ids of `interviews`, in its order, to page on: a deep page is then an index
    range, without joining the source, researcher, place and version of every interview
    before it (make bench: queue); `interview_rows` reads the page's own rows."""
    return interviews.values_list("pk", flat=True)


def interview_rows(interviews: QuerySet[Interview], ids) -> list[Interview]:
    """The interviews of `interviews` whose ids are `ids`, in that order, read whole."""
    ids = list(ids)
    found = interviews.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


@dataclass(frozen=True)
class StateCounts:
    """How many interviews are in each state, and how many wait for a reviewer (see
    `interview_queue`)."""

    per_state: dict[str, int]
    waiting: int

    def matching(self, *, status: str = "", waiting: bool = False) -> int:
        """How many `interview_queue` lists with the same criteria and this state filter."""
        if waiting:
            return self.waiting
        if status:
            return self.per_state.get(status, 0)
        return sum(self.per_state.values())


def interview_state_counts(*, study, user, **criteria) -> StateCounts:
    """How many interviews (matching `interview_list`'s criteria) are in each state, and
    how many of them wait for a reviewer; one query, which also gives the queue's page count.
    It groups by (state, answered) and counts rows: PostgreSQL then reads the
    `interview_state_counts` index alone, 11 ms for 100,000 interviews where counting ids
    with a FILTER read the table in 53 ms (make bench: queue)."""
    rows = (
        interview_list(study=study, user=user, **criteria)
        .order_by()
        .values_list("status", "answered")
        .annotate(n=Count("*"))
        .values_list("status", "answered", "n")
    )
    per_state: dict[str, int] = {}
    waiting = 0
    for status, answered, n in rows:
        per_state[status] = per_state.get(status, 0) + n
        if is_waiting(status, answered):
            waiting += n
    return StateCounts(per_state=per_state, waiting=waiting)


def interview_researcher_choices(*, study) -> QuerySet[User]:
    """Who may be named as an interview's field researcher in a filter: the members whose
    role records interviews (not coders or analysts). From the memberships, not from the
    interviews: a study's 100,000 interviews are not scanned to fill a menu."""
    roles = PERM_ROLES.get(Perm.INTERVIEW_RECORD, frozenset())
    return User.objects.filter(memberships__study=study, memberships__role__in=roles).order_by(
        "username"
    )


def interview_conflicts(interview: Interview) -> QuerySet[SubmissionConflict]:
    """Refused submissions kept for the interview, newest first, without their bodies."""
    return (
        SubmissionConflict.objects.filter(interview=interview)
        .select_related("submitted_by")
        .defer("payload_ciphertext")
        .order_by("-received_at", "-id")
    )


def interview_conflict(interview: Interview, *, conflict_id: int) -> SubmissionConflict | None:
    """One refused submission kept for the interview, with its body."""
    return SubmissionConflict.objects.filter(interview=interview, pk=conflict_id).first()


def interview_source_participates(interview: Interview) -> bool:
    """Whether the interview's source has participation consent in force now (true for an
    interview without a source: there is nobody to ask)."""
    if interview.source is None:
        return True
    return consent_allows(source=interview.source, scope=ConsentScope.PARTICIPATE)


def interview_versions(interview: Interview) -> QuerySet[InterviewVersion]:
    """Every version of the interview, oldest first, without the bodies as received."""
    return (
        InterviewVersion.objects.filter(interview=interview)
        .select_related("instrument_version", "submitted_by", "via_device")
        .defer("payload_ciphertext")
        .prefetch_related(
            Prefetch(
                "attachments",
                queryset=Attachment.objects.defer("ciphertext", "wrapped_key").order_by("name"),
            )
        )
        .order_by("number")
    )


def interview_attachment(
    interview: Interview, *, number: int, name: str, user
) -> Attachment | None:
    """One file of one version of an interview the caller may already see; None for a file
    that answers a direct-identifier question (a respondent's photo) the caller may not."""
    attachment = (
        Attachment.objects.select_related("version__instrument_version")
        .filter(version__interview=interview, version__number=number, name=name)
        .first()
    )
    if attachment is None or name in version_content_for(user, attachment.version).hidden_files:
        return None
    return attachment


def interview_review_history(interview: Interview) -> QuerySet[ReviewEvent]:
    return (
        ReviewEvent.objects.filter(interview=interview)
        .select_related("by")
        .order_by("created_at", "id")
    )


def _flatten(value: Any, path: str, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _flatten(child, f"{path}/{key}" if path else str(key), out)
    elif isinstance(value, list):
        for n, child in enumerate(value, start=1):
            _flatten(child, f"{path}[{n}]", out)
    else:
        out[path] = value


def flatten_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Nested answers as {path: value}: groups joined by "/", repeat instances numbered
    from 1 (household/members[2]/age)."""
    out: dict[str, Any] = {}
    _flatten(answers, "", out)
    return out


def interview_version_diff(
    old: Mapping[str, Any], new: Mapping[str, Any]
) -> list[tuple[str, Any, Any]]:
    """What changed between two versions' answers, as (path, old value, new value); None
    stands for an answer absent on that side. Pure: takes the answers dicts."""
    before, after = flatten_answers(old), flatten_answers(new)
    paths = [*before, *(p for p in after if p not in before)]
    return [
        (p, before.get(p), after.get(p))
        for p in paths
        if p not in before or p not in after or before[p] != after[p]
    ]


@dataclass(frozen=True)
class VisibleContent:
    """A version's answers as one reader may see them: `answers` with direct identifiers
    replaced by a notice where the reader may not read them, the check's `problems` in the
    reader's language (those about a direct identifier, which may quote its answer, also
    replaced by a notice), and `hidden_files`, the names of files those answers point to
    (photos, recordings)."""

    answers: dict
    problems: list[str]
    hidden_files: frozenset[str]


def version_content_for(user, version: InterviewVersion) -> VisibleContent:
    answers, problems = version_content(version)
    if can_see_answer_identifiers(user, version.interview):
        return VisibleContent(answers, _problem_texts(problems), frozenset())
    paths = frozenset(
        Question.objects.filter(
            version_id=version.instrument_version_id, disclosure=Disclosure.DIRECT_IDENTIFIER
        ).values_list("path", flat=True)
    )
    if not paths:
        return VisibleContent(answers, _problem_texts(problems), frozenset())
    hidden: set[str] = set()
    notice = _("hidden: direct identifier")

    def mask(data: Any, path: str) -> Any:
        if isinstance(data, Mapping):
            return {k: mask(v, f"{path}/{k}" if path else str(k)) for k, v in data.items()}
        if isinstance(data, list):
            return [mask(item, path) for item in data]
        if path in paths and data not in (None, ""):
            hidden.add(str(data))
            return notice
        return data

    masked = mask(answers, "")
    return VisibleContent(masked, _problem_texts(problems, hidden=paths), frozenset(hidden))


def _problem_texts(problems: list, hidden: frozenset[str] = frozenset()) -> list[str]:
    """The kept problems (`services._kept_problem`) in the reader's language; those about a
    question in `hidden` as a notice naming the question only. A problem kept as plain
    text (before they were kept in every language) is shown as it is."""
    texts = []
    for problem in problems:
        if isinstance(problem, str):
            texts.append(problem)
        elif problem.get("path") in hidden:
            texts.append(
                _("%(path)s: a problem with this answer, hidden: direct identifier.")
                % {"path": problem["path"]}
            )
        else:
            texts.append(in_reader_language(problem.get("text") or {}))
    return texts


def version_content(version: InterviewVersion) -> tuple[dict, list]:
    """A version's answers and the server check's findings as kept (see
    `version_content_for` for a reader's view), opened from their seal; no answers for an
    encrypted submission not yet decrypted."""
    if version.answers_ciphertext is None:
        return {}, version.problems
    document = json.loads(
        open_blob(
            ciphertext=version.answers_ciphertext,
            wrapped_key=version.answers_wrapped_key,
            key_id=version.answers_key_id,
            context=version.answers_context,
        )
    )
    return document["answers"], [*version.problems, *document["problems"]]


def conflict_payload(conflict: SubmissionConflict) -> bytes:
    """A refused submission's body exactly as it arrived, opened from its seal (a reviewer
    opens it through `services.conflict_open`, which audits it)."""
    return open_payload(conflict)


def version_payload(version: InterviewVersion) -> bytes:
    """A version's body exactly as it was received, opened from its seal."""
    return open_payload(version)
