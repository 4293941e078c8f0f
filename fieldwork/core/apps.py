from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fieldwork.core"
    label = "core"
