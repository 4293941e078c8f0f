"""Environment access for settings (django-environ), as in HackSoft's config/env.py."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
