"""A phone's side of ODK encrypted forms, for tests: what ODK Collect does when it finalizes an
interview of a form with a `public_key` (ODK XForms encryption spec). Written from the spec
and Collect's EncryptionUtils, independently of fieldwork.openrosa.odk_crypto, so that
decrypting it tests our reading of the spec rather than agreeing with itself."""

import base64
import hashlib
import os
from dataclasses import dataclass

from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import padding as symmetric_padding
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from lxml import etree

ENCRYPTED_NS = "http://www.opendatakit.org/xforms/encrypted"
ORX_NS = "http://openrosa.org/xforms"


@dataclass
class EncryptedSubmission:
    envelope: bytes
    #: What the phone POSTs besides the envelope, by part name (`photo.jpg.enc`, ...).
    files: dict[str, bytes]
    instance_id: str


def encrypt_like_collect(
    *,
    public_key,
    form_id: str,
    instance_id: str,
    xml: bytes,
    media: dict[str, bytes] | None = None,
    version: str | None = None,
    mgf_hash: hashes.HashAlgorithm | None = None,
) -> EncryptedSubmission:
    media = media or {}
    oaep = padding.OAEP(
        mgf=padding.MGF1(mgf_hash or hashes.SHA256()), algorithm=hashes.SHA256(), label=None
    )
    aes_key = os.urandom(32)
    key_b64 = base64.b64encode(public_key.encrypt(aes_key, oaep)).decode()
    seed = bytearray(hashlib.md5(instance_id.encode() + aes_key).digest())
    counter = 0

    def encrypt(data: bytes) -> bytes:
        nonlocal counter
        seed[counter % 16] = (seed[counter % 16] + 1) & 0xFF
        counter += 1
        padder = symmetric_padding.PKCS7(128).padder()
        padded = padder.update(data) + padder.finalize()
        encryptor = Cipher(algorithms.AES(aes_key), CFB(bytes(seed))).encryptor()
        return encryptor.update(padded) + encryptor.finalize()

    signed = [form_id, *([version] if version is not None else []), key_b64, instance_id]
    files = {}
    for name, data in media.items():  # media first, in order, then the submission
        files[f"{name}.enc"] = encrypt(data)
        signed.append(f"{name}::{hashlib.md5(data).hexdigest()}")
    files["submission.xml.enc"] = encrypt(xml)
    signed.append(f"submission.xml::{hashlib.md5(xml).hexdigest()}")
    digest = hashlib.md5("".join(f"{line}\n" for line in signed).encode()).digest()
    signature = base64.b64encode(public_key.encrypt(digest, oaep)).decode()

    root = etree.Element(f"{{{ENCRYPTED_NS}}}data", nsmap={None: ENCRYPTED_NS})
    root.set("id", form_id)
    if version is not None:
        root.set("version", version)
    root.set("encrypted", "yes")
    etree.SubElement(root, f"{{{ENCRYPTED_NS}}}base64EncryptedKey").text = key_b64
    meta = etree.SubElement(root, f"{{{ORX_NS}}}meta", nsmap={"orx": ORX_NS})
    etree.SubElement(meta, f"{{{ORX_NS}}}instanceID").text = instance_id
    for name in media:
        holder = etree.SubElement(root, f"{{{ENCRYPTED_NS}}}media")
        etree.SubElement(holder, f"{{{ENCRYPTED_NS}}}file").text = f"{name}.enc"
    etree.SubElement(root, f"{{{ENCRYPTED_NS}}}encryptedXmlFile").text = "submission.xml.enc"
    etree.SubElement(root, f"{{{ENCRYPTED_NS}}}base64EncryptedElementSignature").text = signature
    envelope = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return EncryptedSubmission(envelope=envelope, files=files, instance_id=instance_id)
