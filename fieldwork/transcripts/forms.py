"""The transcript form: it parses input; the service decides what may be saved."""

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from fieldwork.transcripts.documents import MAX_FILE_BYTES
from fieldwork.transcripts.services import MAX_LANGUAGE_CHARS

OTHER = "other"
#: The languages of the field (central Mali) first; any other is named in free text.
LANGUAGES = [
    ("fr", _("French")),
    ("bm", _("Bambara")),
    ("ff", _("Fulfulde (Peul)")),
    ("ses", _("Songhay")),
    ("tmh", _("Tamasheq")),
    ("snk", _("Soninke")),
    ("ar", _("Arabic")),
    ("en", _("English")),
]
LANGUAGE_CODES = {code for code, _label in LANGUAGES}
LANGUAGE_LABELS = dict(LANGUAGES)


def language_label(value: str) -> str:
    """A stored language as people read it: a known code's name, free text as typed."""
    return str(LANGUAGE_LABELS.get(value, value)) if value else ""


def split_language(value: str) -> tuple[str, str]:
    """A stored language as the form shows it: (choice, free text for "other")."""
    if not value or value in LANGUAGE_CODES:
        return value or "", ""
    return OTHER, value


class LanguageChoiceField(forms.ChoiceField):
    def __init__(self, **kwargs):
        choices = [
            ("", pgettext_lazy("language", "Not said")),
            *LANGUAGES,
            (OTHER, _("Other (name it)")),
        ]
        super().__init__(choices=choices, required=False, **kwargs)


def _upload_help() -> str:
    # The limit as a refused file's message writes it (filesizeformat), in the same unit.
    return gettext(".txt, .docx (Word) or .odt (LibreOffice), at most %(limit)s.") % {
        "limit": filesizeformat(MAX_FILE_BYTES)
    }


class UploadMode:
    REPLACE = "replace"
    APPEND = "append"


class TranscriptForm(forms.Form):
    """Text, notes and translation with their languages; optionally a file whose text
    replaces the transcript or is added after it. `revision` and `session` carry what the
    page was based on, for the service's conflict check."""

    revision = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    session = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)
    language = LanguageChoiceField(label=_("Language of the transcript"))
    language_other = forms.CharField(
        label=_("Other language"), max_length=MAX_LANGUAGE_CHARS, required=False
    )
    text = forms.CharField(
        label=_("Transcript"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "true"}),
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Context, doubts, what the recording does not say. Coders read them too."),
    )
    translation_language = LanguageChoiceField(label=_("Language of the translation"))
    translation_language_other = forms.CharField(
        label=_("Other language"), max_length=MAX_LANGUAGE_CHARS, required=False
    )
    translation = forms.CharField(
        label=_("Translation"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 24}),
    )
    upload = forms.FileField(
        label=_("File"),
        required=False,
        help_text=lazy(_upload_help, str)(),
        widget=forms.FileInput(attrs={"accept": ".txt,.docx,.odt"}),
    )
    upload_mode = forms.ChoiceField(
        label=_("The file's text"),
        choices=[
            (UploadMode.REPLACE, _("replaces the transcript")),
            (UploadMode.APPEND, _("is added after the transcript")),
        ],
        initial=UploadMode.REPLACE,
        required=False,
        widget=forms.RadioSelect,
    )

    def clean(self):
        data = super().clean()
        for field in ("language", "translation_language"):
            choice = data.get(field) or ""
            if choice == OTHER:
                other = (data.get(f"{field}_other") or "").strip()
                if not other:
                    self.add_error(f"{field}_other", _("Name the language."))
                data[field] = other
        if not data.get("upload_mode"):
            data["upload_mode"] = UploadMode.REPLACE
        return data

    @classmethod
    def initial_for(cls, *, transcript, content, interview, session: str) -> dict:
        language = transcript.language if transcript else interview.language
        translation_language = transcript.translation_language if transcript else ""
        choice, other = split_language(language or "")
        t_choice, t_other = split_language(translation_language)
        return {
            "revision": transcript.revision if transcript else 0,
            "session": session,
            "language": choice,
            "language_other": other,
            "translation_language": t_choice,
            "translation_language_other": t_other,
            "text": content.text,
            "notes": content.notes,
            "translation": content.translation,
            "upload_mode": UploadMode.REPLACE,
        }
