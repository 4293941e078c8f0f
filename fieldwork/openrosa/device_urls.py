from django.urls import path

from fieldwork.openrosa import device_views

app_name = "devices"
urlpatterns = [
    path("", device_views.device_list_view, name="device-list"),
    path("<int:device_id>/revoke/", device_views.device_revoke_view, name="device-revoke"),
    path("received/", device_views.received_list_view, name="received-list"),
    path(
        "received/<int:received_id>/retry/",
        device_views.received_retry_view,
        name="received-retry",
    ),
    path("received/<int:received_id>/body/", device_views.received_body_view, name="received-body"),
]
