"""The transcript pages as their users meet them: a field researcher types, autosaves,
uploads and marks final; a coder reads; an analyst and another researcher are kept out; two
people saving at once see both versions rather than losing one."""

import datetime as dt
import io
import json
import re
from unittest import mock

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from fieldwork.accounts.models import Role
from fieldwork.transcripts.documents import MAX_FILE_BYTES
from fieldwork.transcripts.models import Transcript, TranscriptState
from fieldwork.transcripts.selectors import transcript_content
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

FR, CODER, SUP, ANALYST = Role.FIELD_RESEARCHER, Role.CODER, Role.SUPERVISOR, Role.ANALYST
TEXT = "Q : Que s’est-il passé au poste de Boni ?\nR : Ils ont pris l’argent et la moto."


def _url(world, name="transcript-edit", **query):
    url = reverse(f"transcripts:{name}", args=[world.study.slug, world.interview.client_uuid])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _as(client, world, role):
    client.force_login(world.member(role))
    return client


def _post(client, world, *, revision=0, session="tab-1", action="save", htmx=False, **fields):
    data = {
        "revision": revision,
        "session": session,
        "language": "fr",
        "text": "",
        "notes": "",
        "translation_language": "",
        "translation": "",
        "action": action,
        **fields,
    }
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(_url(world), data, headers=headers)


def _stored(world) -> tuple[Transcript, str]:
    transcript = Transcript.objects.get(interview=world.interview)
    return transcript, transcript_content(transcript).text


def _textarea(html: str, name: str) -> str:
    match = re.search(rf'<textarea name="{name}"[^>]*>\n?(.*?)</textarea>', html, re.S)
    assert match, f"no textarea {name}"
    return match.group(1)


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden input {name}"
    return match.group(1)


def _docx(*paragraphs: str) -> SimpleUploadedFile:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return SimpleUploadedFile(
        "entretien.docx",
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )


# --- Typing and saving -------------------------------------------------------------------------


def test_a_field_researcher_types_a_draft_and_finds_it_again(client, study_world):
    _as(client, study_world, FR)
    page = client.get(_url(study_world)).content.decode()
    assert _hidden(page, "revision") == "0"
    assert len(_hidden(page, "session")) == 32  # a fresh editing session per page

    response = _post(client, study_world, text=TEXT, notes="Bruit de moto au début.")
    assert response.status_code == 302

    page = client.get(response["Location"]).content.decode()
    assert ", the draft was saved." in page
    assert _textarea(page, "text") == TEXT
    assert _hidden(page, "revision") == "1"
    transcript, text = _stored(study_world)
    assert (transcript.state, text) == (TranscriptState.DRAFT, TEXT)

    detail = client.get(_url(study_world, "transcript-detail")).content.decode()
    assert "Ils ont pris l’argent et la moto." in detail
    assert "Bruit de moto au début." in detail
    assert "This transcript is a draft" in detail


def test_a_language_not_in_the_list_is_named_in_free_text(client, study_world):
    _as(client, study_world, FR)
    page = _post(client, study_world, text=TEXT, language="other", language_other="")
    assert page.status_code == 200
    assert "Name the language." in page.content.decode()
    assert not Transcript.objects.exists()

    _post(client, study_world, text=TEXT, language="other", language_other="Dogon (Tommo So)")
    assert Transcript.objects.get().language == "Dogon (Tommo So)"
    page = client.get(_url(study_world)).content.decode()
    assert '<option value="other" selected>' in page
    assert 'value="Dogon (Tommo So)"' in page


def test_autosave_answers_with_the_status_line_only(client, study_world):
    _as(client, study_world, FR)
    response = _post(client, study_world, action="autosave", htmx=True, text=TEXT)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<p id="save-status"') and "<html" not in html
    assert 'data-state="saved"' in html and "Saved at" in html
    trigger = json.loads(response["HX-Trigger"])
    assert trigger["transcript-saved"] == {"revision": 1, "session": "tab-1"}

    # The next autosave of the same page, still based on revision 0 (its answer was lost).
    response = _post(client, study_world, action="autosave", htmx=True, text=TEXT + " Suite.")
    assert json.loads(response["HX-Trigger"])["transcript-saved"]["revision"] == 2
    assert _stored(study_world)[1] == TEXT + " Suite."


