from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fieldwork.audit.labels import action_label

#: Sign-ins belong to no study but appear in a study's trail (see `audit_event_list`).
ACCOUNT_ACTIONS = ("auth.login", "auth.login_failed")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    actor = forms.CharField(label=_("By (username)"), required=False, max_length=150)
    target = forms.CharField(
        label=_("Target"), required=False, max_length=64, help_text=_("A code such as SRC-7K3Q.")
    )
    since = forms.DateField(
        label=pgettext_lazy("date range", "From"), required=False, widget=DateInput()
    )
    until = forms.DateField(label=_("Until"), required=False, widget=DateInput())

    def __init__(self, *args, action_names=(), **kwargs):
        super().__init__(*args, **kwargs)
        names = sorted({*action_names, *ACCOUNT_ACTIONS})
        # A family ("source.") matches all its actions: the selector filters by prefix.
        families = sorted({n.split(".", 1)[0] + "." for n in names if "." in n})
        self.fields["action"].choices = [
            ("", _("All actions")),
            (_("Families"), [(f, f + "*") for f in families]),
            (_("Actions"), [(n, action_label(n)) for n in names]),
        ]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date must not be before the start date."))
        return data
