"""Reading transcripts out of uploaded files: real .docx and .odt files written by python-docx
and odfpy (as Word and LibreOffice write them), hand-made packages for the corners those
libraries do not write, plain text in the encodings field laptops save, and every way a file
can be wrong."""

import io
import zipfile

import docx
import pytest
from odf import teletype
from odf.office import Annotation
from odf.opendocument import OpenDocumentSpreadsheet, OpenDocumentText
from odf.table import Table, TableCell, TableRow
from odf.text import H, LineBreak, List, ListItem, Note, NoteBody, NoteCitation, P, S, Span, Tab

from fieldwork.transcripts.documents import (
    MAX_FILE_BYTES,
    MAX_XML_BYTES,
    DocumentError,
    extract_text,
)

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _docx_bytes(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _odt_bytes(document) -> bytes:
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


# --- Word -------------------------------------------------------------------------------------


def test_word_document_paragraphs_accents_tables_tabs_and_breaks():
    document = docx.Document()
    document.add_heading("Entretien n° 12 — Sévaré", level=1)
    document.add_paragraph("Q : Qu’avez-vous payé au poste de contrôle ?")
    answer = document.add_paragraph("R : Deux mille francs, ")
    answer.add_run("à chaque passage").bold = True
    answer.add_run(".\tPuis ils ont pris la moto.")
    answer.add_run().add_break()
    answer.add_run("Ligne suivante, même paragraphe.")
    document.add_paragraph("")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Lieu"
    table.cell(0, 1).text = "Bandiagara, près de l’école"
    document.add_paragraph("Fin : « merci » — œuvre, ça, Ségou.")

    extracted = extract_text(data=_docx_bytes(document), filename="entretien 12.docx")

    assert extracted.kind == "docx"
    assert extracted.text == (
        "Entretien n° 12 — Sévaré\n"
        "Q : Qu’avez-vous payé au poste de contrôle ?\n"
        "R : Deux mille francs, à chaque passage.\tPuis ils ont pris la moto.\n"
        "Ligne suivante, même paragraphe.\n"
        "\n"
        "Lieu\n"
        "Bandiagara, près de l’école\n"
        "Fin : « merci » — œuvre, ça, Ségou."
    )


def _package(parts: dict[str, str | bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in parts.items():
            package.writestr(name, content)
    return out.getvalue()


def _word_package(body: str) -> bytes:
    return _package(
        {
            "[Content_Types].xml": (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
            ),
            "word/document.xml": (
                '<?xml version="1.0" encoding="UTF-8"?>'
                f'<w:document xmlns:w="{W}" '
                'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
                f"<w:body>{body}</w:body></w:document>"
            ),
        }
    )


def test_word_tracked_changes_text_boxes_and_field_codes():
    body = (
        "<w:p><w:r><w:t>Il a dit </w:t></w:r>"
        "<w:del><w:r><w:delText>cinq</w:delText></w:r></w:del>"
        "<w:ins><w:r><w:t>six</w:t></w:r></w:ins>"
        "<w:r><w:t xml:space='preserve'> hommes armés.</w:t></w:r></w:p>"
        "<w:p><w:r><w:instrText> PAGE </w:instrText></w:r><w:r><w:t>Page</w:t></w:r></w:p>"
        "<w:p><w:r><mc:AlternateContent>"
        "<mc:Choice><w:txbxContent><w:p><w:r><w:t>Encadré</w:t></w:r></w:p></w:txbxContent>"
        "</mc:Choice>"
        "<mc:Fallback><w:txbxContent><w:p><w:r><w:t>Encadré</w:t></w:r></w:p></w:txbxContent>"
        "</mc:Fallback>"
        "</mc:AlternateContent></w:r><w:r><w:t>Après l’encadré</w:t></w:r></w:p>"
    )
    extracted = extract_text(data=_word_package(body), filename="suivi.docx")
    assert extracted.text == "Il a dit six hommes armés.\nPage\nEncadré\nAprès l’encadré"


# --- OpenDocument -----------------------------------------------------------------------------


def test_opendocument_text_paragraphs_spaces_lists_tables():
    document = OpenDocumentText()
    heading = H(outlinelevel=1)
    teletype.addTextToElement(heading, "Entretien à Mopti")
    document.text.addElement(heading)
    first = P()
    first.addText("Le chef de poste ")
    emphasis = Span()
    emphasis.addText("a exigé")
    first.addElement(emphasis)
    first.addText(" dix mille")
    first.addElement(S(c=3))
    first.addText("francs.")
    first.addElement(Tab())
    first.addText("Après")
    first.addElement(LineBreak())
    first.addText("à la ligne.")
    document.text.addElement(first)
    items = List()
    for text in ("Première réponse", "Deuxième réponse"):
        item = ListItem()
        paragraph = P()
        paragraph.addText(text)
        item.addElement(paragraph)
        items.addElement(item)
    document.text.addElement(items)
    table = Table(name="Lieux")
    row = TableRow()
    cell = TableCell()
    place = P()
    place.addText("Sangha — Ogol")
    cell.addElement(place)
    row.addElement(cell)
    table.addElement(row)
    document.text.addElement(table)

    extracted = extract_text(data=_odt_bytes(document), filename="mopti.odt")

    assert extracted.kind == "odt"
    assert extracted.text == (
        "Entretien à Mopti\n"
        "Le chef de poste a exigé dix mille   francs.\tAprès\nà la ligne.\n"
        "Première réponse\n"
        "Deuxième réponse\n"
        "Sangha — Ogol"
    )


def test_opendocument_footnotes_and_comments_stay_out_of_the_text():
    document = OpenDocumentText()
    paragraph = P()
    paragraph.addText("Ils sont venus la nuit")
    note = Note(noteclass="footnote", id="n1")
    note.addElement(NoteCitation(text="1"))
    body = NoteBody()
    body.addElement(P(text="Selon un second témoin."))
    note.addElement(body)
    paragraph.addElement(note)
    comment = Annotation()
    comment.addElement(P(text="Vérifier la date"))
    paragraph.addElement(comment)
    paragraph.addText(", à moto.")
    document.text.addElement(paragraph)

    assert extract_text(data=_odt_bytes(document), filename="nuit.odt").text == (
        "Ils sont venus la nuit, à moto."
    )


def test_an_opendocument_under_a_word_name_is_read_for_what_it_is():
    document = OpenDocumentText()
    document.text.addElement(P(text="Texte d’un fichier mal nommé."))
    extracted = extract_text(data=_odt_bytes(document), filename="renomme.docx")
    assert (extracted.kind, extracted.text) == ("odt", "Texte d’un fichier mal nommé.")


# --- Plain text -------------------------------------------------------------------------------

SAMPLE = "Été à Ségou : l’œuvre « coûte » 5 000 F.\nDeuxième ligne."


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (SAMPLE.encode("utf-8"), "UTF-8"),
        (SAMPLE.encode("utf-8-sig"), "UTF-8"),
        (SAMPLE.encode("utf-16"), "UTF-16"),  # with its byte order mark, as Notepad writes
        (SAMPLE.encode("utf-16-le"), "UTF-16"),  # without one
        (SAMPLE.encode("utf-16-be"), "UTF-16"),
        (SAMPLE.encode("utf-32"), "UTF-32"),
        # Notepad's "ANSI" on a French Windows: ’ œ « » are not in Latin-1
        (SAMPLE.replace("\n", "\r\n").encode("cp1252"), "Windows-1252"),
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "utf16le", "utf16be", "utf32", "cp1252-crlf"],
)
def test_plain_text_encodings(data, encoding):
    extracted = extract_text(data=data, filename="notes.TXT")
    assert (extracted.kind, extracted.text, extracted.encoding) == ("txt", SAMPLE, encoding)
    assert encoding in extracted.description


def test_bytes_windows_1252_leaves_undefined_are_read_as_latin_1():
    extracted = extract_text(data=b"Caf\xe9 \x81 fin", filename="vieux.txt")
    assert extracted.text == "Café \x81 fin"
    assert extracted.encoding == "Latin-1 (ISO 8859-1)"


def test_old_mac_and_windows_line_ends_become_newlines():
    extracted = extract_text(data=b"un\r\ndeux\rtrois\n", filename="fins.txt")
    assert extracted.text == "un\ndeux\ntrois"


# --- Wrong files ------------------------------------------------------------------------------


def _error(data: bytes, filename: str) -> str:
    with pytest.raises(DocumentError) as caught:
        extract_text(data=data, filename=filename)
    return str(caught.value)


@pytest.mark.parametrize(
    ("filename", "data", "says"),
    [
        ("vide.txt", b"", "is empty"),
        ("blanc.txt", b"  \r\n\t\n ", "holds no text"),
        ("vide.docx", b"", "is empty"),
        ("binaire.txt", bytes(range(256)) * 4, "binary data, not text"),
        ("archive.txt", _package({"a.txt": "x"}), "not plain text although its name ends in .txt"),
        ("scan.pdf", b"%PDF-1.7\n", "PDF file, which cannot be read"),
        ("notes.rtf", b"{\\rtf1\\ansi Bonjour}", "RTF file, which cannot be read"),
        ("ancien.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "old Word document"),
        ("photo.jpg", b"\xff\xd8\xff\xe0", "Files of type “.jpg” cannot be read"),
        ("sans-extension", b"du texte", "has no file extension"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(filename, data, says):
    message = _error(data, filename)
    assert says in message
    if data:
        assert filename in message  # the user knows which file


def test_a_protected_or_renamed_old_word_file():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2048
    assert "protected by a password, or is an old Word document" in _error(ole, "secret.docx")


def test_a_truncated_word_file_is_reported_as_damaged():
    document = docx.Document()
    document.add_paragraph("Un long entretien. " * 200)
    data = _docx_bytes(document)
    message = _error(data[: len(data) // 2], "coupé.docx")
    assert "could not be read as a Word document: it is damaged or incomplete" in message


def test_a_zip_that_is_no_document():
    message = _error(_package({"photo.jpg": b"\xff\xd8"}), "album.docx")
    assert "damaged or incomplete" in message


def test_a_spreadsheet_is_not_a_transcript():
    sheet = OpenDocumentSpreadsheet()
    assert "is a spreadsheet, not a text document" in _error(_odt_bytes(sheet), "liste.odt")
    workbook = _package({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"})
    assert "is a spreadsheet, not a text document" in _error(workbook, "liste.docx")


def test_a_password_protected_opendocument():
    document = OpenDocumentText()
    document.text.addElement(P(text="Secret"))
    data = _odt_bytes(document)
    parts = {}
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for name in package.namelist():
            parts[name] = package.read(name)
    parts["META-INF/manifest.xml"] = parts["META-INF/manifest.xml"].replace(
        b"</manifest:manifest>",
        b'<manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/>'
        b"</manifest:file-entry></manifest:manifest>",
    )
    assert "protected by a password" in _error(_package(parts), "protégé.odt")


def test_xml_with_entities_is_refused():
    """Neither format uses a DTD; one in an upload is an attempt to expand entities."""
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>&b;</w:t></w:r></w:p></w:body>'
        "</w:document>"
    )
    data = _package({"[Content_Types].xml": "<Types/>", "word/document.xml": bomb})
    assert "damaged or incomplete" in _error(data, "entites.docx")


def test_too_large_a_file():
    message = _error(b"a" * (MAX_FILE_BYTES + 1), "énorme.txt")
    assert "files of at most 5.0" in message


def test_a_zip_bomb_stops_at_the_unpacked_limit():
    # Under a megabyte packed, more than the limit unpacked.
    document = (
        f'<w:document xmlns:w="{W}"><w:body>' + " " * MAX_XML_BYTES + "</w:body></w:document>"
    )
    data = _package({"[Content_Types].xml": "<Types/>", "word/document.xml": document})
    assert len(data) < MAX_FILE_BYTES
    assert "unpacks to more than" in _error(data, "bombe.docx")
