"""Every submission in ../shared/data/submissions/, posted as ODK Collect posts it, file by
file, to a study that published its form: what is stored, and what each one is answered.

The list is explicit and a new file in that folder without a case here fails the last test.
Copies of the permissively licensed files are in tests/fixtures/submissions (AGPL/GPL ones
are read from ../shared/data and their cases skip, saying so, without it)."""

import pytest
from lxml import etree

from fieldwork.interviews.models import Attachment, Interview, InterviewVersion
from fieldwork.interviews.selectors import version_content, version_payload
from tests.openrosa.conftest import SHARED, data_file, publish

RESPONSE = "{http://openrosa.org/http/response}"


def lookup(answers, path: str):
    node = answers
    for part in path.split("/"):
        if "[" in part:
            name, index = part[:-1].split("[")
            node = node[name][int(index) - 1]
        else:
            node = node[part]
    return node


# (XLSForm, [(submission, status)], checks on the last stored version: {path: value})
CASES = [
    (
        "onadata/tutorial.xlsx",
        [("onadata_tutorial/tutorial_2012-06-27_11-27-53.xml", 201)],
        {"age": 23, "web_browsers": "firefox chrome safari"},
    ),
    (
        "onadata/tutorial.xlsx",
        [("onadata_tutorial/tutorial_unicode_submission.xml", 201)],
        {},
    ),
    # the same instanceID with another body: 409, kept
    (
        "onadata/tutorial.xlsx",
        [
            ("onadata_tutorial/tutorial_2012-06-27_11-27-53_w_uuid.xml", 201),
            ("onadata_tutorial/tutorial_2012-06-27_11-27-53_w_uuid_same_instanceID.xml", 409),
        ],
        {"age": 23},
    ),
    # a chain of edits by deprecatedID
    (
        "onadata/tutorial.xlsx",
        [
            ("onadata_tutorial/tutorial_2012-06-27_11-27-53_w_uuid.xml", 201),
            ("onadata_tutorial/tutorial_2012-06-27_11-27-53_w_uuid_edited.xml", 201),
            ("onadata_tutorial/tutorial_2012-06-27_11-27-53_w_uuid_edited_again.xml", 201),
        ],
        {},
    ),
    # its root names a form this study does not have
    (
        "onadata/tutorial.xlsx",
        [("onadata_tutorial/tutorial_2012-06-27_11-27-53_bad_id_string.xml", 404)],
        None,
    ),
    (
        "onadata/tutorial_w_repeats.xlsx",
        [("onadata_tutorial_w_repeats/tutorial_w_repeats.xml", 201)],
        {"children[2]/childs_age": 5},
    ),
    (
        "onadata/groups_in_repeats.xlsx",
        [("onadata_groups_in_repeats/groups_in_repeats_01.xml", 201)],
        {},
    ),
    (
        "onadata/groups_in_repeats.xlsx",
        [("onadata_groups_in_repeats/groups_in_repeats_02.xml", 201)],
        {},
    ),
    (
        "onadata/gps_in_repeats.xlsx",
        [("onadata_gps_in_repeats/gps_in_repeats_submission.xml", 201)],
        {},
    ),
    (
        "onadata/good_eats_multilang.xlsx",
        [("onadata_good_eats_multilang/1.xml", 201)],
        {},
    ),
    (
        "onadata/select_one_choices_test.xlsx",
        [("onadata_select_one_choices_test/select_one_choices_instance.xml", 201)],
        {},
    ),
    (
        "onadata/transportation.xlsx",
        [("onadata_transportation/transport_2011-07-25_19-05-36.xml", 201)],
        {},
    ),
    (
        "onadata/transportation.xlsx",
        [
            ("onadata_transportation/transport_2011-07-25_19-05-49.xml", 201),
            ("onadata_transportation/transport_2011-07-25_19-05-49_edited.xml", 201),
        ],
        {},
    ),
    (
        "onadata/transportation.xlsx",
        [("onadata_transportation/transport_2011-07-25_19-06-14.xml", 201)],
        {},
    ),
    (
        "onadata/transportation.xlsx",
        [("onadata_transportation/transport_no_response.xml", 201)],
        {},
    ),
    # answers for questions this version does not have: kept as sent, with the problems
    (
        "onadata/transportation.xlsx",
        [("onadata_transportation/transportation_empty_submission.xml", 201)],
        {},
    ),
    # made with another form ("transportation", not "transportation_2011_07_25")
    (
        "onadata/transportation.xlsx",
        [("onadata_transportation/transportation_w_nested_repeat_groups.xml", 404)],
        None,
    ),
    # its XLSForm is one pyxform rejects ("set form title"): no study can publish it
    (
        "onadata/tutorial.xlsx",
        [("onadata_xlsx_output/xlsx_output_01.xml", 404)],
        None,
    ),
    (
        "briefcase/all-data-types.md",
        [("briefcase_all_data_types/submission.xml", 201)],
        {"some_int": 123, "some_decimal": 123.456},
    ),
    # the same instanceID with empty tags: another body, 409
    (
        "briefcase/all-data-types.md",
        [
            ("briefcase_all_data_types/submission.xml", 201),
            ("briefcase_all_data_types/submission-empty-tags.xml", 409),
        ],
        {},
    ),
    (
        "briefcase/choice-lists-predicate-relative-repeat.md",
        [("briefcase_choice_lists_repeat/submission.xml", 201)],
        {"group[1]/item": "1"},
    ),
    (
        "briefcase/nested-repeats.md",
        [("briefcase_nested_repeats/submission.xml", 201)],
        {"g1[3]/g2[1]/g3[4]/t3": "some text 3.1.4"},
    ),
    # GPL-3.0 (ropensci/ruODK), read from ../shared/data
    (
        "ruodk/I8n_no_lang_choicefilter.xlsx",
        [("ruodk_I8n_no_lang_choicefilter/e0d018fd.xml", 201)],
        {},
    ),
    (
        "ruodk/I8n_label_choices.xls",
        [("ruodk_I8n_label_choices/4934351f.xml", 201)],
        {},
    ),
]


