"""Forms for sources and consent. They parse input; the services decide what is allowed."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fieldwork.core.forms import ObjectChoiceField
from fieldwork.sources.identity import Identity
from fieldwork.sources.models import ConsentMethod, ConsentScope, Gender
from fieldwork.sources.selectors import consent_form_current
from fieldwork.sources.services import ConsentGrant, SourceAttributes
from fieldwork.studies.selectors import place_choices


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class SourceFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Code or community"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    place = ObjectChoiceField(label=_("Place"), required=False, blank_label=_("All places"))
    consent = forms.ChoiceField(
        label=_("Consent"),
        required=False,
        choices=[("", _("Any")), ("withdrawn", _("With a withdrawal"))],
    )

    def __init__(self, *args, study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].set_objects(place_choices(study=study))


class SourceAttributesForm(forms.Form):
    """What describes a source without identifying them."""

    gender = forms.ChoiceField(
        label=_("Gender"), required=False, choices=[("", "—"), *Gender.choices]
    )
    birth_year = forms.IntegerField(label=_("Birth year"), required=False)
    age = forms.IntegerField(
        label=_("Age"), required=False, help_text=_("When the birth year is not known.")
    )
    place = ObjectChoiceField(label=_("Place"), required=False)
    community = forms.CharField(label=_("Group or community"), max_length=120, required=False)
    language = forms.CharField(label=_("Language of the interview"), max_length=60, required=False)

    def __init__(self, *args, study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].set_objects(place_choices(study=study))

    def attributes(self) -> SourceAttributes:
        return SourceAttributes(**self.cleaned_data)

    @staticmethod
    def initial_for(source) -> dict:
        return {
            "gender": source.gender,
            "birth_year": source.birth_year,
            "age": source.age,
            "place": source.place,
            "community": source.community,
            "language": source.language,
        }


class IdentityForm(forms.Form):
    """Who the source is. Sealed on save; shown back only to whoever may read it."""

    full_name = forms.CharField(
        label=_("Full name"), max_length=300, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    aliases = forms.CharField(
        label=_("Other names"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line."),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    address = forms.CharField(
        label=_("Address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    contact_notes = forms.CharField(
        label=_("How to reach them safely"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm_not_duplicate = forms.BooleanField(
        label=_("I checked with my team: this is a different person."), required=False
    )

    def check_duplicates_at(self, url: str) -> None:
        """Ask `url` (htmx) whether the name or phone is already known when either changes."""
        for name in ("full_name", "phone"):
            self.fields[name].widget.attrs.update(
                {
                    "hx-post": url,
                    "hx-trigger": "change",
                    "hx-target": "#duplicate-warning",
                    "hx-params": "full_name,phone",
                }
            )

    def identity(self) -> Identity:
        data = self.cleaned_data
        return Identity(
            full_name=data["full_name"].strip(),
            aliases=[a.strip() for a in data["aliases"].splitlines() if a.strip()],
            phone=data["phone"].strip(),
            address=data["address"].strip(),
            contact_notes=data["contact_notes"].strip(),
        )

    @staticmethod
    def initial_for(identity: Identity) -> dict:
        return {
            "full_name": identity.full_name,
            "aliases": "\n".join(identity.aliases),
            "phone": identity.phone,
            "address": identity.address,
            "contact_notes": identity.contact_notes,
        }


class DuplicateCheckForm(forms.Form):
    full_name = forms.CharField(required=False)
    phone = forms.CharField(required=False)


class ConsentGrantForm(forms.Form):
    consent_form = ObjectChoiceField(label=_("Consent form"))
    scopes = forms.MultipleChoiceField(
        label=_("The source agreed to"),
        choices=ConsentScope.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick what the source agreed to.")},
    )
    method = forms.ChoiceField(
        label=_("How consent was obtained"),
        choices=ConsentMethod.choices,
        widget=forms.RadioSelect,
    )
    obtained_on = forms.DateField(label=_("Date"), widget=DateInput())

    def __init__(self, *args, study, **kwargs):
        super().__init__(*args, **kwargs)
        current = list(consent_form_current(study=study))
        self.fields["consent_form"].set_objects([(f, str(f)) for f in current])
        self.consent_forms = current
        if len(current) == 1 and not self.is_bound:
            self.initial.setdefault("consent_form", current[0])
        self.initial.setdefault("obtained_on", timezone.localdate())

    def grant(self) -> ConsentGrant:
        data = self.cleaned_data
        return ConsentGrant(
            form=data["consent_form"],
            scopes=frozenset(data["scopes"]),
            method=data["method"],
            obtained_on=data["obtained_on"],
        )


class ConsentWithdrawForm(forms.Form):
    scopes = forms.MultipleChoiceField(
        label=_("The source withdraws"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Withdrawing participation withdraws everything."),
        error_messages={"required": _("Choose what the source withdraws.")},
    )
    reason = forms.CharField(
        label=_("Reason or circumstances"), widget=forms.Textarea(attrs={"rows": 3})
    )
    withdrawn_on = forms.DateField(label=_("Date"), widget=DateInput())

    def __init__(self, *args, current_scopes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [
            (s, ConsentScope(s).label) for s in ConsentScope.values if s in current_scopes
        ]
        self.initial.setdefault("withdrawn_on", timezone.localdate())


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you need to see this identity?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Your name, the time and this reason are kept in the audit log."),
    )


class ShredForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    confirm = forms.BooleanField(
        label=_("I understand that the identity will be destroyed for everyone, for good."),
        error_messages={"required": _("Tick the box to confirm the destruction.")},
    )


class ConsentFormForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("Use the title of an existing form to publish a new version of it."),
    )
    text_fr = forms.CharField(label=_("Text in French"), widget=forms.Textarea(attrs={"rows": 8}))
    text_en = forms.CharField(label=_("Text in English"), widget=forms.Textarea(attrs={"rows": 8}))
    scopes = forms.MultipleChoiceField(
        label=_("What the form asks for"),
        choices=ConsentScope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ConsentScope.PARTICIPATE],
        required=False,
    )

    @staticmethod
    def initial_from(form) -> dict:
        return {
            "title": form.title,
            "text_fr": form.text_fr,
            "text_en": form.text_en,
            "scopes": list(form.scopes),
        }