def test_autosave_refused_for_a_conflict_says_so_in_the_status_line(client, study_world):
    _as(client, study_world, SUP)
    _post(client, study_world, text="Version du superviseur", session="sup-tab")
    _as(client, study_world, FR)
    response = _post(client, study_world, action="autosave", htmx=True, text=TEXT)

    html = response.content.decode()
    assert 'data-state="conflict"' in html
    assert "Not saved: supervisor-user saved this transcript meanwhile" in html
    assert json.loads(response["HX-Trigger"])["transcript-not-saved"] == {"conflict": True}
    assert _stored(study_world)[1] == "Version du superviseur"


def test_autosave_refused_for_a_save_from_another_tab_says_it_was_yours(client, study_world):
    _as(client, study_world, FR)
    _post(client, study_world, text="Version de l’autre onglet", session="tab-1")
    response = _post(client, study_world, action="autosave", htmx=True, text=TEXT, session="tab-2")

    html = response.content.decode()
    assert 'data-state="conflict"' in html
    assert "Not saved: you saved this transcript in another tab or window meanwhile" in html
    assert "someone else" not in html

    # saving that tab's text on purpose shows both versions, and says whose the other is
    html = _post(client, study_world, text=TEXT, session="tab-2").content.decode()
    assert "You saved this transcript in another tab or window on " in html
    assert _stored(study_world)[1] == "Version de l’autre onglet"


def test_saving_says_when_in_sentences_that_end_well(client, study_world):
    """Django writes times "2:58 a.m.": no sentence ends right after one (no "a.m.."), and a
    date and a time are said apart ("on 11/25/2026 at 2:58 a.m.")."""
    _as(client, study_world, FR)
    moment = dt.datetime(2026, 11, 25, 2, 58, tzinfo=dt.UTC)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        response = _post(client, study_world, text=TEXT)
        page = client.get(response["Location"]).content.decode()
    assert "At 2:58 a.m., the draft was saved." in page
    assert "Revision 1, saved on 11/25/2026 at 2:58 a.m. by field_researcher-user." in page
    assert "a.m.." not in page

    _post(client, study_world, action="final", revision=1, text=TEXT)
    _post(client, study_world, revision=2, text=TEXT + " Corrigé.")
    old = client.get(_url(study_world, "transcript-detail", revision=2)).content.decode()
    assert "You are reading revision 2, saved on " in old
    assert "by field_researcher-user." in old


def test_the_file_size_limit_is_said_in_one_unit(client, study_world):
    """The help text and the refusal of a file too large both write the limit as Django
    writes sizes (5.0 MB; 5,0 Mio in French)."""
    _as(client, study_world, FR)
    big = SimpleUploadedFile("enorme.txt", b"a" * (MAX_FILE_BYTES + 1))
    page = _text(client.get(_url(study_world)))
    assert "(LibreOffice), at most 5.0 MB." in page
    assert "is larger than 5.0 MB" in _text(_post(client, study_world, upload=big))

    client.cookies["django_language"] = "fr"
    with translation.override("fr"):
        page = _text(client.get(_url(study_world), HTTP_ACCEPT_LANGUAGE="fr"))
        big.seek(0)
        refused = _text(_post(client, study_world, upload=big))
    help_text = re.search(r"\.txt, \.docx [^<]*", page).group(0)
    assert "5,0 Mio" in help_text
    assert "5 Mo" not in help_text
    assert "dépasse 5,0 Mio" in refused


def _text(response) -> str:
    return response.content.decode().replace("\xa0", " ")


# --- Files -------------------------------------------------------------------------------------


