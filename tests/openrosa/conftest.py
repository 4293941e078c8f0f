"""A study with published questionnaires and a phone, and a client that talks to it as ODK
Collect does (X-OpenRosa-Version on every request, multipart POSTs)."""

import functools
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from fieldwork.accounts.models import Role
from fieldwork.instruments.services import instrument_upload, instrument_version_publish
from fieldwork.instruments.xlsform import convert_xlsform
from fieldwork.openrosa.services import device_create, received_record_pending

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SHARED = Path(settings.BASE_DIR).parent / "shared" / "data"
OR_HEADERS = {"X-OpenRosa-Version": "1.0"}


def data_file(kind: str, relative: str) -> Path:
    """A file from tests/fixtures/<kind>, else from ../shared/data/<kind> (GPL/AGPL files stay
    there); skips, saying why, when neither has it."""
    for base in (FIXTURES / kind, SHARED / kind):
        if (base / relative).exists():
            return base / relative
    pytest.skip(f"{kind}/{relative}: not in tests/fixtures and ../shared/data is absent")


@functools.cache
def _converted(path: Path, language: str):
    return convert_xlsform(content=path.read_bytes(), filename=path.name)


def publish(world, relative: str, *, kind: str = "xlsforms"):
    """Upload (ODK Validate skipped: tests/instruments runs it) and publish an XLSForm."""
    from unittest import mock

    from django.utils import translation

    path = data_file(kind, relative)
    convert = lambda content, filename: _converted(path, translation.get_language())  # noqa: E731
    admin = world.member(Role.STUDY_ADMIN)
    with mock.patch(
        "fieldwork.instruments.services.convert_xlsform",
        lambda *, content, filename: convert(content, filename),
    ):
        version = instrument_upload(
            study=world.study,
            by=admin,
            content=path.read_bytes(),
            filename=path.name,
            validate=False,
        )
    return instrument_version_publish(version=version, by=admin)


@dataclass
class Phone:
    """ODK Collect, configured with a device token."""

    client: Client
    slug: str
    token: str

    def url(self, tail: str) -> str:
        return f"/openrosa/key/{self.token}/{self.slug}/{tail}"

    def get(self, tail: str, **kwargs):
        return self.client.get(self.url(tail), headers=OR_HEADERS, **kwargs)

    def head(self, tail: str):
        return self.client.head(self.url(tail), headers=OR_HEADERS)

    def post(self, xml: bytes, *files: tuple[str, bytes], url: str | None = None, **extra):
        """POST as Collect does, and nothing after: no worker has come yet."""
        data = {"xml_submission_file": SimpleUploadedFile("submission.xml", xml, "text/xml")}
        for name, content in files:
            data[name] = SimpleUploadedFile(name, content, "application/octet-stream")
        return self.client.post(
            url or self.url("submission"), data=data, headers={**OR_HEADERS, **extra}
        )

    def send(self, xml: bytes, *files: tuple[str, bytes], url: str | None = None, **extra):
        """POST as Collect does, then record what the intake stored, as a worker does moments
        later (the test's transaction never commits, so no task is queued)."""
        response = self.post(xml, *files, url=url, **extra)
        received_record_pending()
        return response


@pytest.fixture
def phone(study_world) -> Phone:
    device, token = device_create(
        study=study_world.study,
        by=study_world.member(Role.STUDY_ADMIN),
        researcher=study_world.member(Role.FIELD_RESEARCHER),
        label="Tecno Spark, Awa",
    )
    phone = Phone(client=Client(), slug=study_world.study.slug, token=token)
    phone.device = device
    return phone
