from django.conf.urls.i18n import set_language
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="studies:study-list", permanent=False), name="home"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("fieldwork.accounts.urls")),
    path("studies/", include("fieldwork.studies.urls")),
    path("studies/<slug:slug>/sources/", include("fieldwork.sources.urls")),
    path("studies/<slug:slug>/audit/", include("fieldwork.audit.urls")),
    path("health/", include("fieldwork.core.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("config.api_urls")),
]
