"""The settings QR code ODK Collect scans to join a study (Project → Configure with QR code):
zlib-compressed JSON in base64, the same shape ODK Central gives its app users. Pure."""

import base64
import json
import zlib

import segno


def collect_settings(*, server_url: str, project_name: str) -> dict:
    """Collect's settings: the study's URL with the device token, forms kept exactly as
    published, finalized forms sent on any connection, and the server not editable on the
    phone (a searched phone shows no other address to try)."""
    return {
        "general": {
            "server_url": server_url,
            "form_update_mode": "match_exactly",
            "autosend": "wifi_and_cellular",
            "delete_send": False,
        },
        "admin": {"change_server": False, "automatic_update": True},
        "project": {"name": project_name, "icon": project_name[:1].upper() or "F"},
    }


def collect_payload(settings: dict) -> str:
    raw = json.dumps(settings, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.b64encode(zlib.compress(raw)).decode("ascii")


def read_collect_payload(payload: str) -> dict:
    """The inverse of `collect_payload` (what Collect does on scanning)."""
    return json.loads(zlib.decompress(base64.b64decode(payload)).decode("utf-8"))


def qr_svg(payload: str) -> str:
    """The QR code as inline SVG (no file, no external service)."""
    return segno.make(payload, error="m").svg_inline(scale=4, border=2)
