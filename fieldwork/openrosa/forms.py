"""Forms for the device pages. They parse input; the services decide what is allowed."""

from django import forms
from django.utils.translation import gettext_lazy as _

from fieldwork.core.forms import ObjectChoiceField


class DeviceForm(forms.Form):
    label = forms.CharField(
        label=_("Device name"),
        max_length=100,
        help_text=_("So that you can tell phones apart, e.g. “Awa – Tecno Spark”."),
    )
    researcher = ObjectChoiceField(label=_("Carried by"), required=True)

    def __init__(self, *args, researchers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["researcher"].set_objects(researchers)
        if len(researchers) == 1:
            self.fields["researcher"].initial = researchers[0][0]
