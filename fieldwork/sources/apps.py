from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SourcesConfig(AppConfig):
    name = "fieldwork.sources"
    label = "sources"
    verbose_name = _("Sources")

    def ready(self) -> None:
        from fieldwork.sources import checks  # noqa: F401  (master key check at start)
