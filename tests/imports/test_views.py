"""The import pages, driven through the client as a field researcher would: upload, read the
preview's errors, choose what to import, and who sees and imports what."""

import re
from html import unescape

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fieldwork.imports import services, views
from fieldwork.imports.models import ImportBatch
from fieldwork.interviews.models import Interview
from fieldwork.interviews.selectors import version_content
from tests.imports.conftest import FORMS, export_path


def _upload(client, world, version, *names, files=None):
    files = files or [
        SimpleUploadedFile(name, export_path(name).read_bytes(), content_type="text/csv")
        for name in names
    ]
    return client.post(
        reverse("imports:import-create", args=[world.study.slug]),
        {"instrument_version": version.pk, "files": files},
    )


def _detail(world, batch) -> str:
    return f"{reverse('imports:import-detail', args=[world.study.slug])}?id={batch.public_id}"


def _confirm(client, world, batch, mode):
    return client.post(
        reverse("imports:import-confirm", args=[world.study.slug]),
        {"batch": str(batch.public_id), "mode": mode},
        follow=True,
    )


def test_upload_preview_then_import_the_valid_rows(client, world):
    version = world.publish_file(FORMS / "tutorial.md")
    bad = export_path("onadata_good.csv").read_bytes().replace(b"Name_2,20,", b"Name_2,twenty,")
    client.force_login(world.researcher)
    response = _upload(
        client, world, version, files=[SimpleUploadedFile("good.csv", bad, "text/csv")]
    )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _detail(world, batch)
    assert not Interview.objects.exists()

    page = client.get(_detail(world, batch)).content.decode()
    assert "1 row with errors" in page
    assert (
        '<span class="code">age</span>: “How old are you?” must be a whole number; '
        "got “twenty”." in page
    )

    response = _confirm(client, world, batch, "all_or_nothing")
    assert "Nothing was imported: 1 row has an error" in response.content.decode()
    assert not Interview.objects.exists()

    response = _confirm(client, world, batch, "valid_rows")
    text = response.content.decode()
    assert "8 interviews imported." in text
    assert "1 row with errors was not imported (listed below)." in text
    assert Interview.objects.filter(study=world.study, researcher=world.researcher).count() == 8
    assert 'id="confirm"' not in text  # imported: nothing more to confirm


def test_importing_the_same_export_again_says_so(client, world):
    version = world.publish_file(FORMS / "tutorial.md")
    client.force_login(world.researcher)
    _upload(client, world, version, "onadata_good.csv")
    _confirm(client, world, ImportBatch.objects.get(), "all_or_nothing")
    assert Interview.objects.count() == 9

    response = _upload(client, world, version, "onadata_good.csv")
    page = client.get(response["Location"]).content.decode()
    assert "Every row of this export is already imported, as it is" in page
    again = ImportBatch.objects.filter(state=ImportBatch.State.PREVIEWED).get()
    response = _confirm(client, world, again, "all_or_nothing")
    assert "Nothing new: all 9 rows were already imported." in response.content.decode()
    assert Interview.objects.count() == 9


def test_an_odk_main_file_and_its_repeat_file_together(client, world):
    version = world.publish_file(FORMS / "choice-lists-predicate-relative-repeat.md")
    client.force_login(world.researcher)
    response = _upload(
        client,
        world,
        version,
        "briefcase_choice-lists-predicate-relative-repeat.csv",
        "briefcase_choice-lists-predicate-relative-repeat-group.csv",
    )
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert batch.file_format == ImportBatch.Format.ZIP
    _confirm(client, world, batch, "all_or_nothing")
    [interview] = Interview.objects.all()
    assert version_content(interview.current_version)[0]["group"] == [
        {"category": "1", "item": "1"}
    ]


def test_a_refused_file_is_said_on_the_form(client, world):
    version = world.publish_file(FORMS / "tutorial.md")
    client.force_login(world.researcher)
    response = _upload(
        client,
        world,
        version,
        files=[SimpleUploadedFile("export.csv", "é".encode("latin-1"), "text/csv")],
    )
    assert response.status_code == 200
    assert "is not UTF-8 text" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_only_published_versions_are_offered(client, world):
    client.force_login(world.researcher)
    page = client.get(reverse("imports:import-create", args=[world.study.slug])).content.decode()
    assert "No questionnaire of this study is published yet" in page
    version = world.publish_file(FORMS / "tutorial.md")
    page = client.get(reverse("imports:import-create", args=[world.study.slug])).content.decode()
    assert f'<option value="{version.pk}">Tutorial, version 201811131402 (Published)' in page


