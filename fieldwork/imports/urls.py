from django.urls import path

from fieldwork.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.import_list_view, name="import-list"),
    path("new/", views.import_create_view, name="import-create"),
    path("batch/", views.import_detail_view, name="import-detail"),
    path("confirm/", views.import_confirm_view, name="import-confirm"),
]
