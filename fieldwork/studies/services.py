"""Writes about studies, places and actors."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from fieldwork.accounts.models import Membership, Role
from fieldwork.audit.services import audit_record
from fieldwork.core.errors import ServiceError
from fieldwork.studies.models import Actor, ActorAlias, ActorKind, Place, PlaceScheme, Study


@transaction.atomic
def study_create(
    *, by, name: str, slug: str = "", description: str = "", place_scheme: str
) -> Study:
    """Create a study; its creator becomes its first study admin."""
    name = name.strip()
    slug = slugify(slug or name)[:60]
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the study a name.")]
    if not slug:
        errors["slug"] = [_("Give the study a short name made of letters, digits or hyphens.")]
    elif Study.objects.filter(slug=slug).exists():
        errors["slug"] = [
            _("Another study already uses the short name “%(slug)s”.") % {"slug": slug}
        ]
    if place_scheme not in PlaceScheme.values:
        errors["place_scheme"] = [_("Choose how the study's places nest.")]
    if errors:
        raise ServiceError(errors)
    study = Study.objects.create(
        name=name, slug=slug, description=description.strip(), place_scheme=place_scheme
    )
    Membership.objects.create(user=by, study=study, role=Role.STUDY_ADMIN)
    audit_record(actor=by, study=study, action="study.created", target=study, target_id=study.slug)
    return study


@transaction.atomic
def place_create(*, study: Study, by, name: str, level: str, parent: Place | None = None) -> Place:
    """Add a place at a level of the study's hierarchy, under a parent one level up."""
    name = name.strip()
    if not name:
        raise ServiceError({"name": [_("Enter the place's name.")]})
    if parent is not None and parent.study_id != study.pk:
        raise ServiceError({"parent": [_("This place belongs to another study.")]})
    place = Place(study=study, name=name, level=level, parent=parent)
    place.clean()
    clash = Place.objects.filter(study=study, parent=parent, name__iexact=name)
    if clash.exists():
        raise ServiceError(
            {
                "name": [
                    _("“%(name)s” already exists at this place in the hierarchy.") % {"name": name}
                ]
            }
        )
    place.save()
    audit_record(actor=by, study=study, action="place.created", target=place, data={"level": level})
    return place


def _set_aliases(actor: Actor, aliases: Iterable[tuple[str, str]]) -> None:
    seen = set()
    actor.aliases.all().delete()
    for name, language in aliases:
        name, language = name.strip(), language.strip()
        if name and (name.casefold(), language) not in seen:
            seen.add((name.casefold(), language))
            ActorAlias.objects.create(actor=actor, name=name, language=language)


def _validate_actor(
    *, study: Study, actor: Actor | None, name: str, kind: str, parent, areas
) -> None:
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Enter the actor's name.")]
    elif (
        Actor.objects.filter(study=study, name__iexact=name)
        .exclude(pk=getattr(actor, "pk", None))
        .exists()
    ):
        errors["name"] = [_("This study already has an actor named “%(name)s”.") % {"name": name}]
    if kind not in ActorKind.values:
        errors["kind"] = [_("Choose the kind of actor.")]
    if parent is not None:
        if parent.study_id != study.pk:
            errors["parent"] = [_("The parent faction belongs to another study.")]
        elif actor is not None:
            node = parent
            while node is not None:
                if node.pk == actor.pk:
                    errors["parent"] = [
                        _("An actor cannot be a branch of itself or of its own branches.")
                    ]
                    break
                node = node.parent
    if any(p.study_id != study.pk for p in areas):
        errors["active_areas"] = [_("An active area belongs to another study.")]
    if errors:
        raise ServiceError(errors)


@transaction.atomic
def actor_create(
    *,
    study: Study,
    by,
    name: str,
    kind: str,
    parent: Actor | None = None,
    description: str = "",
    aliases: Iterable[tuple[str, str]] = (),
    active_areas: Iterable[Place] = (),
) -> Actor:
    """Register an actor with its aliases (name, language) and the places where it is active."""
    name, areas = name.strip(), list(active_areas)
    _validate_actor(study=study, actor=None, name=name, kind=kind, parent=parent, areas=areas)
    actor = Actor.objects.create(
        study=study, name=name, kind=kind, parent=parent, description=description.strip()
    )
    _set_aliases(actor, aliases)
    actor.active_areas.set(areas)
    audit_record(actor=by, study=study, action="actor.created", target=actor)
    return actor


@transaction.atomic
def actor_update(
    *,
    actor: Actor,
    by,
    name: str,
    kind: str,
    parent: Actor | None,
    description: str,
    aliases: Iterable[tuple[str, str]],
    active_areas: Iterable[Place],
) -> Actor:
    actor = Actor.objects.select_for_update().get(pk=actor.pk)
    name, areas = name.strip(), list(active_areas)
    _validate_actor(
        study=actor.study, actor=actor, name=name, kind=kind, parent=parent, areas=areas
    )
    actor.name, actor.kind, actor.parent, actor.description = (
        name,
        kind,
        parent,
        description.strip(),
    )
    actor.save()
    _set_aliases(actor, aliases)
    actor.active_areas.set(areas)
    audit_record(actor=by, study=actor.study, action="actor.updated", target=actor)
    return actor


def validation_to_service_error(exc: ValidationError) -> ServiceError:
    return ServiceError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
