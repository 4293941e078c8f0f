from django.urls import path

from fieldwork.openrosa import device_views

app_name = "devices"
urlpatterns = [
    path("", device_views.device_list_view, name="device-list"),
    path("<int:device_id>/revoke/", device_views.device_revoke_view, name="device-revoke"),
]
