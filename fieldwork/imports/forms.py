"""Forms for the import pages. They parse input; the services decide what is allowed."""

from django import forms
from django.utils.translation import gettext_lazy as _

from fieldwork.core.forms import ObjectChoiceField
from fieldwork.imports.models import ImportBatch

ACCEPTED = ".csv,.xlsx,.zip,.json"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """One file, or several (an ODK export's main CSV with its repeats' CSVs)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPTED}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data] if data else single(None, initial)
        return [single(data, initial)]


class ImportUploadForm(forms.Form):
    instrument_version = ObjectChoiceField(
        label=_("Questionnaire version"),
        help_text=_("The published (or retired) version the export was made with."),
        error_messages={"required": _("Choose the questionnaire version of the export.")},
    )
    files = MultipleFileField(
        label=_("Export"),
        help_text=_(
            "A CSV or XLSX export of KoboToolbox or Ona; an ODK Central zip, or an ODK "
            "Briefcase CSV with the CSV files of its repeats; or a KoboToolbox JSON file."
        ),
        error_messages={"required": _("Choose the export file to import.")},
    )

    def __init__(self, *args, versions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instrument_version"].set_objects(versions)


class ImportConfirmForm(forms.Form):
    batch = forms.UUIDField(widget=forms.HiddenInput)
    mode = forms.ChoiceField(
        label=_("What to import"),
        choices=ImportBatch.Mode.choices,
        initial=ImportBatch.Mode.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )
