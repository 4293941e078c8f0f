"""Receiving uploads without ever writing them to disk.

Django keeps an upload in memory only while the whole request is under 2.5 MB and otherwise
spools it to a temporary file, where a recording, a photo, an export or a transcript would sit
in clear. Fieldwork uses this handler for every request (FILE_UPLOAD_HANDLERS): files stay in
memory until they are sealed, and reading stops as soon as one passes the limit, so an
oversized file costs neither memory nor disk. The transcript page sets a smaller limit."""

import io

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile


class InMemoryLimitedUploadHandler(FileUploadHandler):
    def __init__(self, request=None, *, limit: int | None = None):
        super().__init__(request)
        self.limit = limit if limit is not None else settings.FIELDWORK_UPLOAD_MAX_BYTES
        #: Names of files skipped for their size, for the form to say so.
        self.too_large: list[str] = []
        self.buffer: io.BytesIO | None = None

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.too_large.append(self.file_name)
            self.buffer = None
            raise SkipFile
        self.buffer.write(raw_data)

    def file_complete(self, file_size):
        if self.buffer is None:
            return None
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
