from django.urls import path

from fieldwork.webforms import views

app_name = "webforms"
urlpatterns = [
    path("", views.form_list, name="form-list"),
    path("<str:xform_id>/", views.form_fill, name="form-fill"),
]
