"""Forms for instruments. They parse input; the services decide what is allowed."""

from django import forms
from django.utils.translation import gettext_lazy as _

from fieldwork.instruments.models import Disclosure
from fieldwork.instruments.xlsform import SUPPORTED_EXTENSIONS


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("XLSForm"),
        help_text=_(
            "An .xlsx, .xls, .csv or .md XLSForm. A form_id that the study already has adds a "
            "new version of that instrument."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(SUPPORTED_EXTENSIONS)}),
        error_messages={"required": _("Choose the XLSForm file to upload.")},
    )


class DisclosureReviewForm(forms.Form):
    """One select per question that holds an answer, named after the question's id."""

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for q in self.questions:
            self.fields[self.key(q)] = forms.ChoiceField(
                label=q.path, choices=Disclosure.choices, initial=q.disclosure
            )

    @staticmethod
    def key(question) -> str:
        return f"role_{question.pk}"

    def rows(self):
        """(question, bound field) in document order, for the template."""
        return [(q, self[self.key(q)]) for q in self.questions]

    def roles(self) -> dict[str, str]:
        return {q.path: self.cleaned_data[self.key(q)] for q in self.questions}


class MediaForm(forms.Form):
    file = forms.FileField(
        label=_("Form media file"),
        help_text=_("An image, audio or CSV file the form refers to, under the same name."),
        error_messages={"required": _("Choose the file to add.")},
    )
