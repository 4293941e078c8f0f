from django.db.models import Count, OuterRef, QuerySet, Subquery

from fieldwork.accounts.models import Membership
from fieldwork.studies.models import Actor, Place, Study


def study_list_for(*, user) -> QuerySet[Study]:
    """The studies the user is a member of, each annotated with the user's role."""
    if not user.is_authenticated:
        return Study.objects.none()
    role = Membership.objects.filter(study=OuterRef("pk"), user=user).values("role")[:1]
    return (
        Study.objects.filter(memberships__user=user)
        .annotate(source_count=Count("sources", distinct=True), role=Subquery(role))
        .order_by("name")
    )


def membership_role_map(*, user) -> dict[int, str]:
    return dict(Membership.objects.filter(user=user).values_list("study_id", "role"))


def place_list(
    *, study: Study, level: str = "", search: str = "", parent: Place | None = None
) -> QuerySet[Place]:
    qs = Place.objects.filter(study=study).select_related("parent__parent__parent")
    if level:
        qs = qs.filter(level=level)
    if parent is not None:
        qs = qs.filter(parent=parent)
    if search:
        qs = qs.filter(name__icontains=search)
    return qs


def place_get(*, study: Study, place_id: int) -> Place | None:
    return place_list(study=study).filter(pk=place_id).first()


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


def study_counts(*, study: Study) -> dict[str, int]:
    """How many of each thing the study holds, for its home page (one query each)."""
    return {
        "sources": study.sources.count(),
        "places": study.places.count(),
        "actors": study.actors.count(),
        "members": study.memberships.count(),
        "consent_forms": study.consent_forms.count(),
        "instruments": study.instruments.count(),
    }


def place_choices(*, study: Study) -> list[tuple[Place, str]]:
    """Places in hierarchy order with an indented label, for select boxes (one query)."""
    return [
        (place, "\u2003" * depth + f"{place.name} ({place.get_level_display()})")
        for place, depth in place_tree(study=study)
    ]


def place_subtree_ids(*, place: Place) -> set[int]:
    """The place and every place inside it, at any depth (one query)."""
    children: dict[int | None, list[int]] = {}
    pairs = Place.objects.filter(study_id=place.study_id).values_list("pk", "parent_id")
    for pk, parent_id in pairs:
        children.setdefault(parent_id, []).append(pk)
    found, todo = set(), [place.pk]
    while todo:
        pk = todo.pop()
        if pk not in found:
            found.add(pk)
            todo.extend(children.get(pk, []))
    return found


def actor_get(*, study: Study, actor_id: int) -> Actor | None:
    return actor_list(study=study).filter(pk=actor_id).first()