def _post(phone, relative: str):
    return phone.send(data_file("submissions", relative).read_bytes())


@pytest.mark.parametrize(
    ("form", "steps", "checks"), CASES, ids=[steps[-1][0] for _f, steps, _c in CASES]
)
def test_each_real_submission_posts_as_collect_sends_it(study_world, phone, form, steps, checks):
    publish(study_world, form)
    for relative, status in steps:
        response = _post(phone, relative)
        reply = etree.fromstring(response.content).findtext(f"{RESPONSE}message")
        assert response.status_code == status, (relative, reply)
        assert reply  # every answer says something the phone can show
    if checks is None:
        assert Interview.objects.count() == 0
        return
    interview = Interview.objects.get()
    version = interview.current_version
    last = [relative for relative, status in steps if status == 201][-1]
    assert version_payload(version) == data_file("submissions", last).read_bytes()
    assert version_content(version)[0]  # parsed, not just kept
    for path, value in checks.items():
        assert lookup(version_content(version)[0], path) == value, path


def test_an_encrypted_submission_is_stored_as_received_and_awaits_decryption(study_world, phone):
    publish(study_world, "onadata/tutorial_encrypted.xlsx")
    folder = "onadata_tutorial_encrypted"
    envelope = data_file("submissions", f"{folder}/submission.xml").read_bytes()
    parts = [
        (name, data_file("submissions", f"{folder}/{name}").read_bytes())
        for name in ("1483528430996.jpg.enc", "1483528445767.jpg.enc", "submission.xml.enc")
    ]
    # Collect splits it when the files are larger than the server takes: two POSTs here
    first = phone.send(envelope, parts[0])
    assert first.status_code == 201
    assert "2 files are still expected" in etree.fromstring(first.content).findtext(
        f"{RESPONSE}message"
    )
    assert phone.send(envelope, *parts[1:]).status_code == 201
    version = InterviewVersion.objects.get()
    assert version.payload_format == InterviewVersion.Format.OPENROSA_ENCRYPTED
    assert version_payload(version) == envelope
    assert version.decrypted_at is None and version_content(version)[0] == {}
    assert version.interview.source is None
    stored = {a.name: a.size for a in Attachment.objects.filter(version=version)}
    assert stored == {name: len(content) for name, content in parts}


def test_every_shared_submission_has_a_case():
    if not (SHARED / "submissions").exists():
        pytest.skip("../shared/data is absent")
    covered = {relative for _f, steps, _c in CASES for relative, _s in steps}
    covered |= {
        "onadata_tutorial_encrypted/submission.xml",  # the envelope test above
        "briefcase_encrypted_form/submission.xml",  # tests/openrosa/test_keys.py decrypts it
        # kobotoolbox/kpi (AGPL): its form (transportation_with_attachment) is not public
        # data here; tests/openrosa/test_endpoints.py covers a split submission with a photo
        "kpi_transportation_with_attachment/transport_with_attachment.xml",
        "kpi_transportation_with_attachment/transport_with_attachment_edit.xml",
    }
    instances = {
        str(path.relative_to(SHARED / "submissions"))
        for path in (SHARED / "submissions").rglob("*.xml")
        # the Briefcase folders hold their XForm beside the submission
        if path.name == "submission.xml" or not path.parent.name.startswith("briefcase_")
        if b"<h:html" not in path.read_bytes()[:400]
    }
    assert sorted(instances - covered) == []
