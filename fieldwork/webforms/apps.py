from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebFormsConfig(AppConfig):
    name = "fieldwork.webforms"
    label = "webforms"
    verbose_name = _("Web entry (ODK Web Forms)")
