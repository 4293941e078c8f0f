"""Text out of the files field researchers type transcripts in: plain text (.txt), Word
(.docx) and OpenDocument (.odt). Pure: bytes in, text out; no database, nothing on disk.

Files come from laptops in the field, so the usual accidents get a sentence that says what is
wrong and what to do: a .txt saved by Notepad in Windows-1252 or UTF-16, an old .doc renamed
.docx, a password-protected document, a spreadsheet, a truncated download. It also refuses
what could exhaust the server: a file over `MAX_FILE_BYTES`, a zip whose document part unpacks
to more than `MAX_XML_BYTES` (a zip bomb), XML with a DTD (entity expansion; neither format
uses one).

Plain text is read as UTF-8, UTF-16 or UTF-32 when the file starts with a byte order mark,
else as UTF-8 if it decodes, UTF-16 if it is full of NUL bytes in the UTF-16 pattern, else as
Windows-1252 (what Notepad and Word call "ANSI" on a French Windows), and as Latin-1 for the
few bytes Windows-1252 leaves undefined. `ExtractedText.encoding` says which, so the page can
tell the user.
"""

import codecs
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePath
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

MAX_FILE_BYTES = 5 * 1024 * 1024
#: The most a document's XML part may unpack to; a long transcript's is a few megabytes.
MAX_XML_BYTES = 32 * 1024 * 1024
SUPPORTED_SUFFIXES = (".txt", ".docx", ".odt")


class DocumentError(ValueError):
    """The file cannot be read; the message says why, for the user."""


@dataclass(frozen=True)
class ExtractedText:
    text: str
    kind: str  # "txt", "docx" or "odt": what the content turned out to be
    encoding: str = ""  # for plain text: how it was decoded ("UTF-8", "Windows-1252", ...)

    @property
    def description(self) -> str:
        if self.kind == "docx":
            return _("Word document")
        if self.kind == "odt":
            return _("OpenDocument text")
        return _("plain text, read as %(encoding)s") % {"encoding": self.encoding}


def extract_text(*, data: bytes, filename: str) -> ExtractedText:
    """The text of an uploaded .txt, .docx or .odt file, paragraphs on their own lines and
    line ends as "\\n". Raises DocumentError with a user-facing sentence for an empty, too
    large, unsupported, corrupt or protected file."""
    name = PurePath(filename or "").name
    suffix = PurePath(name).suffix.lower()
    if len(data) > MAX_FILE_BYTES:
        raise DocumentError(
            _("The file “%(name)s” is %(size)s; files of at most %(limit)s can be read.")
            % {
                "name": name,
                "size": filesizeformat(len(data)),
                "limit": filesizeformat(MAX_FILE_BYTES),
            }
        )
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(_unsupported_message(name, suffix, data))
    if not data:
        raise DocumentError(_("The file “%(name)s” is empty.") % {"name": name})
    if suffix == ".txt":
        if kind := _sniff(data):
            raise DocumentError(
                _(
                    "The file “%(name)s” is not plain text although its name ends in .txt "
                    "(it looks like a %(kind)s). Rename it or save it again as text."
                )
                % {"name": name, "kind": kind}
            )
        text, encoding = _decode_plain_text(data, name=name)
        return _finish(ExtractedText(text=text, kind="txt", encoding=encoding), name=name)
    return _finish(_extract_package(data, name=name, suffix=suffix), name=name)


# --- Plain text --------------------------------------------------------------------------------

