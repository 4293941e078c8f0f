"""The web entry pages, as a field researcher meets them: which questionnaires she can fill,
the fill page with its form and where it sends, and a plain word when the form component
has not been built on the server."""

import json
import re

import pytest
from django.urls import reverse

from fieldwork.accounts.models import Role
from fieldwork.instruments.models import InstrumentVersion
from fieldwork.instruments.services import instrument_upload, instrument_version_publish
from tests.conftest import CHECKPOINT_FORM, XLSFORMS

pytestmark = pytest.mark.django_db

FR, CODER, ADMIN = Role.FIELD_RESEARCHER, Role.CODER, Role.STUDY_ADMIN

#: A questionnaire about a registered source: it names her by a source_code question.
FOLLOW_UP = """\
| survey |
| | type | name | label |
| | text | source_code | Source code |
| | integer | visits | Visits since the last interview |
| settings |
| | form_title | form_id | version |
| | Follow-up | follow_up | 1 |
"""


@pytest.fixture
def built(settings, tmp_path):
    """A static folder holding a built bundle, as `make webforms` leaves it."""
    static = tmp_path / "static"
    (static / "webforms").mkdir(parents=True)
    (static / "webforms" / "webforms.js").write_text("// ODK Web Forms, built\n")
    settings.STATICFILES_DIRS = [static]
    settings.STATIC_ROOT = tmp_path / "collected"


@pytest.fixture
def not_built(settings, tmp_path):
    """A server where nobody ran `make webforms` (no Node.js): no bundle anywhere."""
    static = tmp_path / "static"
    static.mkdir()
    settings.STATICFILES_DIRS = [static]
    settings.STATIC_ROOT = tmp_path / "collected"


def as_role(client, study_world, role):
    client.force_login(study_world.member(role))
    return client


def publish_follow_up(study_world) -> InstrumentVersion:
    version = instrument_upload(
        study=study_world.study,
        by=study_world.member(ADMIN),
        content=FOLLOW_UP.encode(),
        filename="follow_up.md",
        validate=False,
    )
    return instrument_version_publish(version=version, by=study_world.member(ADMIN))


def embedded(page: str, element_id: str):
    """What the page hands to the browser in a json_script element."""
    match = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>', page, re.S
    )
    assert match, f"no #{element_id} in the page"
    return json.loads(match.group(1))


def test_the_list_offers_published_questionnaires_only(client, study_world, built):
    study_world.published_version  # noqa: B018 -- the checkpoint form, published
    follow_up = publish_follow_up(study_world)
    draft = instrument_upload(
        study=study_world.study,
        by=study_world.member(ADMIN),
        content=FOLLOW_UP.replace("| follow_up | 1 |", "| unpublished | 1 |").encode(),
        filename="unpublished.md",
        validate=False,
    )

    response = as_role(client, study_world, FR).get(study_world.url("webforms:form-list"))

    page = response.content.decode()
    assert response.status_code == 200
    checkpoint_url = reverse("webforms:form-fill", args=[study_world.study.slug, "checkpoint"])
    follow_up_url = reverse("webforms:form-fill", args=[study_world.study.slug, "follow_up"])
    assert f'href="{checkpoint_url}"' in page
    assert f'href="{follow_up_url}"' in page
    assert draft.instrument.form_id not in page
    # Which questionnaires will ask for a source's code (and so for her consent).
    row = re.search(r'<tr data-form-id="follow_up">.*?</tr>', page, re.S).group(0)
    assert "<td>Yes</td>" in row
    assert follow_up.version in row
    assert 'id="webform-not-built"' not in page


def test_the_list_says_when_nothing_is_published(client, study_world, built):
    response = as_role(client, study_world, FR).get(study_world.url("webforms:form-list"))

    assert "No questionnaire is published in this study yet." in response.content.decode()


def test_the_fill_page_carries_the_published_form_and_where_to_send_it(client, study_world, built):
    version = study_world.published_version
    client = as_role(client, study_world, FR)

    response = client.get(study_world.url("webforms:form-fill"))

    page = response.content.decode()
    assert response.status_code == 200
    assert embedded(page, "webform-xml") == version.xform_xml
    config = embedded(page, "webform-config")
    # The path phones use: the interview is checked and stored by the same code.
    assert config["submissionUrl"] == f"/openrosa/{study_world.study.slug}/submission"
    assert config["mediaUrl"].replace(config["mediaPlaceholder"], "logo.png") == (
        f"/openrosa/{study_world.study.slug}/forms/checkpoint/media/logo.png"
    )
    assert config["csrfToken"]
    assert config["messages"]["offline"].endswith("press “Send” again.")
    assert '<script type="module" src="/static/webforms/webforms.js"></script>' in page
    assert 'id="webform-not-built"' not in page


def test_the_fill_page_follows_the_newly_published_version(client, study_world, built):
    first = study_world.published_version
    text = CHECKPOINT_FORM.read_text().replace("| 2025010101 |", "| 2025020101 |")
    text = text.replace("Respondent's name", "Name of the respondent")
    second = instrument_upload(
        study=study_world.study,
        by=study_world.member(ADMIN),
        content=text.encode(),
        filename="checkpoint.md",
        validate=False,
    )
    instrument_version_publish(version=second, by=study_world.member(ADMIN))
    second.refresh_from_db()

    response = as_role(client, study_world, FR).get(study_world.url("webforms:form-fill"))

    page = response.content.decode()
    assert embedded(page, "webform-xml") == second.xform_xml
    assert embedded(page, "webform-xml") != first.xform_xml
    assert "version 2025020101" in page


