"""Whether the ODK Web Forms bundle is there to serve.

`make webforms` builds it from webforms/ (package.json + package-lock.json) into
static/webforms/; it is not committed, and a server without Node.js has none. Pages check
before they point a browser at a file that is not there."""

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage

#: The entry module, relative to the static files root.
BUNDLE = "webforms/webforms.js"
BUILD_COMMAND = "make webforms"


def bundle_built() -> bool:
    """True when the bundle is found among the static files (the source folders while
    developing, STATIC_ROOT after `collectstatic`)."""
    if finders.find(BUNDLE):
        return True
    try:
        return staticfiles_storage.exists(BUNDLE)
    except (OSError, ValueError):  # no STATIC_ROOT folder yet
        return False
