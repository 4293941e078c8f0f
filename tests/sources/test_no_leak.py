"""A copied database and the logs must not reveal who the sources are.

Canary identities go in through the services (create, edit, reveal, consent, shred); then the
whole database is dumped (pg_dump on PostgreSQL, the SQLite file's bytes otherwise) and
searched, with the logs, for any trace of them."""

import datetime as dt
import logging
import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from fieldwork.accounts.models import Role
from fieldwork.sources.identity import Identity
from fieldwork.sources.models import ConsentScope
from fieldwork.sources.services import (
    SourceAttributes,
    consent_withdraw,
    source_reveal,
    source_shred,
    source_update,
)
from tests.factories import make_source

CANARIES = [
    Identity(
        full_name="Zoumana Canarikoulibaly",
        aliases=["Kanarizou"],
        phone="+223 91 37 46 58",
        address="Rue Canarivoie 12, Sévaré",
        contact_notes="canari-note-appeler-le-soir",
    ),
    Identity(
        full_name="Oumou Canaritraoré",
        phone="+33 6 71 82 93 04",
        address="Canaristrasse 9",
        contact_notes="canari-note-diaspora",
    ),
    Identity(full_name="Hamadoun Canaridicko", phone="+223 65 43 21 09"),
]


def _needles() -> list[bytes]:
    out = []
    for ident in CANARIES:
        for text in [
            ident.full_name,
            *ident.aliases,
            ident.address,
            ident.contact_notes,
            *ident.full_name.split(),
            ident.full_name.lower(),
        ]:
            if text:
                out += [text.encode("utf-8"), text.encode("utf-16-le")]
        digits = "".join(c for c in ident.phone if c.isdigit())
        out += [ident.phone.encode(), digits[-8:].encode()]
    return out


def _dump_database() -> bytes:
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        pg_dump = shutil.which("pg_dump")
        assert pg_dump, "pg_dump is needed to check what a copied database reveals"
        cmd = [
            pg_dump,
            "--no-owner",
            "-h",
            settings["HOST"] or "127.0.0.1",
            "-p",
            str(settings["PORT"] or 5432),
            "-U",
            settings["USER"] or "postgres",
            settings["NAME"],
        ]
        env = {"PGPASSWORD": settings["PASSWORD"] or "", "PATH": "/usr/bin:/bin"}
        return subprocess.run(cmd, check=True, capture_output=True, env=env, timeout=120).stdout
    assert connection.vendor == "sqlite"
    path = Path(settings["NAME"])
    assert path.exists(), "the SQLite test database must be a file for this test"
    connection.close()
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


@pytest.mark.django_db(transaction=True)
def test_no_canary_identity_in_a_database_dump_or_the_logs(study_world, caplog):
    caplog.set_level(logging.DEBUG)
    connection.force_debug_cursor = True  # log every SQL statement with its parameters
    try:
        researcher = study_world.member(Role.FIELD_RESEARCHER)
        supervisor = study_world.member(Role.SUPERVISOR)
        admin = study_world.member(Role.STUDY_ADMIN)
        first, second, third = (
            make_source(study=study_world.study, by=researcher, identity=i, community="Peul")
            for i in CANARIES
        )
        source_update(
            source=second,
            by=researcher,
            attributes=SourceAttributes(language="fr"),
            identity=CANARIES[1],
            confirm_not_duplicate=True,
        )
        assert source_reveal(source=first, by=supervisor, reason="Verify before recontact").phone
        consent_withdraw(
            source=third,
            by=researcher,
            scopes=frozenset({ConsentScope.PARTICIPATE}),
            reason="Moved away",
            withdrawn_on=dt.date(2026, 6, 1),
        )
        source_shred(source=third, by=admin, reason="Erasure requested")
    finally:
        connection.force_debug_cursor = False

    dump = _dump_database()
    assert study_world.source.code.encode() in dump  # the dump really holds our rows
    assert b"SELECT" in caplog.text.encode() or caplog.records  # and logging really ran
    logs = caplog.text.encode("utf-8")
    for needle in _needles():
        assert needle not in dump, f"identity text found in the database dump: {needle!r}"
        assert needle not in logs, f"identity text found in the logs: {needle!r}"
