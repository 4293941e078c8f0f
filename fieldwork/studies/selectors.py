from django.db.models import Count, QuerySet

from fieldwork.accounts.models import Membership
from fieldwork.studies.models import Actor, Place, Study


def study_list_for(*, user) -> QuerySet[Study]:
    """The studies the user is a member of, each annotated with the user's role."""
    if not user.is_authenticated:
        return Study.objects.none()
    return (
        Study.objects.filter(memberships__user=user)
        .annotate(source_count=Count("sources", distinct=True))
        .order_by("name")
    )


def membership_role_map(*, user) -> dict[int, str]:
    return dict(Membership.objects.filter(user=user).values_list("study_id", "role"))


def place_list(*, study: Study, level: str = "", search: str = "") -> QuerySet[Place]:
    qs = Place.objects.filter(study=study).select_related("parent__parent__parent")
    if level:
        qs = qs.filter(level=level)
    if search:
        qs = qs.filter(name__icontains=search)
    return qs


def place_tree(*, study: Study) -> list[tuple[Place, int]]:
    """Places in hierarchy order with their depth, for an indented list (one query)."""
    places = list(Place.objects.filter(study=study).order_by("name"))
    children: dict[int | None, list[Place]] = {}
    for place in places:
        children.setdefault(place.parent_id, []).append(place)
    out: list[tuple[Place, int]] = []

    def walk(parent_id, depth):
        for place in children.get(parent_id, []):
            out.append((place, depth))
            walk(place.pk, depth + 1)

    walk(None, 0)
    return out


def actor_list(*, study: Study, kind: str = "", search: str = "") -> QuerySet[Actor]:
    """Actors with parent, aliases and active areas loaded; `search` matches names and aliases."""
    qs = (
        Actor.objects.filter(study=study)
        .select_related("parent")
        .prefetch_related("aliases", "active_areas", "branches")
    )
    if kind:
        qs = qs.filter(kind=kind)
    if search:
        qs = qs.filter(name__icontains=search) | qs.filter(aliases__name__icontains=search)
        qs = qs.distinct()
    return qs
