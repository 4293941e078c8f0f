"""The master key: required at start, never silently replaced, rotatable without downtime."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from fieldwork.accounts.models import Role
from fieldwork.sources import crypto
from fieldwork.sources.checks import master_key_problems
from fieldwork.sources.keys import keyring, next_key_path, reset_keyring, write_key_file
from fieldwork.sources.models import Source
from fieldwork.sources.services import source_identity
from tests.factories import make_source

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def key_files(settings, tmp_path):
    """Key-file mode with fresh keys in a temporary folder, whatever the environment sets."""
    master, blind = tmp_path / "master.key", tmp_path / "blind_index.key"
    write_key_file(master, crypto.generate_key())
    write_key_file(blind, crypto.generate_key())
    settings.FIELDWORK_MASTER_KEY = ""
    settings.FIELDWORK_NEXT_MASTER_KEY = ""
    settings.FIELDWORK_BLIND_INDEX_KEY = ""
    settings.FIELDWORK_MASTER_KEY_FILE = master
    settings.FIELDWORK_BLIND_INDEX_KEY_FILE = blind
    reset_keyring()
    return master


def _names(sources):
    return sorted(source_identity(source=Source.objects.get(pk=s.pk)).full_name for s in sources)


@pytest.mark.django_db
def test_rotation_rewraps_every_key_and_old_key_no_longer_opens(key_files, study_world):
    researcher = study_world.member(Role.FIELD_RESEARCHER)
    sources = [make_source(study=study_world.study, by=researcher) for _ in range(5)]
    before = _names(sources)
    old_id = crypto.key_id(keyring().current)
    ciphertexts = {s.pk: bytes(s.identity_ciphertext) for s in sources}

    call_command("rotate_master_key", batch_size=2, stdout=io.StringIO())

    reset_keyring()
    new_id = crypto.key_id(keyring().current)
    assert new_id != old_id
    assert not next_key_path(key_files).exists()
    assert set(Source.objects.values_list("key_id", flat=True)) == {new_id}
    assert _names(sources) == before
    for s in Source.objects.filter(pk__in=ciphertexts):  # identities were not re-encrypted
        assert bytes(s.identity_ciphertext) == ciphertexts[s.pk]


@pytest.mark.django_db
def test_interrupted_rotation_keeps_everything_readable_and_resumes(key_files, study_world):
    researcher = study_world.member(Role.FIELD_RESEARCHER)
    sources = [make_source(study=study_world.study, by=researcher) for _ in range(5)]
    before = _names(sources)

    call_command("rotate_master_key", batch_size=2, max_batches=1, stdout=io.StringIO())

    # Half-way: both keys are configured (the .next file), every identity still opens,
    # and a source created now is wrapped by the new key.
    reset_keyring()
    assert next_key_path(key_files).exists()
    assert len(set(Source.objects.values_list("key_id", flat=True))) == 2
    assert _names(sources) == before
    late = make_source(study=study_world.study, by=researcher)

    call_command("rotate_master_key", batch_size=2, stdout=io.StringIO())
    reset_keyring()
    assert len(set(Source.objects.values_list("key_id", flat=True))) == 1
    assert _names([*sources, late]) == sorted([*before, source_identity(source=late).full_name])


@pytest.mark.django_db
def test_wrong_master_key_is_reported_at_start(key_files, settings, study_world):
    assert master_key_problems() == []
    settings.FIELDWORK_MASTER_KEY = crypto.encode_key(crypto.generate_key())
    reset_keyring()
    problems = master_key_problems()
    assert len(problems) == 1
    assert "is not the key that sealed the stored source identities" in problems[0]


def _embedded_env(var_dir: Path) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("FIELDWORK_") and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env["FIELDWORK_VAR_DIR"] = str(var_dir)
    return env


def _manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_first_run_creates_keys_and_a_lost_key_stops_the_app(tmp_path):
    env = _embedded_env(tmp_path)
    (tmp_path / "fieldwork.sqlite3").touch()  # as a first connection leaves it: still empty
    first = _manage(env, "migrate", "--verbosity", "0")
    assert first.returncode == 0, first.stderr
    master = tmp_path / "master.key"
    original = master.read_text()
    assert (tmp_path / "blind_index.key").exists()
    assert oct(master.stat().st_mode & 0o777) == "0o600"

    master.unlink()  # the database exists now: a missing key must not be re-created
    check = _manage(env, "check")
    assert check.returncode != 0
    assert "FIELDWORK_MASTER_KEY is not set" in check.stderr
    assert not master.exists()
    wsgi = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert wsgi.returncode != 0 and "will not start" in wsgi.stderr

    master.write_text(original)
    assert _manage(env, "check").returncode == 0


def test_malformed_master_key_in_the_environment_stops_the_app(tmp_path):
    env = _embedded_env(tmp_path) | {"FIELDWORK_MASTER_KEY": "too-short"}
    check = _manage(env, "check")
    assert check.returncode != 0
    assert "FIELDWORK_MASTER_KEY" in check.stderr


@pytest.mark.django_db
def test_rotation_rewraps_the_keys_of_attachments_too(key_files, study_world):
    from fieldwork.interviews.attachments import SubmissionFile, store_files
    from fieldwork.interviews.models import Attachment
    from fieldwork.sources.blobs import open_blob

    version = study_world.interview.current_version
    type(version).objects.filter(pk=version.pk).update(expected_attachments=["voice.m4a"])
    version.expected_attachments = ["voice.m4a"]
    store_files(version=version, files=[SubmissionFile(name="voice.m4a", content=b"a voice")])

    call_command("rotate_master_key", batch_size=2, stdout=io.StringIO())

    reset_keyring()
    attachment = Attachment.objects.get()
    assert attachment.key_id == crypto.key_id(keyring().current)
    assert (
        open_blob(
            ciphertext=attachment.ciphertext,
            wrapped_key=attachment.wrapped_key,
            key_id=attachment.key_id,
            context=attachment.context,
        )
        == b"a voice"
    )


def test_every_table_with_a_wrapped_data_key_is_rotated():
    from django.apps import apps

    from fieldwork.sources.rotation import sealed_models

    wrapped = {
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if field.name.endswith("wrapped_key")
    }
    assert len(wrapped) >= 6
    assert wrapped == {(sealed.model, sealed.wrapped) for sealed in sealed_models()}


@pytest.mark.django_db
def test_rotation_keeps_import_files_and_results_readable(key_files, study_world):
    from fieldwork.imports.services import ExportFile, batch_file, batch_results, import_preview
    from fieldwork.instruments.services import instrument_version_publish

    version = instrument_version_publish(
        version=study_world.instrument_version, by=study_world.member(Role.STUDY_ADMIN)
    )
    content = b"age,meta/instanceID\n34,uuid:0d5c2c1e-8a51-4c46-9f35-2a4fb5d1c0aa\n"
    batch = import_preview(
        study=study_world.study,
        by=study_world.member(Role.FIELD_RESEARCHER),
        instrument_version=version,
        files=[ExportFile("export.csv", content)],
    )
    results_before = batch_results(batch=batch)

    call_command("rotate_master_key", batch_size=2, stdout=io.StringIO())

    reset_keyring()
    batch.refresh_from_db()
    new_id = crypto.key_id(keyring().current)
    assert batch.file_key_id == new_id and batch.results_key_id == new_id
    assert batch_file(batch=batch) == content
    assert batch_results(batch=batch) == results_before
