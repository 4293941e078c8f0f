"""Form fields shared by the pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

NO_CHOICE = _("—")


class ObjectChoiceField(forms.ChoiceField):
    """A select over objects already loaded (with labels built once, e.g. an indented tree),
    cleaned to the object itself. Avoids one query per option and per lookup."""

    def __init__(self, *, objects=(), blank_label=NO_CHOICE, **kwargs):
        self.blank_label = blank_label
        super().__init__(**kwargs)
        self.set_objects(objects)

    def set_objects(self, objects) -> None:
        """`objects` is a list of (object, label)."""
        self.by_key = {str(obj.pk): obj for obj, _label in objects}
        self.choices = [("", self.blank_label)] + [(str(obj.pk), label) for obj, label in objects]

    def clean(self, value):
        value = super().clean(value)
        return self.by_key.get(value) if value else None

    def prepare_value(self, value):
        return str(value.pk) if hasattr(value, "pk") else value


class ObjectMultipleChoiceField(forms.MultipleChoiceField):
    def __init__(self, *, objects=(), **kwargs):
        super().__init__(**kwargs)
        self.set_objects(objects)

    def set_objects(self, objects) -> None:
        self.by_key = {str(obj.pk): obj for obj, _label in objects}
        self.choices = [(str(obj.pk), label) for obj, label in objects]

    def clean(self, value):
        return [self.by_key[v] for v in super().clean(value)]

    def prepare_value(self, value):
        if value is None:
            return []
        return [str(getattr(v, "pk", v)) for v in value]
