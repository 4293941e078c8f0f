"""Files sent with an interview (photos, recordings, documents): which types are kept, the
size limit, and storing them sealed under the master key. Used by the OpenRosa endpoint
(phones), the REST API, and decryption runs."""

import hashlib
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fieldwork.audit.services import audit_record
from fieldwork.core.errors import ServiceError
from fieldwork.instruments.models import InstrumentVersion
from fieldwork.instruments.selectors import version_form
from fieldwork.instruments.specs import BINARY_TYPES
from fieldwork.interviews.models import Attachment, InterviewVersion
from fieldwork.openrosa.submission import referenced_files
from fieldwork.sources.blobs import seal_blob

#: File types Fieldwork knows, by extension (lower case): what ODK Collect records (photos,
#: audio, video, documents, its audit log) and encrypted parts. A file of another type is
#: kept too, as application/octet-stream (a phone's finalized form cannot drop its file;
#: Collect writes some recordings as .bin), unless it is in REFUSED_TYPES.
ATTACHMENT_TYPES: dict[str, str] = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".heic": "image/heic",
    ".gif": "image/gif",
    ".m4a": "audio/mp4",
    ".mp3": "audio/mpeg",
    ".amr": "audio/amr",
    ".ogg": "audio/ogg",
    ".opus": "audio/opus",
    ".wav": "audio/wav",
    ".aac": "audio/aac",
    ".3gp": "video/3gpp",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".pdf": "application/pdf",
    ".csv": "text/csv",
    ".txt": "text/plain",
    ".geojson": "application/geo+json",
    ".mov": "video/quicktime",
    ".3ga": "audio/3gpp",
    ".flac": "audio/flac",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".xml": "application/xml",
    ".enc": "application/octet-stream",
    ".3gpp": "audio/3gpp",
    ".m4v": "video/mp4",
    ".mkv": "video/x-matroska",
    ".avi": "video/x-msvideo",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".bmp": "image/bmp",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odp": "application/vnd.oasis.opendocument.presentation",
    ".rtf": "application/rtf",
    ".json": "application/json",
    ".kml": "application/vnd.google-earth.kml+xml",
    ".gpx": "application/gpx+xml",
}

#: Programs and web pages: a file that runs when opened could harm whoever opens it at the
#: office. The only types refused, with a message naming the file.
REFUSED_TYPES = frozenset(
    {
        ".exe", ".msi", ".dll", ".com", ".scr", ".bat", ".cmd", ".ps1", ".vbs", ".js",
        ".jar", ".apk", ".sh", ".php", ".hta", ".html", ".htm", ".xhtml", ".svg",
    }
)  # fmt: skip


@dataclass(frozen=True)
class SubmissionFile:
    """A file sent with an interview: its name and bytes."""

    name: str
    content: bytes
    content_type: str = ""


class FileRefused(Exception):
    """A file the limits refuse: `status` is the HTTP answer (400 for the type, 413 for the
    size), `message` says which file and why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def expected_files(*, version: InstrumentVersion, answers: dict) -> list[str]:
    """The file names the answers give to photo, audio, video and file questions."""
    return referenced_files(answers, version_form(version=version).paths(BINARY_TYPES))


def check_files(files: list[SubmissionFile], expected: list[str]) -> None:
    """The size and type limits, on the files the answers name (others are ignored)."""
    limit = settings.FIELDWORK_ATTACHMENT_MAX_BYTES
    for part in files:
        if part.name not in expected:
            continue
        suffix = PurePosixPath(part.name).suffix.lower()
        if suffix in REFUSED_TYPES:
            raise FileRefused(
                400,
                _(
                    "The file “%(name)s” is a program or a web page (%(suffix)s): Fieldwork "
                    "does not keep files that run when opened. Remove it from the form and "
                    "send the form again."
                )
                % {"name": part.name, "suffix": suffix},
            )
        if len(part.content) > limit:
            raise FileRefused(
                413,
                _("The file “%(name)s” is %(size)s MB; the limit is %(max)s MB.")
                % {
                    "name": part.name,
                    "size": round(len(part.content) / 1024 / 1024, 1),
                    "max": limit // 1024 // 1024,
                },
            )


def store_files(
    *, version: InterviewVersion, files: list[SubmissionFile]
) -> tuple[int, list[str], int]:
    """Seal and store the files the version expects and does not have yet. Returns how many
    were added, the names of parts the answers do not refer to (ignored, as ODK Central
    ignores them), and how many expected files are still missing."""
    expected = set(version.expected_attachments)
    if not expected:
        return 0, [part.name for part in files], 0
    have = set(Attachment.objects.filter(version=version).values_list("name", flat=True))
    added, ignored = 0, []
    for part in files:
        if part.name not in expected:
            ignored.append(part.name)
            continue
        if part.name in have:
            continue  # sent again with a re-send: the first copy stays
        suffix = PurePosixPath(part.name).suffix.lower()
        attachment = Attachment(
            study_id=version.study_id,
            version=version,
            name=part.name,
            content_type=ATTACHMENT_TYPES.get(suffix, "application/octet-stream"),
            size=len(part.content),
            sha256=hashlib.sha256(part.content).hexdigest(),
            received_at=timezone.now(),
        )
        sealed = seal_blob(data=part.content, context=attachment.context)
        attachment.ciphertext = sealed.ciphertext
        attachment.wrapped_key = sealed.wrapped_key
        attachment.key_id = sealed.key_id
        try:
            with transaction.atomic():
                attachment.save()
        except IntegrityError:
            continue  # the same file stored by a concurrent POST of this submission
        have.add(part.name)
        added += 1
    return added, ignored, len(expected - have)


def attachment_add(*, version: InterviewVersion, by, name: str, content: bytes) -> Attachment:
    """A file the version's answers name, sent after them (the REST API's upload). Sending
    the same file again returns the one stored; another file under a stored name, or a name
    the answers do not give, is refused with a message saying what they do name."""
    expected = list(version.expected_attachments)
    if name not in expected:
        listed = ", ".join(expected) if expected else _("none")
        raise ServiceError(
            {
                "file": [
                    _(
                        "The answers of version %(number)s name no file “%(name)s”. Files "
                        "they name: %(listed)s."
                    )
                    % {"number": version.number, "name": name, "listed": listed}
                ]
            }
        )
    stored = Attachment.objects.filter(version=version, name=name).first()
    if stored is not None:
        if stored.sha256 == hashlib.sha256(content).hexdigest():
            return stored
        raise ServiceError(
            {"file": [_("Another file is already stored as “%(name)s”.") % {"name": name}]},
            code="conflict",
        )
    check_files([SubmissionFile(name=name, content=content)], expected)
    store_files(version=version, files=[SubmissionFile(name=name, content=content)])
    attachment = Attachment.objects.get(version=version, name=name)
    audit_record(
        actor=by,
        study=version.study,
        action="interview.attachment_added",
        target=version.interview,
        data={"version": version.number, "file": name, "size": len(content)},
    )
    return attachment
