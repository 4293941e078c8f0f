"""Saving transcripts: sealed at rest, never one save silently over another, final ones kept
revision by revision, and who may read or write them."""

import io
import json
import logging

import pytest
from django.core.management import call_command
from django.db import connection

from fieldwork.accounts.models import Role
from fieldwork.audit.models import AuditEvent
from fieldwork.core.errors import ServiceError
from fieldwork.sources import crypto
from fieldwork.sources.blobs import open_blob
from fieldwork.sources.keys import keyring, reset_keyring, write_key_file
from fieldwork.transcripts.content import TranscriptContent
from fieldwork.transcripts.models import Transcript, TranscriptRevision, TranscriptState
from fieldwork.transcripts.selectors import (
    can_edit_transcript,
    can_read_transcript,
    transcript_content,
    transcript_revision_content,
    transcript_revisions,
)
from fieldwork.transcripts.services import (
    MAX_TEXT_CHARS,
    TranscriptConflict,
    transcript_save,
)
from tests.conftest import _world_interview
from tests.factories import MembershipFactory
from tests.sources.test_no_leak import _dump_database

FR, CODER, SUP, ANALYST, ADMIN = (
    Role.FIELD_RESEARCHER,
    Role.CODER,
    Role.SUPERVISOR,
    Role.ANALYST,
    Role.STUDY_ADMIN,
)
pytestmark = pytest.mark.django_db

CANARY = TranscriptContent(
    text="Le commandant Canarimoussa a pris 5 000 F au poste de Canarikoro.",
    notes="canari-note : la source a peur d'être reconnue",
    translation="Commander Canarimoussa took 5,000 F at the Canarikoro checkpoint.",
)


def _save(world, *, by=FR, base=0, content=CANARY, **kwargs):
    kwargs.setdefault("language", "fr")
    kwargs.setdefault("translation_language", "en")
    return transcript_save(
        interview=world.interview,
        by=world.member(by),
        base_revision=base,
        content=content,
        **kwargs,
    )


def _needles() -> list[bytes]:
    out = []
    for text in ("Canarimoussa", "Canarikoro", "canari-note", "reconnue"):
        out += [text.encode("utf-8"), text.encode("utf-16-le")]
    return out


@pytest.mark.django_db(transaction=True)
def test_no_transcript_text_in_a_database_dump_or_the_logs(study_world, caplog):
    caplog.set_level(logging.DEBUG)
    connection.force_debug_cursor = True  # log every SQL statement with its parameters
    try:
        first = _save(study_world, session="s1")
        second = _save(
            study_world,
            base=first.revision,
            content=TranscriptContent(text=CANARY.text + " Suite.", notes=CANARY.notes),
            final=True,
            session="s1",
        )
        _save(study_world, base=second.revision, by=SUP, session="s2")  # a kept correction
        assert TranscriptRevision.objects.count() == 2
    finally:
        connection.force_debug_cursor = False

    dump = _dump_database()
    assert str(study_world.interview.client_uuid).encode() in dump  # the dump holds our rows
    assert caplog.records  # and logging really ran
    logs = caplog.text.encode("utf-8")
    for needle in _needles():
        assert needle not in dump, f"transcript text found in the database dump: {needle!r}"
        assert needle not in logs, f"transcript text found in the logs: {needle!r}"


def test_a_first_save_makes_a_sealed_draft(study_world):
    transcript = _save(study_world)

    assert (transcript.revision, transcript.state) == (1, TranscriptState.DRAFT)
    assert (transcript.language, transcript.translation_language) == ("fr", "en")
    assert transcript.updated_by == study_world.member(FR)
    assert CANARY.text.encode() not in bytes(transcript.ciphertext)
    assert transcript_content(Transcript.objects.get()) == CANARY
    event = AuditEvent.objects.get(action="transcript.saved")
    assert event.target_id == str(study_world.interview.client_uuid)
    assert event.data == {"revision": 1, "state": "draft", "via": "web"}


def test_sealed_text_opens_only_on_its_own_row_and_revision(study_world):
    transcript = _save(study_world)
    other_interview = _world_interview(
        study=study_world.study,
        source=study_world.source,
        version=study_world.instrument_version,
        by=study_world.member(FR),
    )
    other = transcript_save(
        interview=other_interview,
        by=study_world.member(FR),
        base_revision=0,
        content=TranscriptContent(text="Autre chose"),
    )
    sealed = {
        "ciphertext": transcript.ciphertext,
        "wrapped_key": transcript.wrapped_key,
        "key_id": transcript.key_id,
    }
    with pytest.raises(crypto.CryptoKeyError):
        open_blob(**sealed, context=other.context)  # copied onto another row
    with pytest.raises(crypto.CryptoKeyError):
        open_blob(**sealed, context=f"transcript|{transcript.pk}|0".encode())  # older revision


def test_a_save_based_on_an_older_revision_is_refused_and_changes_nothing(study_world):
    mine = _save(study_world, session="researcher-tab")
    events = AuditEvent.objects.count()

    with pytest.raises(TranscriptConflict) as caught:
        _save(
            study_world,
            by=SUP,
            base=0,
            content=TranscriptContent(text="Version du superviseur"),
            session="supervisor-tab",
        )

    assert caught.value.code == "stale"
    assert caught.value.current.revision == mine.revision
    assert f"{FR.value}-user saved this transcript" in caught.value.messages[0]
    stored = Transcript.objects.get()
    assert stored.revision == 1
    assert transcript_content(stored) == CANARY
    assert AuditEvent.objects.count() == events


