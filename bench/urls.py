"""The project's URLs plus the view the OpenRosa benchmark measures beside the submission
endpoint, on the same server, with the same middleware and multipart parsing
(`request.FILES`):

- `/bench/floor`: one INSERT of the XML part's bytes and a 201. No authentication, no XML
  parsing, no sealing, no validation, no app logic.
"""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as project_urlpatterns

FLOOR_TABLE = "bench_floor"
FLOOR_DDL = (
    f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id bigserial PRIMARY KEY, body bytea NOT NULL, "
    "received_at timestamptz NOT NULL DEFAULT now())"
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
    response = HttpResponse(FLOOR_RESPONSE, status=201, content_type="text/xml; charset=utf-8")
    response["X-OpenRosa-Version"] = "1.0"
    return response


urlpatterns = [
    path("bench/floor", floor),
    *project_urlpatterns,
]
