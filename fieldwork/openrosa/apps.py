from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpenRosaConfig(AppConfig):
    name = "fieldwork.openrosa"
    label = "openrosa"
    verbose_name = _("Phones (OpenRosa)")