def test_a_form_asking_for_a_source_says_she_must_have_consented(client, study_world, built):
    publish_follow_up(study_world)

    response = as_role(client, study_world, FR).get(
        reverse("webforms:form-fill", args=[study_world.study.slug, "follow_up"])
    )

    assert "who consented to take part" in response.content.decode()


def test_without_the_built_bundle_the_pages_say_how_to_build_it(client, study_world, not_built):
    client = as_role(client, study_world, FR)

    fill = client.get(study_world.url("webforms:form-fill"))
    listing = client.get(study_world.url("webforms:form-list"))

    page = fill.content.decode()
    assert fill.status_code == 200
    assert 'id="webform-not-built"' in page
    assert "<code>make webforms</code>" in page
    assert "apt-get install nodejs npm" in page
    # No script pointing at a file that is not there, and no form half-shown.
    assert "webforms/webforms.js" not in page
    assert 'id="webform"' not in page
    assert 'id="webform-not-built"' in listing.content.decode()


@pytest.mark.parametrize(
    "case", ["unknown", "draft", "other study"], ids=["unknown", "draft", "other-study"]
)
def test_only_a_published_form_of_this_study_can_be_filled(client, study_world, built, case):
    if case == "unknown":
        url = reverse("webforms:form-fill", args=[study_world.study.slug, "no_such_form"])
    elif case == "draft":  # the world's questionnaire, never published
        url = reverse("webforms:form-fill", args=[study_world.study.slug, "checkpoint"])
    else:  # published in the other study, asked for under this one
        version = instrument_upload(
            study=study_world.other_study,
            by=study_world.outsider,
            content=FOLLOW_UP.encode(),
            filename="follow_up.md",
            validate=False,
        )
        instrument_version_publish(version=version, by=study_world.outsider)
        url = reverse("webforms:form-fill", args=[study_world.study.slug, "follow_up"])

    response = as_role(client, study_world, FR).get(url)

    assert response.status_code == 404


def test_an_encrypted_form_is_left_to_phones(client, study_world, built):
    # onadata's tutorial with a public_key setting: phones encrypt it, browsers cannot.
    path = XLSFORMS / "onadata" / "tutorial_encrypted.xlsx"
    admin = study_world.member(ADMIN)
    version = instrument_upload(
        study=study_world.study,
        by=admin,
        content=path.read_bytes(),
        filename=path.name,
        validate=False,
    )
    version = instrument_version_publish(version=version, by=admin)
    fill_url = reverse(
        "webforms:form-fill", args=[study_world.study.slug, version.instrument.form_id]
    )
    client = as_role(client, study_world, FR)

    fill = client.get(fill_url)
    listing = client.get(study_world.url("webforms:form-list"))

    page = fill.content.decode()
    assert fill.status_code == 200
    assert 'id="webform-encrypted"' in page
    assert "webform-xml" not in page  # the browser would send in clear what phones seal
    assert "webforms/webforms.js" not in page
    assert "(encrypted: phones only)" in listing.content.decode()
    assert f'href="{fill_url}"' not in listing.content.decode()


def test_researchers_find_web_entry_from_the_study_and_the_instruments(client, study_world):
    for role, sees in [(FR, True), (ADMIN, True), (CODER, False)]:
        client = as_role(client, study_world, role)
        home = client.get(study_world.url("studies:study-home")).content.decode()
        instruments = client.get(study_world.url("instruments:instrument-list")).content.decode()
        target = f'href="{study_world.url("webforms:form-list")}"'
        assert (target in home) == sees, role
        assert (target in instruments) == sees, role


# --- Correcting an interview -------------------------------------------------------------------


def test_the_correct_page_opens_the_interview_s_answers_for_its_researcher(
    client, study_world, built
):
    """An interview recorded through the API is corrected in the browser too: its answers
    are written into the form's instance, under its own instance ID."""
    from lxml import etree

    interview = study_world.interview  # recorded through the API: answers {"age": 34}
    client.force_login(study_world.member(FR))
    page = client.get(study_world.url("webforms:form-edit"))
    assert page.status_code == 200
    assert "default-src 'self'" in page["Content-Security-Policy"]
    config = json.loads(
        re.search(
            r'<script id="webform-config" type="application/json">(.*?)</script>',
            page.content.decode(),
            re.S,
        ).group(1)
    )
    edit = config["edit"]
    assert edit["returnUrl"].endswith(f"/interviews/{interview.client_uuid}/")
    instance = client.get(edit["instanceUrl"])
    assert instance.status_code == 200 and instance["Cache-Control"] == "no-store"
    root = etree.fromstring(instance.content)
    ns = {"x": "http://www.w3.org/2002/xforms"}
    assert root.get("id") == "checkpoint"
    assert root.findtext("x:age", namespaces=ns) == "34"
    assert root.findtext("x:meta/x:instanceID", namespaces=ns) == f"uuid:{interview.client_uuid}"


def test_nobody_else_corrects_an_interview(client, study_world, built):
    url = study_world.url("webforms:form-edit")
    client.force_login(study_world.member(CODER))
    assert client.get(url).status_code == 403  # coders never record
    from fieldwork.accounts.services import member_add

    other = member_add(
        study=study_world.study,
        by=study_world.member(ADMIN),
        username="another-researcher",
        role=FR,
        password="Sangha-Bankass-2026-fieldwork",
    ).user
    client.force_login(other)
    assert client.get(url).status_code == 404  # another researcher's interview
    assert client.get(study_world.url("webforms:form-edit-instance")).status_code == 404
