from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TranscriptsConfig(AppConfig):
    name = "fieldwork.transcripts"
    label = "transcripts"
    verbose_name = _("Transcripts")
