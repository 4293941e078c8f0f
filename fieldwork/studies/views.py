"""Pages for studies, places, actors and members. Each view: access helper, form, service."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fieldwork.accounts.models import Role
from fieldwork.accounts.permissions import Perm, study_for
from fieldwork.accounts.selectors import member_list
from fieldwork.accounts.services import member_add, member_change_role, member_remove
from fieldwork.core.web import add_service_error, render_page, study_context
from fieldwork.studies import forms
from fieldwork.studies.models import Actor
from fieldwork.studies.selectors import (
    actor_list,
    membership_role_map,
    place_tree,
    study_counts,
    study_list_for,
)
from fieldwork.studies.services import actor_create, actor_update, place_create, study_create

# --- Studies ---------------------------------------------------------------------------------


@login_required
def study_list(request):
    roles = membership_role_map(user=request.user)
    studies = [(s, Role(roles[s.pk]).label) for s in study_list_for(user=request.user)]
    return render(request, "studies/study_list.html", {"studies": studies})


@login_required
def study_create_view(request):
    if not request.user.is_staff:
        raise PermissionDenied
    form = forms.StudyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            study = study_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The study was created; you are its study admin."))
            return redirect("studies:study-home", slug=study.slug)
    return render(request, "studies/study_create.html", {"form": form})


@login_required
def study_home(request, slug):
    study = study_for(request.user, slug, need=Perm.STUDY_VIEW)
    return render(
        request,
        "studies/study_home.html",
        study_context(request, study, counts=study_counts(study=study)),
    )


# --- Places ----------------------------------------------------------------------------------


@login_required
def place_list(request, slug):
    study = study_for(request.user, slug, need=Perm.PLACE_VIEW)
    ctx = study_context(request, study, tree=place_tree(study=study))
    if Perm.PLACE_MANAGE in ctx["study_perms"]:
        ctx["form"] = forms.PlaceForm(study=study)
    return render(request, "studies/place_list.html", ctx)


@login_required
def place_create_view(request, slug):
    study = study_for(request.user, slug, need=Perm.PLACE_MANAGE)
    form = forms.PlaceForm(request.POST or None, study=study, initial=request.GET or None)
    if request.method == "POST" and form.is_valid():
        try:
            place = place_create(study=study, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("“%(name)s” was added.") % {"name": place.name})
            return redirect("studies:place-list", slug=study.slug)
    return render(request, "studies/place_form.html", study_context(request, study, form=form))


# --- Actors ----------------------------------------------------------------------------------


@login_required
def actor_list_view(request, slug):
    study = study_for(request.user, slug, need=Perm.ACTOR_VIEW)
    filters = forms.ActorFilterForm(request.GET or None)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    actors = actor_list(study=study, kind=criteria.get("kind", ""), search=criteria.get("q", ""))
    ctx = study_context(request, study, filters=filters, actors=actors)
    return render_page(request, "studies/actor_list.html", ctx, partial="rows")


def _actor_form_page(request, study, actor: Actor | None):
    form = forms.ActorForm(
        request.POST or None, study=study, actor=actor, initial=_actor_initial(actor)
    )
    aliases = forms.alias_formset(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid() and aliases.is_valid():
        data = {**form.cleaned_data, "aliases": forms.aliases_from(aliases)}
        try:
            if actor is None:
                actor = actor_create(study=study, by=request.user, **data)
            else:
                actor = actor_update(actor=actor, by=request.user, **data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The actor “%(name)s” was saved.") % {"name": actor.name})
            return redirect("studies:actor-detail", slug=study.slug, actor_id=actor.pk)
    ctx = study_context(request, study, form=form, aliases=aliases, actor=actor)
    return render(request, "studies/actor_form.html", ctx)


def _actor_initial(actor: Actor | None) -> dict:
    if actor is None:
        return {}
    return {
        "name": actor.name,
        "kind": actor.kind,
        "parent": actor.parent,
        "description": actor.description,
        "active_areas": list(actor.active_areas.all()),
    }


def _actor_in(study, actor_id) -> Actor:
    return get_object_or_404(actor_list(study=study), pk=actor_id)


@login_required
def actor_create_view(request, slug):
    study = study_for(request.user, slug, need=Perm.ACTOR_MANAGE)
    return _actor_form_page(request, study, None)


@login_required
def actor_detail(request, slug, actor_id):
    study = study_for(request.user, slug, need=Perm.ACTOR_VIEW)
    actor = _actor_in(study, actor_id)
    return render(request, "studies/actor_detail.html", study_context(request, study, actor=actor))


@login_required
def actor_edit(request, slug, actor_id):
    study = study_for(request.user, slug, need=Perm.ACTOR_MANAGE)
    return _actor_form_page(request, study, _actor_in(study, actor_id))


# --- Members ---------------------------------------------------------------------------------


def _member_page(request, study, *, role_forms=None, status=200):
    members = list(member_list(study=study))
    role_forms = role_forms or {}
    rows = [
        (
            m,
            role_forms.get(m.pk)
            or forms.MemberRoleForm(initial={"role": m.role}, prefix=f"m{m.pk}"),
        )
        for m in members
    ]
    ctx = study_context(request, study, rows=rows, role_choices=Role.choices)
    return render(request, "studies/member_list.html", ctx, status=status)


@login_required
def member_list_view(request, slug):
    study = study_for(request.user, slug, need=Perm.MEMBER_VIEW)
    return _member_page(request, study)


@login_required
def member_add_view(request, slug):
    study = study_for(request.user, slug, need=Perm.MEMBER_MANAGE)
    form = forms.MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = member_add(study=study, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s is now %(role)s in this study.")
                % {"name": membership.user.username, "role": membership.get_role_display()},
            )
            return redirect("studies:member-list", slug=study.slug)
    return render(request, "studies/member_add.html", study_context(request, study, form=form))


@login_required
@require_POST
def member_role_view(request, slug, member_id):
    study = study_for(request.user, slug, need=Perm.MEMBER_MANAGE)
    membership = get_object_or_404(member_list(study=study), pk=member_id)
    form = forms.MemberRoleForm(request.POST, prefix=f"m{membership.pk}")
    if form.is_valid():
        try:
            membership = member_change_role(
                membership=membership, by=request.user, role=form.cleaned_data["role"]
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s is now %(role)s.")
                % {"name": membership.user.username, "role": membership.get_role_display()},
            )
            if membership.user_id == request.user.pk:  # may no longer see the members page
                return redirect("studies:study-home", slug=study.slug)
            return redirect("studies:member-list", slug=study.slug)
    return _member_page(request, study, role_forms={membership.pk: form})


@login_required
@require_POST
def member_remove_view(request, slug, member_id):
    study = study_for(request.user, slug, need=Perm.MEMBER_MANAGE)
    membership = get_object_or_404(member_list(study=study), pk=member_id)
    try:
        member_remove(membership=membership, by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("studies:member-list", slug=study.slug)
    messages.success(
        request,
        _("%(name)s no longer has access to this study.") % {"name": membership.user.username},
    )
    if membership.user_id == request.user.pk:
        return redirect("studies:study-list")
    return redirect("studies:member-list", slug=study.slug)
