from django.urls import path

from fieldwork.sources import views

app_name = "sources"
urlpatterns = [
    path("", views.source_list_view, name="source-list"),
    path("new/", views.source_create_view, name="source-create"),
    path("duplicate-check/", views.source_duplicate_check, name="source-duplicate-check"),
    path("consent-forms/", views.consent_form_list_view, name="consent-form-list"),
    path("consent-forms/new/", views.consent_form_create_view, name="consent-form-create"),
    path("consent-forms/<int:form_id>/", views.consent_form_detail, name="consent-form-detail"),
    # Source codes are "SRC-" and Crockford base32: they never clash with the words above.
    path("<slug:code>/", views.source_detail, name="source-detail"),
    path("<slug:code>/edit/", views.source_edit, name="source-edit"),
    path("<slug:code>/reveal/", views.source_reveal_view, name="source-reveal"),
    path("<slug:code>/shred/", views.source_shred_view, name="source-shred"),
    path("<slug:code>/consent/grant/", views.consent_grant_view, name="consent-grant"),
    path("<slug:code>/consent/withdraw/", views.consent_withdraw_view, name="consent-withdraw"),
]
