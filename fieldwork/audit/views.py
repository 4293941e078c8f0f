from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator

from fieldwork.accounts.permissions import Perm, study_for
from fieldwork.audit.forms import AuditFilterForm
from fieldwork.audit.labels import action_label
from fieldwork.audit.selectors import audit_action_names, audit_event_list
from fieldwork.core.web import render_page, study_context

PAGE_SIZE = 50


@login_required
def event_list(request, slug):
    study = study_for(request.user, slug, need=Perm.AUDIT_VIEW)
    filters = AuditFilterForm(request.GET or None, action_names=audit_action_names(study=study))
    criteria = filters.cleaned_data if filters.is_valid() else {}
    events = audit_event_list(
        study=study,
        action=criteria.get("action", ""),
        actor=criteria.get("actor", "").strip(),
        target=criteria.get("target", "").strip(),
        since=criteria.get("since"),
        until=criteria.get("until"),
    )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    ctx = study_context(
        request,
        study,
        filters=filters,
        page=page,
        rows=[(e, action_label(e.action)) for e in page],
        query=query.urlencode(),
    )
    return render_page(request, "audit/event_list.html", ctx, partial="rows")
