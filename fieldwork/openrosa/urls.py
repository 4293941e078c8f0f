from django.urls import include, path

from fieldwork.openrosa import views

app_name = "openrosa"

# The same endpoints with a device token in the path (ODK Collect, KoboCollect) and without
# (browser session for Web Forms, or Basic with a device token as password). Tried in this
# order on every request: what phones call most comes first.
_endpoints = [
    ("submission", views.submission, "submission"),
    ("formList", views.form_list, "form-list"),
    ("forms/<str:xform_id>.xml", views.form_download, "form-download"),
    ("forms/<str:xform_id>/manifest", views.form_manifest, "form-manifest"),
    ("forms/<str:xform_id>/media/<str:filename>", views.form_media, "form-media"),
]

urlpatterns = [
    path(
        "key/<str:token>/<slug:slug>/",
        include([path(route, view, name=f"key-{name}") for route, view, name in _endpoints]),
    ),
    path(
        "<slug:slug>/", include([path(route, view, name=name) for route, view, name in _endpoints])
    ),
]
