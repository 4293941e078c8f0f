from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from fieldwork.accounts.models import Role
from fieldwork.core.forms import ObjectChoiceField, ObjectMultipleChoiceField
from fieldwork.studies.models import ActorKind, PlaceLevel, PlaceScheme
from fieldwork.studies.selectors import actor_list, place_choices

#: Short names that would hide a study behind a page of the same URL.
RESERVED_SLUGS = frozenset({"new"})


class StudyCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    slug = forms.SlugField(
        label=_("Short name"),
        max_length=60,
        required=False,
        help_text=_("Used in addresses. Letters, digits and hyphens; made from the name if empty."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    place_scheme = forms.ChoiceField(
        label=_("Place hierarchy"), choices=PlaceScheme.choices, initial=PlaceScheme.MALI
    )

    def clean(self):
        data = super().clean()
        slug = slugify(data.get("slug") or data.get("name") or "")
        if slug in RESERVED_SLUGS:
            self.add_error("slug", _("This short name is reserved; choose another one."))
        return data


class PlaceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    level = forms.ChoiceField(label=_("Level"))
    parent = ObjectChoiceField(
        label=_("Inside"), required=False, blank_label=_("— top of the hierarchy —")
    )

    def __init__(self, *args, study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [(lv, PlaceLevel(lv).label) for lv in study.place_levels]
        self.fields["parent"].set_objects(place_choices(study=study))


class ActorFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or alias"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *ActorKind.choices]
    )


class ActorForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=ActorKind.choices)
    parent = ObjectChoiceField(label=_("Parent faction"), required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    active_areas = ObjectMultipleChoiceField(
        label=_("Active areas"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Hold Ctrl (or Cmd) to choose several places."),
    )

    def __init__(self, *args, study, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        actors = actor_list(study=study)
        if actor is not None:
            actors = actors.exclude(pk=actor.pk)
        self.fields["parent"].set_objects([(a, a.name) for a in actors])
        self.fields["active_areas"].set_objects(place_choices(study=study))


class AliasForm(forms.Form):
    name = forms.CharField(label=_("Alias"), max_length=200, required=False)
    language = forms.CharField(
        label=_("Language"),
        max_length=16,
        required=False,
        widget=forms.TextInput(attrs={"list": "alias-languages", "size": 10}),
    )


AliasFormSet = forms.formset_factory(AliasForm, extra=2)


def alias_formset(data=None, *, actor=None) -> forms.BaseFormSet:
    initial = (
        [{"name": a.name, "language": a.language} for a in actor.aliases.all()] if actor else []
    )
    return AliasFormSet(data, initial=initial, prefix="aliases")


def aliases_from(formset) -> list[tuple[str, str]]:
    return [
        (f.cleaned_data.get("name", ""), f.cleaned_data.get("language", ""))
        for f in formset.forms
        if f.cleaned_data.get("name", "").strip()
    ]


class MemberAddForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    password = forms.CharField(
        label=_("Password for a new account"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Only when the person has no account yet."),
    )


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
