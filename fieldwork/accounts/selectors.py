from django.db.models import QuerySet

from fieldwork.accounts.models import Membership


def member_list(*, study) -> QuerySet[Membership]:
    return Membership.objects.filter(study=study).select_related("user").order_by("user__username")


def member_get(*, study, member_id: int) -> Membership | None:
    return member_list(study=study).filter(pk=member_id).first()
