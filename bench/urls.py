"""The project's URLs plus two views the OpenRosa benchmark measures beside the submission
endpoint, on the same server, with the same middleware and multipart parsing
(`request.FILES`):

- `/bench/floor`: one INSERT of the XML part's bytes and a 201. No authentication, no XML
  parsing, no validation, no app logic.
- `/bench/accept/<token>/<study>/submission`: the least an endpoint that knows its caller
  can do before answering 201: the submission endpoint's own authentication and permission
  check (device token, study, role), the XML's form id, version and instanceID, the form
  version looked up (a 404 for an unknown form), then one INSERT of the bytes, idempotent by
  instanceID. No validation, no interview, no audit event: what is left if all the work
  after receiving were deferred to a queue, an upper bound for any design of the endpoint.
"""

import hashlib

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as project_urlpatterns
from fieldwork.openrosa import services, views
from fieldwork.openrosa.submission import SubmissionError, parse_submission

FLOOR_TABLE = "bench_floor"
FLOOR_DDL = (
    f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id bigserial PRIMARY KEY, body bytea NOT NULL, "
    "received_at timestamptz NOT NULL DEFAULT now())"
)
ACCEPT_TABLE = "bench_accept"
ACCEPT_DDL = (
    f"CREATE TABLE IF NOT EXISTS {ACCEPT_TABLE} (id bigserial PRIMARY KEY, study_id bigint NOT "
    "NULL, version_id bigint NOT NULL, instance_id uuid NOT NULL, sha256 char(64) NOT NULL, "
    "body bytea NOT NULL, received_at timestamptz NOT NULL DEFAULT now(), "
    "UNIQUE (study_id, instance_id))"
)
#: What the floor answers: an OpenRosaResponse of the size the real endpoint sends.
FLOOR_RESPONSE = (
    b"<?xml version='1.0' encoding='UTF-8'?>\n"
    b'<OpenRosaResponse xmlns="http://openrosa.org/http/response" items="0">'
    b'<message nature="submit_success">Stored.</message></OpenRosaResponse>'
)


@csrf_exempt
def floor(request: HttpRequest) -> HttpResponse:
    body = request.FILES["xml_submission_file"].read()
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {FLOOR_TABLE} (body) VALUES (%s)", [body])
    return _stored()


@csrf_exempt
def accept(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    caller = views._caller(request, slug, token)  # the endpoint's own: token, study, role
    if isinstance(caller, HttpResponse):
        return caller
    xml = request.FILES["xml_submission_file"].read()
    try:
        head = parse_submission(xml, answers=False)
        version, _notes = services._version_for(study=caller.study, parsed=head)
    except (SubmissionError, services._Refused) as exc:
        return HttpResponse(str(exc), status=getattr(exc, "status", 400))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ACCEPT_TABLE} (study_id, version_id, instance_id, sha256, body) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            [
                caller.study.pk,
                version.pk,
                services._instance_uuid(head.instance_id),
                hashlib.sha256(xml).hexdigest(),
                xml,
            ],
        )
    return _stored()


def _stored() -> HttpResponse:
    response = HttpResponse(FLOOR_RESPONSE, status=201, content_type="text/xml; charset=utf-8")
    response["X-OpenRosa-Version"] = "1.0"
    return response


urlpatterns = [
    path("bench/floor", floor),
    path("bench/accept/<str:token>/<slug:slug>/submission", accept),
    *project_urlpatterns,
]