def test_the_same_session_behind_by_a_lost_response_is_not_a_conflict(study_world):
    """The server saved revision 1 but the answer never reached the page, which saves again
    from revision 0 with more text."""
    _save(study_world, session="tab-1")
    more = TranscriptContent(text=CANARY.text + " Et puis ils sont partis.")
    transcript = _save(study_world, base=0, content=more, session="tab-1")
    assert transcript.revision == 2
    assert transcript_content(transcript) == more


def test_sending_the_stored_text_again_writes_nothing(study_world):
    _save(study_world, session="tab-1")
    events = AuditEvent.objects.count()
    again = _save(study_world, base=0, session="another-tab")  # stale, but nothing to lose
    assert again.revision == 1
    assert AuditEvent.objects.count() == events


def test_line_ends_from_browsers_do_not_count_as_changes(study_world):
    _save(study_world, content=TranscriptContent(text="un\r\ndeux"))
    again = _save(study_world, base=1, content=TranscriptContent(text="un\ndeux"))
    assert again.revision == 1
    assert transcript_content(again).text == "un\ndeux"


def test_marking_final_needs_text_and_language(study_world):
    with pytest.raises(ServiceError) as caught:
        _save(
            study_world,
            content=TranscriptContent(notes="Rien tapé encore", translation="Something"),
            language="",
            translation_language="",
            final=True,
        )
    errors = caught.value.message_dict
    assert set(errors) == {"text", "language", "translation_language"}
    assert not Transcript.objects.exists()


def test_a_final_transcript_keeps_every_save_as_a_revision(study_world):
    draft = _save(study_world)
    final = _save(study_world, base=draft.revision, final=True)
    assert (final.revision, final.state) == (2, TranscriptState.FINAL)
    assert final.finalized_at == final.updated_at
    assert AuditEvent.objects.filter(action="transcript.finalized").count() == 1

    corrected = TranscriptContent(text=CANARY.text.replace("5 000", "10 000"))
    after = _save(study_world, by=SUP, base=final.revision, content=corrected)

    assert (after.revision, after.state) == (3, TranscriptState.FINAL)  # stays final
    assert [r.number for r in transcript_revisions(after)] == [3, 2]
    kept = TranscriptRevision.objects.get(number=2)
    assert transcript_revision_content(kept) == CANARY
    assert transcript_content(after) == corrected
    assert AuditEvent.objects.filter(action="transcript.saved").count() == 2  # draft, fix
    with pytest.raises(ServiceError) as caught:
        _save(study_world, base=after.revision, content=TranscriptContent(text=" "))
    assert "text" in caught.value.message_dict  # a final transcript keeps its text


def test_text_over_the_limit_is_refused_by_field(study_world):
    with pytest.raises(ServiceError) as caught:
        _save(study_world, content=TranscriptContent(text="a" * (MAX_TEXT_CHARS + 1)))
    assert "text" in caught.value.message_dict
    assert "300,001 characters long" in caught.value.message_dict["text"][0]
    assert not Transcript.objects.exists()


def test_audit_events_carry_no_text(study_world):
    _save(study_world, upload="docx")
    event = AuditEvent.objects.get(action__startswith="transcript.")
    assert event.data == {"revision": 1, "state": "draft", "via": "web", "upload": "docx"}
    assert b"Canari" not in json.dumps(event.data).encode()


@pytest.mark.parametrize(
    ("role", "reads", "writes"),
    [
        (FR, True, True),  # she recorded the interview
        (SUP, True, True),
        (ADMIN, True, True),
        (CODER, True, False),
        (ANALYST, False, False),
    ],
)
def test_who_reads_and_writes_a_transcript(study_world, role, reads, writes):
    interview = study_world.interview
    user = study_world.member(role)
    assert can_read_transcript(user, interview) is reads
    assert can_edit_transcript(user, interview) is writes


def test_another_field_researcher_neither_reads_nor_writes(study_world):
    other = MembershipFactory(study=study_world.study, role=FR).user
    assert not can_read_transcript(other, study_world.interview)
    assert not can_edit_transcript(other, study_world.interview)


@pytest.fixture
def key_files(settings, tmp_path):
    """Key-file mode with a fresh master key, set before the world's source is sealed."""
    settings.FIELDWORK_MASTER_KEY = ""
    settings.FIELDWORK_NEXT_MASTER_KEY = ""
    settings.FIELDWORK_MASTER_KEY_FILE = tmp_path / "master.key"
    write_key_file(settings.FIELDWORK_MASTER_KEY_FILE, crypto.generate_key())
    reset_keyring()


def test_a_master_key_rotation_keeps_transcripts_and_their_revisions_readable(
    key_files, study_world
):
    draft = _save(study_world)
    final = _save(study_world, base=draft.revision, final=True)
    old_id = final.key_id

    call_command("rotate_master_key", batch_size=1, stdout=io.StringIO())

    reset_keyring()
    new_id = crypto.key_id(keyring().current)
    assert new_id != old_id
    transcript = Transcript.objects.get()
    assert transcript.key_id == new_id
    assert transcript_content(transcript) == CANARY
    kept = TranscriptRevision.objects.get()
    assert kept.key_id == new_id
    assert transcript_revision_content(kept) == CANARY
