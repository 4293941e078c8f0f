"""Reads for web entry: the questionnaires a study's researchers can fill in the browser."""

import copy

from django.db.models import Exists, OuterRef, QuerySet
from lxml import etree

from fieldwork.core.xml import SAFE_PARSER, local_name
from fieldwork.instruments.models import InstrumentVersion, Question
from fieldwork.instruments.selectors import HEAVY_FIELDS, SOURCE_QUESTION
from fieldwork.interviews.models import InterviewVersion
from fieldwork.interviews.selectors import version_content, version_payload


def _published(*, study) -> QuerySet[InstrumentVersion]:
    source_question = Question.objects.filter(
        version=OuterRef("pk"), name=SOURCE_QUESTION, repeat_path=""
    )
    return (
        InstrumentVersion.objects.filter(
            instrument__study=study, status=InstrumentVersion.Status.PUBLISHED
        )
        .select_related("instrument")
        .annotate(asks_source=Exists(source_question))
    )


def fillable_versions(*, study) -> QuerySet[InstrumentVersion]:
    """The study's published questionnaires (one version per instrument: publishing retires
    the one before), by title, without their files. Each carries `asks_source`: whether it
    names the source by a `source_code` question."""
    return _published(study=study).defer(*HEAVY_FIELDS).order_by("title", "instrument__form_id")


def fillable_version_get(*, study, xform_id: str) -> InstrumentVersion | None:
    """The published version of the study's questionnaire with this form ID, with its
    XForm, or None (unknown, another study's, or never published)."""
    return (
        _published(study=study).defer("original_file").filter(instrument__form_id=xform_id).first()
    )


def is_encrypted(version: InstrumentVersion) -> bool:
    """An XLSForm with a public key is encrypted on the phone; ODK Web Forms cannot encrypt,
    so the browser would send in clear what the study chose to seal."""
    return bool((version.form_settings or {}).get("public_key"))


_JR_TEMPLATE = "{http://openrosa.org/javarosa}template"
_FROM_ANSWERS = (InterviewVersion.Format.JSON, InterviewVersion.Format.EXPORT_ROW)
#: Versions a correction in the browser can start from (see `editable_xml`).
CORRECTABLE_FORMATS = (InterviewVersion.Format.OPENROSA_XML, *_FROM_ANSWERS)


def editable_xml(version: InterviewVersion) -> bytes | None:
    """An interview version's answers as XForm instance XML, for a correction in the
    browser: the body a phone or the web sent; for one recorded through the API or imported
    from an export, its answers written into the form's instance. None for a version whose
    answers are sealed (encrypted on the phone)."""
    if version.payload_format == InterviewVersion.Format.OPENROSA_XML:
        return version_payload(version)
    if version.payload_format in _FROM_ANSWERS:
        return answers_instance_xml(
            xform_xml=version.instrument_version.xform_xml,
            answers=version_content(version)[0],
            instance_id=version.instance_id,
        )
    return None


def answers_instance_xml(*, xform_xml: str, answers: dict, instance_id) -> bytes:
    """The form's primary instance filled with `answers` (as stored: groups as mappings,
    repeats as lists), in the form's own element order, under `instance_id`."""
    model = etree.fromstring(xform_xml.encode("utf-8"), parser=SAFE_PARSER)
    template = next(
        element
        for element in model.iter()
        if local_name(element.tag) == "instance" and element.get("id") is None
    )
    root = copy.deepcopy(next(child for child in template if isinstance(child.tag, str)))
    _fill(root, answers if isinstance(answers, dict) else {})
    for element in root.iter():
        if (
            local_name(element.tag) == "instanceID"
            and local_name(element.getparent().tag) == "meta"
        ):
            element.text = f"uuid:{instance_id}"
    return etree.tostring(root, encoding="utf-8")


def _fill(node, data: dict) -> None:
    for child in [c for c in node if isinstance(c.tag, str)]:
        if child.getparent() is None:
            continue  # a repeat's copy removed below
        name = local_name(child.tag)
        value = data.get(name)
        if child.get(_JR_TEMPLATE) is not None:
            # A repeat: its template, then one copy per instance answered, in its place.
            siblings = [c for c in node if c.tag == child.tag]
            position = node.index(siblings[0])
            for sibling in siblings:
                node.remove(sibling)
            items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
            for offset, item in enumerate(items):
                copy_ = copy.deepcopy(child)
                del copy_.attrib[_JR_TEMPLATE]
                _fill(copy_, item if isinstance(item, dict) else {})
                node.insert(position + offset, copy_)
        elif len([c for c in child if isinstance(c.tag, str)]):
            _fill(child, value if isinstance(value, dict) else {})
        elif value is not None and not isinstance(value, dict | list):
            child.text = "true" if value is True else "false" if value is False else str(value)
