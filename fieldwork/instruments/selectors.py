"""Reads about instruments: querysets filtered to one study, and the way back from rows to
the plain specs the pure modules take."""

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from fieldwork.instruments.models import Choice, FormMedia, Instrument, InstrumentVersion, Question
from fieldwork.instruments.specs import ChoiceSpec, QuestionSpec
from fieldwork.instruments.xlsform import VersionDiff, diff_versions

#: Columns of a version that list pages never need (the original file can be 10 MB).
HEAVY_FIELDS = ("original_file", "xform_xml")


def instrument_list(*, study) -> QuerySet[Instrument]:
    """The study's instruments, each with its versions (newest first, without their files)
    and how many questions each version awaits a disclosure review for."""
    versions = (
        InstrumentVersion.objects.defer(*HEAVY_FIELDS)
        .select_related("uploaded_by")
        .annotate(
            question_count=Count("questions"),
            suggested_count=Count("questions", filter=Q(questions__disclosure_suggested=True)),
        )
        .order_by("-created_at", "-pk")
    )
    return (
        Instrument.objects.filter(study=study)
        .prefetch_related(Prefetch("versions", queryset=versions))
        .order_by("title", "form_id")
    )


def instrument_version_get(*, study, version_id: int) -> InstrumentVersion | None:
    """A version of one of the study's instruments, or None (missing or another study's).
    The original file is loaded only when read."""
    return (
        InstrumentVersion.objects.select_related("instrument__study", "uploaded_by")
        .defer("original_file")
        .filter(instrument__study=study, pk=version_id)
        .first()
    )


def version_questions(*, version: InstrumentVersion) -> QuerySet[Question]:
    return Question.objects.filter(version=version).order_by("position")


def version_choices(*, version: InstrumentVersion) -> QuerySet[Choice]:
    return Choice.objects.filter(version=version).order_by("list_name", "position")


#: The question by which a questionnaire names the source an interview is with: its answer
#: is the source's code (issue 4, §2). A form without one is not about a registered source.
SOURCE_QUESTION = "source_code"


def version_source_question(*, version: InstrumentVersion) -> str | None:
    """The path of the version's `source_code` question (outside repeats), or None."""
    return version_form(version=version).source_question


def questions_to_specs(questions: Iterable[Question]) -> list[QuestionSpec]:
    """Rows back to the frozen specs `xlsform.py` and `answers.py` take."""
    return [
        QuestionSpec(
            name=q.name,
            path=q.path,
            type=q.type,
            list_name=q.list_name,
            repeat_path=q.repeat_path,
            labels=q.labels,
            hints=q.hints,
            required=q.required,
            required_if=q.required_if,
            required_message=q.required_message,
            relevant=q.relevant,
            constraint=q.constraint,
            constraint_message=q.constraint_message,
            calculation=q.calculation,
            choice_filter=q.choice_filter,
            appearance=q.appearance,
            default=q.default,
            read_only=q.read_only,
            disclosure=q.disclosure,
            disclosure_suggested=q.disclosure_suggested,
        )
        for q in questions
    ]


def choices_to_specs(choices: Iterable[Choice]) -> list[ChoiceSpec]:
    return [
        ChoiceSpec(list_name=c.list_name, name=c.name, labels=c.labels, extra=c.extra)
        for c in choices
    ]


@dataclass(frozen=True)
class VersionForm:
    """What checking and reading a submission needs of a version, as plain specs."""

    questions: tuple[QuestionSpec, ...]
    choices: tuple[ChoiceSpec, ...]
    #: The `source_code` question's path (outside repeats), or None.
    source_question: str | None
    #: The `start` metadata's path (outside repeats), or None.
    start_question: str | None

    def paths(self, types: Iterable[str]) -> list[str]:
        wanted = frozenset(types)
        return [q.path for q in self.questions if q.type in wanted]


#: Versions' forms by (pk, XForm md5), most recently used last. What validation reads of a
#: version never changes after upload (only disclosure roles are edited later, and checks do
#: not read them), so each process keeps a few instead of reading hundreds of rows per
#: submission (make bench: openrosa). The md5 in the key keeps a reused pk from matching.
_FORMS: "OrderedDict[tuple[int, str], VersionForm]" = OrderedDict()
_FORMS_KEPT = 32


def version_form(*, version: InstrumentVersion) -> VersionForm:
    key = (version.pk, version.xform_md5)
    form = _FORMS.get(key)
    if form is not None:
        _FORMS.move_to_end(key)
        return form
    questions = tuple(questions_to_specs(version_questions(version=version)))

    def top_level(name: str | None = None, kind: str | None = None) -> str | None:
        return next(
            (
                q.path
                for q in questions
                if not q.repeat_path
                and (name is None or q.name == name)
                and (kind is None or q.type == kind)
            ),
            None,
        )

    form = VersionForm(
        questions=questions,
        choices=tuple(choices_to_specs(version_choices(version=version))),
        source_question=top_level(name=SOURCE_QUESTION),
        start_question=top_level(kind="start"),
    )
    _FORMS[key] = form
    while len(_FORMS) > _FORMS_KEPT:
        _FORMS.popitem(last=False)
    return form


@dataclass(frozen=True)
class VersionComparison:
    base: InstrumentVersion
    diff: VersionDiff


def version_diff_base(*, version: InstrumentVersion) -> InstrumentVersion | None:
    """What a version is compared with: the instrument's published version, or when that
    is the version itself (or there is none) the version uploaded just before it."""
    others = InstrumentVersion.objects.defer(*HEAVY_FIELDS).filter(
        instrument_id=version.instrument_id
    )
    published = others.filter(status=InstrumentVersion.Status.PUBLISHED).exclude(pk=version.pk)
    base = published.first()
    if base is None:
        base = (
            others.filter(created_at__lte=version.created_at)
            .exclude(pk=version.pk)
            .order_by("-created_at", "-pk")
            .first()
        )
    return base


def version_diff(*, version: InstrumentVersion) -> VersionComparison | None:
    """Questions and choices added, removed and changed since the base version (see
    `version_diff_base`); None for an instrument's first version."""
    base = version_diff_base(version=version)
    if base is None:
        return None
    return VersionComparison(
        base=base,
        diff=diff_versions(
            questions_to_specs(version_questions(version=base)),
            questions_to_specs(version_questions(version=version)),
            old_choices=choices_to_specs(version_choices(version=base)),
            new_choices=choices_to_specs(version_choices(version=version)),
        ),
    )


def form_media_list(*, version: InstrumentVersion) -> QuerySet[FormMedia]:
    """The version's media files, without their bytes."""
    return FormMedia.objects.filter(version=version).defer("content").order_by("filename")