def test_an_uploaded_file_replaces_or_is_added_after_the_text(client, study_world):
    _as(client, study_world, FR)
    response = _post(
        client,
        study_world,
        text="brouillon",
        upload=_docx("Première réponse, à Sévaré.", "Deuxième réponse."),
        upload_mode="replace",
    )
    assert response.status_code == 302
    assert _stored(study_world)[1] == "Première réponse, à Sévaré.\nDeuxième réponse."
    page = client.get(response["Location"]).content.decode()
    assert "The file&#x27;s text (Word document) replaced the transcript." in page

    notepad = SimpleUploadedFile("suite.txt", "Troisième réponse : l’œuvre.".encode("cp1252"))
    _post(
        client,
        study_world,
        revision=1,
        text="Première réponse, à Sévaré.\nDeuxième réponse.",
        upload=notepad,
        upload_mode="append",
    )
    assert _stored(study_world)[1] == (
        "Première réponse, à Sévaré.\nDeuxième réponse.\n\nTroisième réponse : l’œuvre."
    )


def test_an_unreadable_file_leaves_the_typed_text_on_the_page(client, study_world):
    _as(client, study_world, FR)
    scan = SimpleUploadedFile("scan.pdf", b"%PDF-1.7\n", content_type="application/pdf")
    response = _post(client, study_world, text=TEXT, upload=scan)

    assert response.status_code == 200
    html = response.content.decode()
    assert "“scan.pdf” is a PDF file, which cannot be read." in html
    assert "Ils ont pris l’argent et la moto." in _textarea(html, "text")
    assert 'data-saved="false"' in html  # the page tells the browser this text is not saved
    assert not Transcript.objects.exists()


def test_a_file_over_the_limit_is_not_read(client, study_world):
    _as(client, study_world, FR)
    big = SimpleUploadedFile("enorme.txt", b"a" * (MAX_FILE_BYTES + 1))
    response = _post(client, study_world, text=TEXT, upload=big)

    assert response.status_code == 200
    assert "“enorme.txt” is larger than 5.0" in response.content.decode()
    assert not Transcript.objects.exists()


def test_an_uploaded_transcript_is_never_spooled_to_disk(client, study_world, settings, tmp_path):
    """Django writes uploads to a temporary file beyond 2.5 MB; here it would have to, and
    its temporary folder does not exist: only an upload kept in memory succeeds."""
    settings.FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.TemporaryFileUploadHandler"]
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "missing")
    _as(client, study_world, FR)
    response = _post(client, study_world, upload=_docx("Texte sensible."))
    assert response.status_code == 302
    assert _stored(study_world)[1] == "Texte sensible."
    assert not (tmp_path / "missing").exists()


# --- Final ------------------------------------------------------------------------------------


def test_marking_final(client, study_world):
    _as(client, study_world, FR)
    refused = _post(client, study_world, action="final", text=TEXT, language="")
    html = refused.content.decode()
    assert "Say in which language the transcript is written" in html
    assert "Ils ont pris l’argent et la moto." in _textarea(html, "text")
    assert not Transcript.objects.exists()

    response = _post(client, study_world, action="final", text=TEXT)
    page = client.get(response["Location"]).content.decode()
    assert "The transcript is marked as final." in page
    assert 'value="final"' not in page  # no "Mark as final" button any more
    assert "Save the corrections" in page
    assert 'data-autosave="off"' in page  # corrections are saved on purpose, not as you type
    assert Transcript.objects.get().state == TranscriptState.FINAL

    assert _post(client, study_world, revision=1, text=TEXT + " Corrigé.").status_code == 302
    detail = client.get(_url(study_world, "transcript-detail")).content.decode()
    assert "This transcript is a draft" not in detail
    assert "Revision 2," in detail and "Revision 1," in detail  # kept revisions listed
    old = client.get(_url(study_world, "transcript-detail", revision=1)).content.decode()
    assert "You are reading revision 1" in old
    assert "Corrigé." not in old
    assert client.get(_url(study_world, "transcript-detail", revision=99)).status_code == 404


# --- Two people at once -----------------------------------------------------------------------


