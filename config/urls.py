from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from fieldwork.accounts.views import language_switch

# Phones first: Django tries these in order on every request, and phones send the most.
urlpatterns = [
    path("openrosa/", include("fieldwork.openrosa.urls")),
    path("", RedirectView.as_view(pattern_name="studies:study-list", permanent=False), name="home"),
    path("i18n/setlang/", language_switch, name="set_language"),
    path("accounts/", include("fieldwork.accounts.urls")),
    path("studies/", include("fieldwork.studies.urls")),
    path("studies/<slug:slug>/sources/", include("fieldwork.sources.urls")),
    path("studies/<slug:slug>/instruments/", include("fieldwork.instruments.urls")),
    path("studies/<slug:slug>/interviews/", include("fieldwork.interviews.urls")),
    path("studies/<slug:slug>/imports/", include("fieldwork.imports.urls")),
    path(
        "studies/<slug:slug>/interviews/<uuid:interview_id>/transcript/",
        include("fieldwork.transcripts.urls"),
    ),
    path("studies/<slug:slug>/audit/", include("fieldwork.audit.urls")),
    path("studies/<slug:slug>/fill/", include("fieldwork.webforms.urls")),
    path("studies/<slug:slug>/devices/", include("fieldwork.openrosa.device_urls")),
    path("studies/<slug:slug>/form-keys/", include("fieldwork.openrosa.key_urls")),
    path("health/", include("fieldwork.core.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("config.api_urls")),
]

handler404 = "fieldwork.core.views.not_found"
