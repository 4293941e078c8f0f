"""The transcript API: read, save with the revision it is based on, 409 for an older one."""

import pytest
from django.urls import reverse

from fieldwork.accounts.models import Role
from fieldwork.transcripts.models import Transcript
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

FR, CODER, SUP = Role.FIELD_RESEARCHER, Role.CODER, Role.SUPERVISOR


def _url(world, **query):
    url = reverse("api:transcript-detail", args=[world.study.slug, world.interview.client_uuid])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _put(client, world, **body):
    body.setdefault("language", "fr")
    return client.put(_url(world), body, content_type="application/json")


def test_an_interview_without_transcript_reads_as_revision_zero(client, study_world):
    client.force_login(study_world.member(FR))
    body = client.get(_url(study_world)).json()
    assert body["revision"] == 0
    assert (body["text"], body["state"], body["updated_by"], body["revisions"]) == (
        "",
        "draft",
        None,
        [],
    )


def test_save_then_read(client, study_world):
    client.force_login(study_world.member(FR))
    response = _put(
        client,
        study_world,
        revision=0,
        text="Ils sont venus à l’aube.",
        notes="Deux témoins.",
        translation="They came at dawn.",
        translation_language="en",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["revision"], body["state"], body["updated_by"]) == (
        1,
        "draft",
        "field_researcher-user",
    )
    assert (body["text"], body["translation"]) == ("Ils sont venus à l’aube.", "They came at dawn.")

    # A coder codes final text only: the draft reads as no transcript yet.
    client.force_login(study_world.member(CODER))
    draft = client.get(_url(study_world)).json()
    assert (draft["revision"], draft["text"], draft["notes"]) == (0, "", "")

    client.force_login(study_world.member(FR))
    assert (
        _put(client, study_world, revision=1, text="Ils sont venus.", final=True).status_code == 200
    )
    client.force_login(study_world.member(CODER))
    final = client.get(_url(study_world)).json()
    assert (final["revision"], final["state"], final["text"]) == (2, "final", "Ils sont venus.")


def test_a_save_based_on_an_older_revision_answers_409(client, study_world):
    client.force_login(study_world.member(SUP))
    _put(client, study_world, revision=0, text="Première version", session="sup")
    client.force_login(study_world.member(FR))

    response = _put(client, study_world, revision=0, text="Autre version", session="fr")

    assert response.status_code == 409
    assert response.json()["revision"] == 1
    assert "nothing was changed" in response.json()["detail"]
    assert client.get(_url(study_world)).json()["text"] == "Première version"


def test_final_needs_a_language_and_keeps_revisions(client, study_world):
    client.force_login(study_world.member(FR))
    refused = _put(client, study_world, revision=0, text="Texte", language="", final=True)
    assert refused.status_code == 400
    assert "language" in refused.json()

    assert (
        _put(client, study_world, revision=0, text="Texte", final=True).json()["state"] == "final"
    )
    body = _put(client, study_world, revision=1, text="Texte corrigé").json()
    assert (body["revision"], body["state"]) == (2, "final")
    assert [r["number"] for r in body["revisions"]] == [2, 1]
    old = client.get(_url(study_world, revision=1)).json()
    assert (old["revision"], old["text"]) == (1, "Texte")
    assert client.get(_url(study_world, revision=7)).status_code == 404


def test_a_coder_cannot_save_and_another_researcher_cannot_see(client, study_world):
    client.force_login(study_world.member(CODER))
    assert _put(client, study_world, revision=0, text="x").status_code == 403
    client.force_login(MembershipFactory(study=study_world.study, role=FR).user)
    assert client.get(_url(study_world)).status_code == 404
    assert _put(client, study_world, revision=0, text="x").status_code == 404
    assert not Transcript.objects.exists()
