"""Filters of interview lists (API), with django-filter. Every choice is narrowed to the
study, so a filter can neither name nor probe another study's people, forms or places; an
unknown value answers 400 naming the parameter."""

import django_filters
from django.utils.translation import gettext_lazy as _

from fieldwork.accounts.models import User
from fieldwork.instruments.models import Instrument
from fieldwork.interviews.models import Interview, InterviewStatus
from fieldwork.studies.models import Place
from fieldwork.studies.selectors import place_subtree_ids


class InterviewFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(field_name="status", choices=InterviewStatus.choices)
    researcher = django_filters.ModelChoiceFilter(
        field_name="researcher",
        to_field_name="username",
        queryset=User.objects.none(),
        help_text=_("Username of the field researcher."),
    )
    instrument = django_filters.ModelChoiceFilter(
        field_name="instrument",
        to_field_name="form_id",
        queryset=Instrument.objects.none(),
        help_text=_("The questionnaire's form_id."),
    )
    place = django_filters.ModelChoiceFilter(
        field_name="place",
        queryset=Place.objects.none(),
        method="filter_place",
        help_text=_("Id of a place: interviews there or in any place inside it."),
    )
    source = django_filters.CharFilter(
        field_name="source__code", lookup_expr="iexact", help_text=_("A source's code.")
    )
    since = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text=_("Received at or after.")
    )
    until = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text=_("Received before.")
    )

    class Meta:
        model = Interview
        fields = ["state", "researcher", "instrument", "place", "source", "since", "until"]

    def filter_place(self, queryset, name, value):
        # A region or commune stands for every place inside it (its villages...).
        return queryset.filter(place_id__in=place_subtree_ids(place=value))

    def __init__(self, data=None, queryset=None, *, study, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.filters["researcher"].queryset = User.objects.filter(memberships__study=study)
        self.filters["instrument"].queryset = Instrument.objects.filter(study=study)
        self.filters["place"].queryset = Place.objects.filter(study=study)