_BOMS = (  # UTF-32 first: its little-endian mark starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)


def _decode_plain_text(data: bytes, *, name: str) -> tuple[str, str]:
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), label
            except UnicodeDecodeError:
                raise DocumentError(
                    _(
                        "The file “%(name)s” starts as %(encoding)s text but is damaged further "
                        "on. Save it again as text and upload it again."
                    )
                    % {"name": name, "encoding": label}
                ) from None
    if b"\x00" in data:
        utf16 = _utf16_without_bom(data)
        if utf16 is not None:
            return utf16, "UTF-16"
        raise DocumentError(_("The file “%(name)s” holds binary data, not text.") % {"name": name})
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        # Five bytes are undefined in Windows-1252; Latin-1 reads every byte.
        return data.decode("latin-1"), "Latin-1 (ISO 8859-1)"


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without a byte order mark: mostly Latin script, so one byte of each pair is
    NUL, on the odd side (little-endian) or the even side (big-endian)."""
    sample = data[:4096]
    if len(data) % 2:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nuls > half * 0.3 and even_nuls < half * 0.05:
        codec = "utf-16-le"
    elif even_nuls > half * 0.3 and odd_nuls < half * 0.05:
        codec = "utf-16-be"
    else:
        return None
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else text


# --- Recognizing what a file really is ---------------------------------------------------------

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _sniff(data: bytes) -> str:
    """A name for binary formats a researcher might upload by mistake, or ""."""
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _("zip archive or office document")
    if data.startswith(_OLE):
        return _("old Word or other Office document")
    if data.startswith(b"%PDF"):
        return _("PDF document")
    if data.startswith(b"{\\rtf"):
        return _("RTF document")
    return ""


def _unsupported_message(name: str, suffix: str, data: bytes) -> str:
    if suffix == ".doc":
        return _(
            "“%(name)s” is an old Word document (.doc), which cannot be read. Open it in Word "
            "or LibreOffice and save it as .docx or .odt, then upload that."
        ) % {"name": name}
    if suffix in (".pdf", ".rtf"):
        return _(
            "“%(name)s” is a %(kind)s file, which cannot be read. Save the transcript as .docx, "
            ".odt or .txt, or paste its text into the box."
        ) % {"name": name, "kind": suffix[1:].upper()}
    if not suffix:
        return _(
            "“%(name)s” has no file extension, so its type is unknown. Upload a .txt, .docx or "
            ".odt file."
        ) % {"name": name}
    return _(
        "Files of type “%(suffix)s” cannot be read (“%(name)s”). Upload a .txt, .docx or .odt "
        "file, or paste the text into the box."
    ) % {"suffix": suffix, "name": name}


# --- Word and OpenDocument: zip packages of XML ------------------------------------------------

_W_NAMESPACES = (
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",  # "Strict Open XML"
)
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_OFFICE_DOCUMENT_REL = re.compile(r"/officeDocument$")
_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"

_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_ODT_MIMETYPE = "application/vnd.oasis.opendocument.text"
_ODF_OTHER = {
    "application/vnd.oasis.opendocument.spreadsheet": "spreadsheet",
    "application/vnd.oasis.opendocument.presentation": "presentation",
}


def _extract_package(data: bytes, *, name: str, suffix: str) -> ExtractedText:
    expected = _("Word") if suffix == ".docx" else _("OpenDocument")
    if data.startswith(_OLE):
        raise DocumentError(
            _(
                "“%(name)s” is protected by a password, or is an old Word document (.doc) "
                "renamed. Remove the password or save it as .docx or .odt, then upload it again."
            )
            % {"name": name}
        )
    if not data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise DocumentError(_corrupt(name, expected))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
            mimetype = ""
            if "mimetype" in names:
                mimetype = _read_member(package, "mimetype", name=name, expected=expected)
                mimetype = mimetype.decode("ascii", "replace").strip()
            if mimetype == _ODT_MIMETYPE or ("content.xml" in names and not mimetype):
                return _extract_odt(package, names, name=name, expected=expected)
            if mimetype in _ODF_OTHER:
                raise DocumentError(_wrong_document(name, _ODF_OTHER[mimetype]))
            if "[Content_Types].xml" in names:
                return _extract_docx(package, names, name=name, expected=expected)
            raise DocumentError(_corrupt(name, expected))
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,  # a compression method zipfile does not know
        RuntimeError,  # an encrypted entry
    ):
        raise DocumentError(_corrupt(name, expected)) from None


def _corrupt(name: str, expected: str) -> str:
    return _(
        "“%(name)s” could not be read as a %(kind)s document: it is damaged or incomplete "
        "(perhaps a download that stopped). Open it on your computer, save it again and upload "
        "it again."
    ) % {"name": name, "kind": expected}


def _wrong_document(name: str, what: str) -> str:
    labels = {
        "spreadsheet": _("a spreadsheet"),
        "presentation": _("a presentation"),
    }
    return _(
        "“%(name)s” is %(what)s, not a text document. Upload the transcript as .docx, .odt or .txt."
    ) % {"name": name, "what": labels[what]}


def _read_member(package: zipfile.ZipFile, member: str, *, name: str, expected: str) -> bytes:
    """One part of the package, refusing one that unpacks beyond MAX_XML_BYTES (checked while
    reading too: the sizes in a zip's directory can lie)."""
    try:
        info = package.getinfo(member)
    except KeyError:
        raise DocumentError(_corrupt(name, expected)) from None
    too_large = _(
        "“%(name)s” unpacks to more than %(limit)s of text markup; it cannot be read. Split it "
        "into smaller files."
    ) % {"name": name, "limit": filesizeformat(MAX_XML_BYTES)}
    if info.file_size > MAX_XML_BYTES:
        raise DocumentError(too_large)
    with package.open(info) as fh:
        content = fh.read(MAX_XML_BYTES + 1)
    if len(content) > MAX_XML_BYTES:
        raise DocumentError(too_large)
    return content


def _parse_xml(content: bytes, *, name: str, expected: str) -> Element:
    try:
        return SafeET.fromstring(content, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError):
        raise DocumentError(_corrupt(name, expected)) from None


def _local(tag) -> tuple[str, str]:
    """(namespace, local name) of an element's tag; comments and processing instructions
    have no string tag."""
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        namespace, _sep, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


# --- Word ---------------------------------------------------------------------------------------


def _extract_docx(package, names: set[str], *, name: str, expected: str) -> ExtractedText:
    if {"xl/workbook.xml", "ppt/presentation.xml"} & names:
        what = "spreadsheet" if "xl/workbook.xml" in names else "presentation"
        raise DocumentError(_wrong_document(name, what))
    part = _docx_main_part(package, names, name=name, expected=expected)
    root = _parse_xml(
        _read_member(package, part, name=name, expected=expected), name=name, expected=expected
    )
    paragraphs: list[str] = []
    try:
        _docx_walk(root, [], paragraphs)
    except RecursionError:
        raise DocumentError(_corrupt(name, expected)) from None
    return ExtractedText(text="\n".join(paragraphs), kind="docx")


def _docx_main_part(package, names: set[str], *, name: str, expected: str) -> str:
    """The main document part named by the package relationships (usually
    word/document.xml)."""
    if "_rels/.rels" in names:
        rels = _parse_xml(
            _read_member(package, "_rels/.rels", name=name, expected=expected),
            name=name,
            expected=expected,
        )
        for rel in rels.iter(f"{_REL_NS}Relationship"):
            if _OFFICE_DOCUMENT_REL.search(rel.get("Type", "")):
                target = rel.get("Target", "").lstrip("/")
                if target in names:
                    return target
    if "word/document.xml" in names:
        return "word/document.xml"
    raise DocumentError(_corrupt(name, expected))


def _docx_walk(element: Element, buffer: list[str], paragraphs: list[str]) -> None:
    """Paragraphs in document order (tables, text boxes and content controls included);
    tracked deletions, field codes and compatibility fallbacks left out."""
    for child in element:
        namespace, local = _local(child.tag)
        if namespace == _MC and local == "Fallback":
            continue  # the same content again, for older readers
        if namespace not in _W_NAMESPACES:
            _docx_walk(child, buffer, paragraphs)
            continue
        if local == "p":
            inner: list[str] = []
            _docx_walk(child, inner, paragraphs)
            paragraphs.append("".join(inner))
        elif local == "t":
            buffer.append(child.text or "")
        elif local == "tab":
            buffer.append("\t")
        elif local in ("br", "cr"):
            buffer.append("\n")
        elif local == "noBreakHyphen":
            buffer.append("-")
        elif local in ("del", "delText", "instrText", "moveFrom", "rPr", "pPr", "sectPr"):
            continue
        else:
            _docx_walk(child, buffer, paragraphs)


# --- OpenDocument -------------------------------------------------------------------------------

_ODF_SPACE = re.compile(r"[ \t\r\n]+")
_ODT_SKIP = {
    (_TEXT, "note"),  # footnotes would land in the middle of a sentence
    (_TEXT, "tracked-changes"),  # deleted text of tracked changes
    (_TEXT, "sequence-decls"),
    (_TEXT, "variable-decls"),
    (_OFFICE, "annotation"),  # comments
    (_OFFICE, "annotation-end"),
    (_OFFICE, "forms"),
}


def _extract_odt(package, names: set[str], *, name: str, expected: str) -> ExtractedText:
    if "META-INF/manifest.xml" in names:
        manifest = _read_member(package, "META-INF/manifest.xml", name=name, expected=expected)
        if b"encryption-data" in manifest:
            raise DocumentError(
                _(
                    "“%(name)s” is protected by a password. Save it again without the password "
                    "and upload it again."
                )
                % {"name": name}
            )
    root = _parse_xml(
        _read_member(package, "content.xml", name=name, expected=expected),
        name=name,
        expected=expected,
    )
    body = root.find(f"{{{_OFFICE}}}body/{{{_OFFICE}}}text")
    if body is None:
        raise DocumentError(_corrupt(name, expected))
    paragraphs: list[str] = []
    try:
        _odt_block(body, paragraphs)
    except RecursionError:
        raise DocumentError(_corrupt(name, expected)) from None
    return ExtractedText(text="\n".join(paragraphs), kind="odt")


def _odt_block(element: Element, paragraphs: list[str]) -> None:
    for child in element:
        key = _local(child.tag)
        if key in _ODT_SKIP:
            continue
        if key in ((_TEXT, "p"), (_TEXT, "h")):
            _odt_paragraph(child, paragraphs)
        else:  # lists, sections, tables, frames
            _odt_block(child, paragraphs)


def _odt_paragraph(element: Element, paragraphs: list[str]) -> None:
    buffer: list[str] = []
    _odt_inline(element, buffer, paragraphs)
    paragraphs.append("".join(buffer).strip(" "))


def _odt_inline(element: Element, buffer: list[str], paragraphs: list[str]) -> None:
    """The mixed content of a paragraph: character data with white space collapsed as ODF
    says, `text:s` for the spaces that count, tabs and line breaks."""
    in_text = _local(element.tag)[0] == _TEXT
    if in_text and element.text:
        buffer.append(_ODF_SPACE.sub(" ", element.text))
    for child in element:
        key = _local(child.tag)
        if key in _ODT_SKIP:
            pass
        elif key == (_TEXT, "s"):
            count = child.get(f"{{{_TEXT}}}c") or "1"
            buffer.append(" " * min(int(count) if count.isdigit() else 1, 1000))
        elif key == (_TEXT, "tab"):
            buffer.append("\t")
        elif key == (_TEXT, "line-break"):
            buffer.append("\n")
        elif key in ((_TEXT, "p"), (_TEXT, "h")):
            _odt_paragraph(child, paragraphs)  # a text box inside the paragraph
        else:
            _odt_inline(child, buffer, paragraphs)
        if in_text and child.tail:
            buffer.append(_ODF_SPACE.sub(" ", child.tail))


# --- Common end ---------------------------------------------------------------------------------

_NEWLINES = re.compile(r"\r\n?")


def _finish(extracted: ExtractedText, *, name: str) -> ExtractedText:
    text = _NEWLINES.sub("\n", extracted.text).replace("\ufeff", "")
    if "\x00" in text:
        raise DocumentError(_("The file “%(name)s” holds binary data, not text.") % {"name": name})
    text = text.strip("\n")
    if not text.strip():
        raise DocumentError(_("The file “%(name)s” holds no text.") % {"name": name})
    return ExtractedText(text=text, kind=extracted.kind, encoding=extracted.encoding)
