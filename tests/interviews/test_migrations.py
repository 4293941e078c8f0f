"""Interviews stored before their content was sealed at rest are sealed by the migration
(interviews 0008-0010), and read back the same: nothing already stored is lost."""

import json
import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from fieldwork.accounts.models import Role
from fieldwork.interviews.models import InterviewVersion, SubmissionConflict
from fieldwork.interviews.selectors import conflict_payload, version_content, version_payload
from fieldwork.sources.blobs import seal_blob

BEFORE = [("interviews", "0007_study_indexes_in_composites")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_the_migration_seals_what_was_stored_in_clear(study_world):
    version = study_world.published_version
    by = study_world.member(Role.FIELD_RESEARCHER)
    old = _migrate(BEFORE)
    try:
        interview_model = old.get_model("interviews", "Interview")
        version_model = old.get_model("interviews", "InterviewVersion")
        conflict_model = old.get_model("interviews", "SubmissionConflict")
        rows = {}
        for name, fmt in (("clear", "openrosa_xml"), ("decrypted", "openrosa_encrypted")):
            instance = uuid.uuid4()
            interview = interview_model.objects.create(
                study_id=study_world.study.pk,
                client_uuid=instance,
                instrument_id=version.instrument_id,
                researcher_id=by.pk,
                status="received",
            )
            rows[name] = version_model.objects.create(
                study_id=study_world.study.pk,
                interview=interview,
                number=1,
                instance_id=instance,
                instrument_version_id=version.pk,
                answers={"respondent_name": "Awa Diarra"} if name == "clear" else {},
                raw_payload=f"<data>{name}</data>".encode(),
                payload_format=fmt,
                payload_sha256="0" * 64,
                submitted_by_id=by.pk,
                received_at=timezone.now(),
                problems=["“Âge” manque.", {"path": "", "text": {"en": "A note."}}],
            )
        decrypted = rows["decrypted"]
        # As decryption sealed answers before: under the row's primary key.
        sealed = seal_blob(
            data=json.dumps({"answers": {"age": 41}, "problems": ["Trop âgé."]}).encode(),
            context=f"answers|{decrypted.pk}".encode(),
        )
        version_model.objects.filter(pk=decrypted.pk).update(
            answers_ciphertext=sealed.ciphertext,
            answers_wrapped_key=sealed.wrapped_key,
            answers_key_id=sealed.key_id,
            decrypted_at=timezone.now(),
            problems=[],
        )
        conflict_model.objects.create(
            study_id=study_world.study.pk,
            instance_id=rows["clear"].instance_id,
            raw_payload=b"<data>refused</data>",
            payload_format="openrosa_xml",
            payload_sha256="1" * 64,
            reason="Another body.",
            submitted_by_id=by.pk,
            received_at=timezone.now(),
        )
    finally:
        _migrate(_latest())

    clear = InterviewVersion.objects.get(pk=rows["clear"].pk)
    assert version_payload(clear) == b"<data>clear</data>" and clear.payload_size == 18
    answers, problems = version_content(clear)
    assert answers == {"respondent_name": "Awa Diarra"}
    assert problems == ["“Âge” manque.", {"path": "", "text": {"en": "A note."}}]
    assert clear.problems == [] and clear.problem_count == 2  # both sealed: they may quote
    assert b"Awa Diarra" not in bytes(clear.answers_ciphertext)

    decrypted = InterviewVersion.objects.get(pk=rows["decrypted"].pk)
    assert version_payload(decrypted) == b"<data>decrypted</data>"
    assert version_content(decrypted) == ({"age": 41}, ["Trop âgé."])
    assert decrypted.problem_count == 1

    conflict = SubmissionConflict.objects.get()
    assert conflict_payload(conflict) == b"<data>refused</data>" and conflict.payload_size == 20
