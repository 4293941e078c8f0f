"""The production configuration passes Django's deployment checks, driven by environment only."""

import os
import subprocess
import sys
from pathlib import Path

from fieldwork.sources import crypto

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_passes_with_production_environment(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("FIELDWORK_") and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env |= {
        "FIELDWORK_VAR_DIR": str(tmp_path),
        "FIELDWORK_MASTER_KEY": crypto.encode_key(crypto.generate_key()),
        "FIELDWORK_BLIND_INDEX_KEY": crypto.encode_key(crypto.generate_key()),
        "SECRET_KEY": "x" * 30 + "-prod-secret-with-enough-entropy-0123456789",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "fieldwork.example.org",
        "SECURE_SSL_REDIRECT": "true",
        "SESSION_COOKIE_SECURE": "true",
        "CSRF_COOKIE_SECURE": "true",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SECURE_HSTS_PRELOAD": "true",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
