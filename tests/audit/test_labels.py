"""Every audit action the code writes has a readable name on the audit page."""

import re
from pathlib import Path

from django.conf import settings

from fieldwork.audit.labels import ACTION_LABELS

ACTION = re.compile(r"action=([^\n]+)")
DOTTED = re.compile(r'"([a-z_]+\.[a-z_]+)"')


def test_every_action_written_has_a_label():
    written = set()
    for path in (Path(settings.BASE_DIR) / "fieldwork").rglob("*.py"):
        for line in ACTION.findall(path.read_text()):
            written |= set(DOTTED.findall(line))
    assert len(written) > 30
    assert sorted(written - ACTION_LABELS.keys()) == []
