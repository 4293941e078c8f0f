"""A study to import into: a field researcher, a supervisor, and questionnaires published from
the XLSForms the exports were made with."""

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from fieldwork.accounts.models import Role
from fieldwork.imports.services import ExportFile, import_confirm, import_preview
from fieldwork.instruments.services import instrument_upload, instrument_version_publish
from tests.factories import MembershipFactory, StudyFactory

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("FIELDWORK_SHARED_DATA", ROOT.parent / "shared" / "data"))
#: Permissively licensed exports (see SOURCES.md there) and the forms written for them.
EXPORTS = ROOT / "tests" / "fixtures" / "exports"
FORMS = EXPORTS / "forms"
XLSFORMS = ROOT / "tests" / "fixtures" / "xlsforms"


def export_path(name: str) -> Path:
    """An export from tests/fixtures/exports, else (GPL files) from ../shared/data/exports."""
    for base in (EXPORTS, SHARED / "exports"):
        if (base / name).exists():
            return base / name
    pytest.skip(f"{name} is in neither tests/fixtures/exports nor ../shared/data/exports")


@dataclass
class ImportWorld:
    study: object
    researcher: object
    other_researcher: object
    supervisor: object
    coder: object

    def publish(self, content: bytes, filename: str):
        """A questionnaire version, published (ODK Validate is skipped: tests/instruments
        runs it; here it would cost Java's start-up on every test)."""
        version = instrument_upload(
            study=self.study, by=self.supervisor, content=content, filename=filename, validate=False
        )
        return instrument_version_publish(version=version, by=self.supervisor)

    def publish_file(self, path: Path):
        return self.publish(path.read_bytes(), path.name)

    def preview(self, version, *names_or_files, by=None):
        files = [
            f if isinstance(f, ExportFile) else ExportFile(f, export_path(f).read_bytes())
            for f in names_or_files
        ]
        return import_preview(
            study=self.study, by=by or self.researcher, instrument_version=version, files=files
        )

    def confirm(self, batch, mode="all_or_nothing", by=None):
        return import_confirm(batch=batch, by=by or self.researcher, mode=mode)


@pytest.fixture
def world(db) -> ImportWorld:
    study = StudyFactory(slug="imports", name="Imports")

    def member(role, name):
        return MembershipFactory(study=study, role=role, user__username=name).user

    return ImportWorld(
        study=study,
        researcher=member(Role.FIELD_RESEARCHER, "awa"),
        other_researcher=member(Role.FIELD_RESEARCHER, "moussa"),
        supervisor=member(Role.SUPERVISOR, "fatou"),
        coder=member(Role.CODER, "ibrahim"),
    )