def test_who_sees_and_imports_a_batch(client, world):
    version = world.publish_file(FORMS / "tutorial.md")
    client.force_login(world.researcher)
    _upload(client, world, version, "onadata_good.csv")
    batch = ImportBatch.objects.get()
    list_url = reverse("imports:import-list", args=[world.study.slug])

    # another field researcher neither lists nor opens it: the rows are not hers
    client.force_login(world.other_researcher)
    assert "onadata_good.csv" not in client.get(list_url).content.decode()
    assert client.get(_detail(world, batch)).status_code == 404
    assert _confirm(client, world, batch, "valid_rows").status_code == 404

    # a supervisor sees it, but the interviews would be hers: only the uploader imports
    client.force_login(world.supervisor)
    assert "onadata_good.csv" in client.get(list_url).content.decode()
    page = client.get(_detail(world, batch)).content.decode()
    assert "Only the person who uploaded this export can import it." in page
    response = _confirm(client, world, batch, "valid_rows")
    assert "Only the person who uploaded this export can import it" in response.content.decode()
    assert not Interview.objects.exists()

    # coders do not import, and see no import
    client.force_login(world.coder)
    assert client.get(list_url).status_code == 403
    assert client.get(_detail(world, batch)).status_code == 403


def test_a_long_preview_comes_in_pages_errors_first(client, world):
    version = world.publish_file(FORMS / "tutorial.md")
    client.force_login(world.researcher)
    response = _upload(client, world, version, "onadata_large_csv_upload.csv")
    page = client.get(response["Location"]).content.decode()
    assert "699 rows with errors" in page
    assert "Page 1 of 7" in page
    assert page.count('class="badge danger"') == 100
    everything = client.get(response["Location"] + "&show=all&page=8").content.decode()
    assert "800 rows" in everything
    assert "Page 8 of 8" in everything


def test_a_file_too_large_says_how_large(client, world, monkeypatch):
    """The page reads a file only up to one byte past the limit, and tells its real size."""
    monkeypatch.setattr(services, "MAX_IMPORT_BYTES", 1024 * 1024)
    monkeypatch.setattr(views, "MAX_IMPORT_BYTES", 1024 * 1024)
    version = world.publish_file(FORMS / "tutorial.md")
    client.force_login(world.researcher)
    big = export_path("onadata_good.csv").read_bytes() + b"\n" * (1536 * 1024)
    response = _upload(client, world, version, files=[SimpleUploadedFile("big.csv", big)])
    assert response.status_code == 200
    assert "“big.csv” is 1.6 MB; Fieldwork imports files of at most 1 MB." in unescape(
        response.content.decode()
    )
    assert not ImportBatch.objects.exists()


def test_an_export_of_another_form_is_said_at_the_top(client, world):
    version = world.publish_file(FORMS / "tutorial.md")
    client.force_login(world.researcher)
    response = _upload(client, world, version, "onadata_transportation.csv")
    page = unescape(client.get(response["Location"]).content.decode())
    warning = re.search(
        r'<p class="alert alert-warning" id="other-form"[^>]*>(.*?)</p>', page, re.S
    )
    assert warning, "no warning that the export is of another form"
    text = warning.group(1)
    assert "This export seems to come from another form:" in text
    assert "20 of its 20 columns match no question of “Tutorial”, version 201811131402" in text
    assert "transport/available_transportation_types_to_referral_facility" in text
    assert page.index('id="other-form"') < page.index('id="rows"')

    # an export of the chosen form has no such warning
    response = _upload(client, world, version, "onadata_good.csv")
    assert 'id="other-form"' not in client.get(response["Location"]).content.decode()


def test_a_row_in_conflict_shows_what_differs_to_who_may_see_the_interview(client, world):
    version = world.publish_file(FORMS / "tutorial.md")
    good = export_path("onadata_good.csv").read_bytes()
    changed = good.replace(b"Name_2,20,", b"Name_2,21,")
    client.force_login(world.other_researcher)
    _upload(client, world, version, "onadata_good.csv")
    _confirm(client, world, ImportBatch.objects.get(), "all_or_nothing")
    stored = Interview.objects.get(client_uuid="e92dad0d-ee3f-41eb-82d0-4cc0e7f12cb9")
    stored_url = reverse("interviews:interview-detail", args=[world.study.slug, stored.client_uuid])

    # another field researcher uploads the same interviews, one of them changed
    client.force_login(world.researcher)
    response = _upload(client, world, version, files=[SimpleUploadedFile("good.csv", changed)])
    batch = ImportBatch.objects.get(uploaded_by=world.researcher)
    assert batch.conflict_count == 1
    page = client.get(_detail(world, batch)).content.decode()
    assert "In conflict" in page
    # the stored interview is not hers: neither its answers nor a link to it
    assert stored_url not in page
    assert "Answers that differ from the stored interview" not in page

    # a supervisor sees which answers differ, and opens the stored interview
    client.force_login(world.supervisor)
    page = client.get(_detail(world, batch)).content.decode()
    assert "Answers that differ from the stored interview" in page
    assert '<tr><td class="code">age</td><td>20</td><td>21</td></tr>' in page
    assert f'<a href="{stored_url}">Open the stored interview</a>' in page
    assert client.get(stored_url).status_code == 200

    # the researcher who recorded it, uploading the changed file, sees it too
    client.force_login(world.other_researcher)
    response = _upload(client, world, version, files=[SimpleUploadedFile("good.csv", changed)])
    page = client.get(response["Location"]).content.decode()
    assert '<tr><td class="code">age</td><td>20</td><td>21</td></tr>' in page
    assert f'<a href="{stored_url}">Open the stored interview</a>' in page
