"""Reading an OpenRosa submission (the instance XML ODK Collect, KoboCollect, Enketo or Web
Forms sends): which form and version, its instanceID and deprecatedID, the answers as nested
plain data, the files it refers to, and, for an encrypted form, the envelope's parts.

Pure: bytes in, plain data out. The parser resolves no entities and fetches nothing from the
network, so a hostile body cannot read files or make the server call out (XXE)."""

import functools
import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils.translation import gettext as _
from lxml import etree

from fieldwork.core.xml import SAFE_PARSER, local_name

ENCRYPTED_NS = "http://www.opendatakit.org/xforms/encrypted"


class SubmissionError(Exception):
    """The body is not a submission Fieldwork can read; the message says why, in plain
    words (it goes back to the phone, which shows it)."""


@dataclass(frozen=True)
class ParsedSubmission:
    form_id: str
    version: str
    instance_id: str
    deprecated_id: str
    device_id: str
    #: Answers by question name: groups are dicts, repeats lists of dicts, values strings.
    answers: dict[str, Any]
    encrypted: bool = False
    #: For an encrypted submission: the `.enc` file names the envelope lists (media first,
    #: then the encrypted XML), in the envelope's order.
    encrypted_files: tuple[str, ...] = ()
    #: The root element's attributes other than id/version (e.g. Enketo's).
    root_attributes: dict[str, str] = field(default_factory=dict)
    #: True when the body had no instanceID and one was derived from its content.
    derived_instance_id: bool = False
    #: The parsed instance, to read its answers once the form's repeats are known.
    root: Any = field(default=None, repr=False, compare=False)

    def with_answers(self, repeats: Iterable[str]) -> "ParsedSubmission":
        """The same submission with its answers read against the form's repeat paths,
        without parsing the body again."""
        if self.encrypted:
            return self
        return replace(self, answers=read_answers(self.root, repeats))


def _parse_root(body: bytes) -> etree._Element:
    if not body or not body.strip():
        raise SubmissionError(_("The submission file is empty."))
    try:
        root = etree.fromstring(body, parser=SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        raise SubmissionError(
            _("The submission is not well-formed XML (line %(line)s: %(error)s).")
            % {"line": exc.lineno or "?", "error": exc.msg}
        ) from None
    if root is None:
        raise SubmissionError(_("The submission file is empty."))
    return root


#: What `parse_submission` reads of the meta block.
_META_NAMES = frozenset({"instanceID", "deprecatedID", "deviceID", "deviceid"})


def _meta_values(root: etree._Element) -> dict[str, str]:
    """Each meta/<name> (orx:meta or plain) by name, or a top-level <name> as old Ona forms
    have it where meta has none; the first of each, read in one pass over the root."""
    meta: dict[str, str] = {}
    top: dict[str, str] = {}
    for child in root:
        name = local_name(child.tag)
        if name == "meta":
            for item in child:
                meta.setdefault(local_name(item.tag), (item.text or "").strip())
        elif name in _META_NAMES:
            top.setdefault(name, (child.text or "").strip())
    return top | meta


def read_answers(element: etree._Element, repeats: Iterable[str] = (), prefix: str = "") -> dict:
    """An instance element as nested plain data. `repeats` are the form's repeat paths (below
    the root, e.g. "household/members"): their elements become lists even when only one
    instance was sent. Attributes and namespaces are dropped; `meta` is kept as a group."""
    repeat_paths = frozenset(repeats)
    out: dict[str, Any] = {}
    for child in element:
        name = local_name(child.tag)
        if not name:  # comments, processing instructions
            continue
        path = f"{prefix}{name}"
        if len(child):
            value: Any = read_answers(child, repeat_paths, f"{path}/")
        else:
            value = child.text or ""
        if path in repeat_paths:
            out.setdefault(name, []).append(value if isinstance(value, dict) else {})
        elif name in out:
            # A repeat the form does not declare (or a version mismatch): keep every
            # instance rather than let the last one win.
            previous = out[name]
            out[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            out[name] = value
    return out


def parse_submission(
    body: bytes, *, repeats: Iterable[str] = (), answers: bool = True
) -> ParsedSubmission:
    """Read a submission body. Raises SubmissionError for anything a phone should be told
    about: not XML, no form id. A body without meta/instanceID (clients before 2011) gets
    one derived from its bytes, so that sending it again is still recognised.
    `answers=False` reads only the head (form, version, IDs): `with_answers` reads the
    answers later, when the form says which elements are repeats."""
    root = _parse_root(body)
    form_id = (root.get("id") or "").strip()
    if not form_id:
        raise SubmissionError(
            _("The submission does not say which form it belongs to (no “id” on <%(root)s>).")
            % {"root": local_name(root.tag)}
        )
    encrypted = (root.get("encrypted") or "").lower() == "yes" or (
        etree.QName(root).namespace == ENCRYPTED_NS
    )
    meta = _meta_values(root)
    instance_id = meta.get("instanceID", "")
    derived = not instance_id
    if derived:
        digest = hashlib.sha256(body).hexdigest()
        instance_id = f"uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'fieldwork:sha256:' + digest)}"
    attributes = {key: value for key, value in root.attrib.items() if key not in {"id", "version"}}
    common = {
        "form_id": form_id,
        "version": (root.get("version") or "").strip(),
        "instance_id": instance_id,
        "deprecated_id": meta.get("deprecatedID", ""),
        "device_id": meta.get("deviceID") or meta.get("deviceid", ""),
        "root_attributes": attributes,
        "derived_instance_id": derived,
        "root": root,
    }
    if encrypted:
        return ParsedSubmission(
            answers={}, encrypted=True, encrypted_files=_envelope_files(root), **common
        )
    return ParsedSubmission(answers=read_answers(root, repeats) if answers else {}, **common)


def _envelope_files(root: etree._Element) -> tuple[str, ...]:
    media: list[str] = []
    xml_file = ""
    for child in root:
        name = local_name(child.tag)
        if name == "media":
            media += [(f.text or "").strip() for f in child if local_name(f.tag) == "file"]
        elif name == "encryptedXmlFile":
            xml_file = (child.text or "").strip()
        elif name == "base64EncryptedKey" and not (child.text or "").strip():
            raise SubmissionError(_("The encrypted submission has an empty base64EncryptedKey."))
    if not xml_file:
        raise SubmissionError(
            _("The encrypted submission does not name its encrypted file (encryptedXmlFile).")
        )
    return (*[m for m in media if m], xml_file)


def referenced_files(answers: dict, binary_paths: Iterable[str]) -> list[str]:
    """The file names the answers give to media questions (`binary_paths`, e.g.
    "group/photo"), inside repeats too, in document order, without repeats."""
    wanted = frozenset(binary_paths)
    found: list[str] = []

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, prefix)
            return
        if not isinstance(node, dict):
            return
        for name, value in node.items():
            path = f"{prefix}{name}"
            if isinstance(value, (dict, list)):
                walk(value, f"{path}/")
            elif path in wanted and isinstance(value, str):
                name = value.strip()
                found.extend([name] if name and name not in found else [])

    walk(answers, "")
    return found


@functools.lru_cache(maxsize=64)
def openrosa_response(message: str, *, nature: str = "submit_success") -> bytes:
    """The body ODK clients read and show: an OpenRosaResponse with one message. Kept for
    the messages said most (a phone's "Interview received.", in each language)."""
    root = etree.Element("OpenRosaResponse", nsmap={None: "http://openrosa.org/http/response"})
    root.set("items", "0")
    node = etree.SubElement(root, "message")
    node.set("nature", nature)
    node.text = message
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
