"""The phones page: a field researcher makes a token for her own phone and scans the QR code
into ODK Collect; a supervisor revokes it. The token is shown once and stored only hashed."""

import base64
import json
import re
import zlib

import pytest
from django.test import Client

from fieldwork.accounts.models import Role
from fieldwork.audit.models import AuditEvent
from fieldwork.openrosa.models import Device
from fieldwork.openrosa.qr import collect_payload, collect_settings, read_collect_payload


def _client(world, role) -> Client:
    client = Client()
    client.force_login(world.member(role))
    return client


def test_a_field_researcher_makes_a_token_for_her_phone_and_sees_it_once(study_world):
    client = _client(study_world, Role.FIELD_RESEARCHER)
    url = f"/studies/{study_world.study.slug}/devices/"
    page = client.get(url)
    # she can only make one for herself
    assert re.findall(rb'<option value="(\d+)"', page.content) == [
        str(study_world.member(Role.FIELD_RESEARCHER).pk).encode()
    ]
    response = client.post(
        url, {"label": "Tecno Spark", "researcher": page.context["form"]["researcher"].initial.pk}
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    server_url = re.search(rb'<code class="token-url">([^<]+)</code>', response.content).group(1)
    token = server_url.decode().rsplit("/key/", 1)[1].split("/")[0]
    device = Device.objects.get()
    assert device.researcher == study_world.member(Role.FIELD_RESEARCHER)
    assert token not in device.token_sha256 and len(device.token_sha256) == 64
    assert b"<svg" in response.content  # the QR code, inline
    # the token works for Collect, and is never shown again
    listed = Client().get(f"{server_url.decode()}/formList", headers={"X-OpenRosa-Version": "1.0"})
    assert listed.status_code == 200
    assert token.encode() not in client.get(url).content
    assert AuditEvent.objects.filter(action="device.created").count() == 1


def test_the_qr_code_carries_collect_settings_with_the_server_url():
    settings = collect_settings(
        server_url="https://fw.example/openrosa/key/abc/centre-mali", project_name="Centre"
    )
    payload = collect_payload(settings)
    # Collect reads zlib-compressed JSON in base64
    assert json.loads(zlib.decompress(base64.b64decode(payload))) == settings
    assert read_collect_payload(payload)["general"]["server_url"].endswith("/centre-mali")
    assert settings["admin"]["change_server"] is False


def test_a_supervisor_revokes_a_phone_and_it_is_locked_out(study_world, phone):
    client = _client(study_world, Role.SUPERVISOR)
    response = client.post(f"/studies/{study_world.study.slug}/devices/{phone.device.pk}/revoke/")
    assert response.status_code == 302
    assert phone.get("formList").status_code == 403
    page = client.get(f"/studies/{study_world.study.slug}/devices/")
    assert b"Revoked on" in page.content


def test_a_field_researcher_sees_only_her_own_phones(study_world, phone):
    from fieldwork.openrosa.services import device_create

    device_create(
        study=study_world.study,
        by=study_world.member(Role.SUPERVISOR),
        researcher=study_world.member(Role.SUPERVISOR),
        label="Supervisor's phone",
    )
    page = _client(study_world, Role.FIELD_RESEARCHER).get(
        f"/studies/{study_world.study.slug}/devices/"
    )
    assert b"Tecno Spark, Awa" in page.content
    assert b"Supervisor&#x27;s phone" not in page.content


def test_a_coder_cannot_carry_a_device(study_world):
    from fieldwork.core.errors import ServiceError
    from fieldwork.openrosa.services import device_create

    with pytest.raises(ServiceError, match="records interviews"):
        device_create(
            study=study_world.study,
            by=study_world.member(Role.STUDY_ADMIN),
            researcher=study_world.member(Role.CODER),
            label="Coder's phone",
        )
