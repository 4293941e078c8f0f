"""Filters of the instrument list (API), with django-filter. Choices are narrowed to the study,
so a filter can neither name nor probe another study's forms; an unknown value answers 400
naming the parameter."""

import django_filters
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from fieldwork.instruments.models import Instrument, InstrumentVersion


class InstrumentFilter(django_filters.FilterSet):
    form_id = django_filters.ModelChoiceFilter(
        to_field_name="form_id",
        queryset=Instrument.objects.none(),
        method="filter_form_id",
        help_text=_("The questionnaire's form_id."),
    )
    status = django_filters.ChoiceFilter(
        choices=InstrumentVersion.Status.choices,
        method="filter_status",
        help_text=_("Instruments with a version in this status (all their versions are listed)."),
    )

    class Meta:
        model = Instrument
        fields = ["form_id", "status"]

    def __init__(self, data=None, queryset=None, *, study, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.filters["form_id"].queryset = Instrument.objects.filter(study=study)

    def filter_form_id(
        self, queryset: QuerySet[Instrument], name: str, value: Instrument
    ) -> QuerySet[Instrument]:
        return queryset.filter(pk=value.pk)

    def filter_status(
        self, queryset: QuerySet[Instrument], name: str, value: str
    ) -> QuerySet[Instrument]:
        versions = InstrumentVersion.objects.filter(instrument=OuterRef("pk"), status=value)
        return queryset.filter(Exists(versions))
