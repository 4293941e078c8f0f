from django.urls import path

from fieldwork.instruments import views

app_name = "instruments"
VERSION = "versions/<int:version_id>/"
urlpatterns = [
    path("", views.instrument_list_view, name="instrument-list"),
    path("upload/", views.instrument_upload_view, name="instrument-upload"),
    path(VERSION, views.version_detail, name="version-detail"),
    path(VERSION + "publish/", views.version_publish, name="version-publish"),
    path(VERSION + "delete/", views.version_delete, name="version-delete"),
    path(VERSION + "disclosure/", views.version_disclosure, name="version-disclosure"),
    path(VERSION + "xform.xml", views.version_xform, name="version-xform"),
    path(VERSION + "xlsform/", views.version_xlsform, name="version-xlsform"),
    path(VERSION + "media/", views.version_media, name="version-media"),
]
