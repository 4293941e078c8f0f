"""Pages for sources and consent.

Identity handling: it is decrypted only in `source_detail` and `source_edit` for the user
`can_see_identity_directly` allows, and in `source_reveal` after the audit event is written.
Views that touch it are `never_cache` (no copy in a browser or proxy cache) and hide the
identity fields from Django's error reports (`sensitive_*`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from fieldwork.accounts.permissions import (
    Perm,
    can_edit_source,
    can_see_identity_directly,
    source_for,
    study_for,
)
from fieldwork.core.web import add_service_error, render_page, study_context
from fieldwork.sources import forms
from fieldwork.sources.identity import Identity
from fieldwork.sources.models import ConsentScope
from fieldwork.sources.selectors import (
    consent_form_list,
    scopes_from_records,
    source_consent_history,
    source_current_scopes,
    source_duplicate_hint,
    source_list,
    source_release_scope,
)
from fieldwork.sources.services import (
    consent_form_create,
    consent_grant,
    consent_withdraw,
    source_create,
    source_identity,
    source_reveal,
    source_shred,
    source_update,
)

IDENTITY_FIELDS = ("full_name", "aliases", "phone", "address", "contact_notes")
PAGE_SIZE = 50

# --- List ------------------------------------------------------------------------------------


@login_required
def source_list_view(request, slug):
    study = study_for(request.user, slug, need=Perm.SOURCE_VIEW)
    filters = forms.SourceFilterForm(request.GET or None, study=study)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    sources = source_list(
        study=study,
        search=criteria.get("q", ""),
        within=criteria.get("place"),
        consent=criteria.get("consent", ""),
    )
    page = Paginator(sources, PAGE_SIZE).get_page(request.GET.get("page"))
    # The consent records are prefetched: the fold costs no query per row.
    rows = [(s, scopes_from_records(s.consent_records.all())) for s in page]
    query = request.GET.copy()
    query.pop("page", None)
    ctx = study_context(
        request,
        study,
        filters=filters,
        page=page,
        rows=rows,
        query=query.urlencode(),
        participate=ConsentScope.PARTICIPATE,
    )
    return render_page(request, "sources/list.html", ctx, partial="rows")


# --- Create, with consent --------------------------------------------------------------------


@never_cache
@sensitive_post_parameters(*IDENTITY_FIELDS)
@login_required
@sensitive_variables("identity", "ctx")
def source_create_view(request, slug):
    study = study_for(request.user, slug, need=Perm.SOURCE_CREATE)
    data = request.POST if request.method == "POST" else None
    attributes = forms.SourceAttributesForm(data, study=study)
    identity_form = forms.IdentityForm(data)
    identity_form.check_duplicates_at(reverse("sources:source-duplicate-check", args=[study.slug]))
    consent = forms.ConsentGrantForm(data, study=study)
    duplicate = False
    if data is not None and all(f.is_valid() for f in (attributes, identity_form, consent)):
        identity = identity_form.identity()
        try:
            source = source_create(
                study=study,
                by=request.user,
                identity=identity,
                attributes=attributes.attributes(),
                consent=consent.grant(),
                confirm_not_duplicate=identity_form.cleaned_data["confirm_not_duplicate"],
            )
        except ValidationError as exc:
            duplicate = getattr(exc, "code", None) == "duplicate"
            add_service_error([identity_form, attributes, consent], exc)
        else:
            messages.success(
                request,
                _("Source %(code)s was recorded with their consent.") % {"code": source.code},
            )
            return redirect("sources:source-detail", slug=study.slug, code=source.code)
    ctx = study_context(
        request,
        study,
        attributes=attributes,
        identity_form=identity_form,
        consent=consent,
        duplicate=duplicate,
    )
    return render(request, "sources/source_form.html", ctx)


@never_cache
@sensitive_post_parameters(*IDENTITY_FIELDS)
@login_required
@require_POST
@sensitive_variables("identity", "ctx")
def source_duplicate_check(request, slug):
    """While a researcher types: does the study hold someone with this name or phone?
    Answers *that*, never *which* (no code, no count)."""
    study = study_for(request.user, slug, need=Perm.SOURCE_CREATE)
    form = forms.DuplicateCheckForm(request.POST)
    hint = None
    if form.is_valid() and (form.cleaned_data["full_name"].strip() or form.cleaned_data["phone"]):
        identity = Identity(
            full_name=form.cleaned_data["full_name"], phone=form.cleaned_data["phone"]
        )
        hint = source_duplicate_hint(study=study, identity=identity)
    return render(request, "sources/source_form.html#duplicate-warning", {"hint": hint})


# --- Detail, reveal --------------------------------------------------------------------------


def _detail_context(request, study, source, **extra) -> dict:
    scopes = source_current_scopes(source=source)
    ctx = study_context(
        request,
        study,
        source=source,
        place_path=source.place.path() if source.place else [],
        history=source_consent_history(source=source),
        current_scopes=[(s, label, s in scopes) for s, label in ConsentScope.choices],
        has_scopes=bool(scopes),
        release=source_release_scope(source=source),
        can_edit=can_edit_source(request.user, source),
        sees_identity=can_see_identity_directly(request.user, source),
    )
    ctx.update(extra)
    return ctx


@never_cache
@login_required
@sensitive_variables("identity", "ctx")
def source_detail(request, slug, code):
    study = study_for(request.user, slug, need=Perm.SOURCE_VIEW)
    source = source_for(request.user, study, code, need=Perm.SOURCE_VIEW)
    identity = None
    if can_see_identity_directly(request.user, source):
        identity = source_identity(source=source)
    ctx = _detail_context(request, study, source, identity=identity, reveal_form=forms.RevealForm())
    return render(request, "sources/detail.html", ctx)


@never_cache
@login_required
@require_POST
@sensitive_variables("identity", "ctx")
def source_reveal_view(request, slug, code):
    """A logged look at an identity. The full identity is only ever in this response."""
    study = study_for(request.user, slug, need=Perm.SOURCE_REVEAL)
    source = source_for(request.user, study, code, need=Perm.SOURCE_REVEAL)
    form = forms.RevealForm(request.POST)
    identity = None
    if form.is_valid():
        try:
            identity = source_reveal(
                source=source, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_error(form, exc)
    ctx = study_context(
        request,
        study,
        source=source,
        identity=identity,
        revealed=identity is not None,
        reveal_form=form,
        sees_identity=False,
    )
    return render_page(request, "sources/reveal.html", ctx, partial="identity")


# --- Edit, shred -----------------------------------------------------------------------------


@never_cache
@sensitive_post_parameters(*IDENTITY_FIELDS)
@login_required
@sensitive_variables("identity", "current", "ctx")
def source_edit(request, slug, code):
    study = study_for(request.user, slug, need=Perm.SOURCE_EDIT)
    source = source_for(request.user, study, code, need=Perm.SOURCE_EDIT)
    if not can_edit_source(request.user, source):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else None
    attributes = forms.SourceAttributesForm(
        data, study=study, initial=forms.SourceAttributesForm.initial_for(source)
    )
    identity_form = None
    if can_see_identity_directly(request.user, source) and not source.is_shredded:
        current = source_identity(source=source)
        identity_form = forms.IdentityForm(data, initial=forms.IdentityForm.initial_for(current))
    all_forms = [f for f in (attributes, identity_form) if f is not None]
    duplicate = False
    if data is not None and all(f.is_valid() for f in all_forms):
        identity = None
        if identity_form is not None and identity_form.has_changed():
            identity = identity_form.identity()
        try:
            source_update(
                source=source,
                by=request.user,
                attributes=attributes.attributes(),
                identity=identity,
                confirm_not_duplicate=bool(
                    identity_form and identity_form.cleaned_data["confirm_not_duplicate"]
                ),
            )
        except ValidationError as exc:
            duplicate = getattr(exc, "code", None) == "duplicate"
            add_service_error(all_forms[::-1], exc)
        else:
            messages.success(request, _("Source %(code)s was updated.") % {"code": source.code})
            return redirect("sources:source-detail", slug=study.slug, code=source.code)
    ctx = study_context(
        request,
        study,
        source=source,
        attributes=attributes,
        identity_form=identity_form,
        duplicate=duplicate,
    )
    return render(request, "sources/source_edit.html", ctx)


@login_required
def source_shred_view(request, slug, code):
    study = study_for(request.user, slug, need=Perm.SOURCE_SHRED)
    source = source_for(request.user, study, code, need=Perm.SOURCE_SHRED)
    form = forms.ShredForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            source_shred(source=source, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "The identity of %(code)s was destroyed. Its attributes and consent history "
                    "remain."
                )
                % {"code": source.code},
            )
            return redirect("sources:source-detail", slug=study.slug, code=source.code)
    ctx = study_context(request, study, source=source, form=form)
    return render(request, "sources/shred.html", ctx)


# --- Consent ---------------------------------------------------------------------------------


@login_required
def consent_grant_view(request, slug, code):
    study = study_for(request.user, slug, need=Perm.CONSENT_RECORD)
    source = source_for(request.user, study, code, need=Perm.CONSENT_RECORD)
    form = forms.ConsentGrantForm(request.POST or None, study=study)
    if request.method == "POST" and form.is_valid():
        try:
            consent_grant(source=source, by=request.user, grant=form.grant())
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The consent was recorded."))
            return redirect("sources:source-detail", slug=study.slug, code=source.code)
    ctx = study_context(request, study, source=source, form=form)
    return render(request, "sources/consent_grant.html", ctx)


@login_required
def consent_withdraw_view(request, slug, code):
    study = study_for(request.user, slug, need=Perm.CONSENT_RECORD)
    source = source_for(request.user, study, code, need=Perm.CONSENT_RECORD)
    current = source_current_scopes(source=source)
    form = forms.ConsentWithdrawForm(request.POST or None, current_scopes=current)
    if request.method == "POST" and form.is_valid():
        try:
            consent_withdraw(
                source=source,
                by=request.user,
                scopes=frozenset(form.cleaned_data["scopes"]),
                reason=form.cleaned_data["reason"],
                withdrawn_on=form.cleaned_data["withdrawn_on"],
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The withdrawal was recorded."))
            return redirect("sources:source-detail", slug=study.slug, code=source.code)
    ctx = study_context(request, study, source=source, form=form, has_scopes=bool(current))
    return render(request, "sources/consent_withdraw.html", ctx)


# --- Consent forms ---------------------------------------------------------------------------


@login_required
def consent_form_list_view(request, slug):
    study = study_for(request.user, slug, need=Perm.CONSENT_FORM_VIEW)
    ctx = study_context(request, study, consent_forms=consent_form_list(study=study))
    return render(request, "sources/consent_form_list.html", ctx)


@login_required
def consent_form_create_view(request, slug):
    study = study_for(request.user, slug, need=Perm.CONSENT_FORM_MANAGE)
    initial, base = {}, None
    if request.GET.get("from", "").isdigit():
        base = get_object_or_404(consent_form_list(study=study), pk=request.GET["from"])
        initial = forms.ConsentFormForm.initial_from(base)
    form = forms.ConsentFormForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            created = consent_form_create(
                study=study,
                by=request.user,
                title=form.cleaned_data["title"],
                text_fr=form.cleaned_data["text_fr"],
                text_en=form.cleaned_data["text_en"],
                scopes=frozenset(form.cleaned_data["scopes"]),
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("“%(form)s” was published.") % {"form": str(created)})
            return redirect("sources:consent-form-detail", slug=study.slug, form_id=created.pk)
    ctx = study_context(request, study, form=form, base=base)
    return render(request, "sources/consent_form_form.html", ctx)


@login_required
def consent_form_detail(request, slug, form_id):
    study = study_for(request.user, slug, need=Perm.CONSENT_FORM_VIEW)
    consent_form = get_object_or_404(consent_form_list(study=study), pk=form_id)
    versions = consent_form_list(study=study).filter(title=consent_form.title)
    ctx = study_context(request, study, consent_form=consent_form, versions=versions)
    return render(request, "sources/consent_form_detail.html", ctx)
