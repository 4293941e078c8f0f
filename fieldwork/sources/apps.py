from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SourcesConfig(AppConfig):
    name = "fieldwork.sources"
    label = "sources"
    verbose_name = _("Sources")

    def ready(self) -> None:
        from fieldwork.sources import checks  # noqa: F401  (master key check at start)
        from fieldwork.sources.keys import ensure_embedded_keys

        # Before any command's checks connect to the database (which creates the SQLite file),
        # so a first run is still recognised as one.
        ensure_embedded_keys()
