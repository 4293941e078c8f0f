"""Forms for the interview pages. They parse input; the services decide what is allowed."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fieldwork.core.forms import ObjectChoiceField
from fieldwork.interviews.models import InterviewStatus

#: A pseudo-state for the queue: what a reviewer still has to look at (received, edited, and
#: "has issues" interviews the field researcher answered; see `selectors.interview_queue`).
WAITING = "waiting"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class InterviewFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[
            ("", pgettext_lazy("interview state", "Any")),
            (WAITING, _("Waiting for review (received, edited or answered)")),
            *InterviewStatus.choices,
        ],
    )
    researcher = ObjectChoiceField(
        label=_("Field researcher"), required=False, blank_label=_("All researchers")
    )
    place = ObjectChoiceField(label=_("Place"), required=False, blank_label=_("All places"))
    instrument = ObjectChoiceField(
        label=_("Questionnaire"), required=False, blank_label=_("All questionnaires")
    )
    since = forms.DateField(label=_("Received from"), required=False, widget=DateInput())
    until = forms.DateField(label=_("Received until"), required=False, widget=DateInput())

    def __init__(self, *args, researchers=(), places=(), instruments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["researcher"].set_objects(researchers)
        self.fields["place"].set_objects(places)
        self.fields["instrument"].set_objects(instruments)

    def criteria(self) -> dict:
        """The selector's keyword arguments (without the state)."""
        data = self.cleaned_data
        return {
            "researcher": data.get("researcher"),
            "place": data.get("place"),
            "instrument": data.get("instrument"),
            "since": _start_of(data.get("since")),
            "until": _start_of(data["until"] + dt.timedelta(days=1)) if data.get("until") else None,
        }


def _start_of(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class ReviewForm(forms.Form):
    """One button per allowed next state submits `to`; the comment goes with it."""

    to = forms.ChoiceField(label=_("New state"), choices=InterviewStatus.choices)
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you mark the interview as having issues."),
    )


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Your answer"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