def test_a_save_over_someone_elses_shows_both_versions_and_loses_neither(client, study_world):
    _as(client, study_world, FR)
    client.get(_url(study_world))  # she opens the page at revision 0 ...
    supervisor = client.__class__()
    supervisor.force_login(study_world.member(SUP))
    _post(supervisor, study_world, text="Version du superviseur", session="sup-tab")  # ... he saves

    response = _post(client, study_world, text=TEXT, session="fr-tab")

    assert response.status_code == 200
    html = response.content.decode()
    assert "saved this transcript" in html and "Your text is shown below" in html
    assert "Ils ont pris l’argent et la moto." in _textarea(html, "text")
    saved_version = html.split('id="saved-version"', 1)[1].split("</details>", 1)[0]
    assert "Version du superviseur" in saved_version
    assert _hidden(html, "revision") == "1"  # saving again is now a conscious choice
    assert _stored(study_world)[1] == "Version du superviseur"

    _post(client, study_world, revision=1, text=TEXT, session="fr-tab")
    assert _stored(study_world)[1] == TEXT


# --- Who -------------------------------------------------------------------------------------


def test_a_coder_reads_but_does_not_edit(client, study_world):
    _as(client, study_world, FR)
    _post(
        client,
        study_world,
        text=TEXT,
        translation="They took the money.",
        translation_language="en",
    )
    _as(client, study_world, CODER)
    draft = client.get(_url(study_world, "transcript-detail")).content.decode()
    assert "Ils ont pris" not in draft and "No final transcript yet" in draft

    _as(client, study_world, FR)
    _post(
        client,
        study_world,
        action="final",
        revision=1,
        text=TEXT,
        translation="They took the money.",
        translation_language="en",
    )
    _as(client, study_world, CODER)
    detail = client.get(_url(study_world, "transcript-detail"))
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "Ils ont pris l’argent et la moto." in html and "They took the money." in html
    assert _url(study_world) not in html  # no edit link
    assert client.get(_url(study_world)).status_code == 403
    assert _post(client, study_world, text="Coder").status_code == 403
    assert _stored(study_world)[1] == TEXT


def test_an_analyst_is_refused(client, study_world):
    _as(client, study_world, ANALYST)
    assert client.get(_url(study_world, "transcript-detail")).status_code == 403
    assert client.get(_url(study_world)).status_code == 403


def test_another_field_researcher_does_not_learn_the_interview_exists(client, study_world):
    client.force_login(MembershipFactory(study=study_world.study, role=FR).user)
    assert client.get(_url(study_world, "transcript-detail")).status_code == 404
    assert client.get(_url(study_world)).status_code == 404
    assert _post(client, study_world, text="Intrus").status_code == 404
    assert not Transcript.objects.exists()


def test_the_interview_page_shows_the_transcript_card(client, study_world):
    interview_url = reverse(
        "interviews:interview-detail",
        args=[study_world.study.slug, study_world.interview.client_uuid],
    )
    _as(client, study_world, FR)
    html = client.get(interview_url).content.decode()
    assert "No transcript yet." in html and _url(study_world) in html

    _post(client, study_world, text=TEXT)
    html = client.get(interview_url).content.decode()
    card = html.split('id="transcript-card"', 1)[1].split("</section>", 1)[0]
    assert "Draft" in card and "revision 1" in card
    assert "Ils ont pris" not in card  # the card never shows the text

    _as(client, study_world, CODER)
    card = client.get(interview_url).content.decode().split('id="transcript-card"', 1)[1]
    assert "No final transcript yet" in card.split("</section>", 1)[0]  # a draft is not read

    _as(client, study_world, FR)
    _post(client, study_world, action="final", revision=1, text=TEXT)
    _as(client, study_world, CODER)
    html = client.get(interview_url).content.decode()
    card = html.split('id="transcript-card"', 1)[1].split("</section>", 1)[0]
    assert _url(study_world, "transcript-detail") in card
    assert _url(study_world) not in card  # coders read only
    assert "Final" in card and "revision 2" in card
