"""What a transcript says, as one value: text, notes and translation. Pure; it is sealed as
one JSON document, so the database learns nothing about which part is long."""

import json
import re
from dataclasses import dataclass

_NEWLINES = re.compile(r"\r\n?")


def normalize_text(value: str) -> str:
    """Line ends as "\\n" (browsers send "\\r\\n"), without NUL characters, so the same text
    typed twice compares equal."""
    return _NEWLINES.sub("\n", value or "").replace("\x00", "")


@dataclass(frozen=True)
class TranscriptContent:
    text: str = ""
    notes: str = ""
    translation: str = ""

    def normalized(self) -> "TranscriptContent":
        return TranscriptContent(
            text=normalize_text(self.text),
            notes=normalize_text(self.notes),
            translation=normalize_text(self.translation),
        )

    def to_bytes(self) -> bytes:
        document = {"v": 1, "text": self.text, "notes": self.notes, "translation": self.translation}
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> "TranscriptContent":
        document = json.loads(data.decode("utf-8"))
        return cls(
            text=document.get("text", ""),
            notes=document.get("notes", ""),
            translation=document.get("translation", ""),
        )
