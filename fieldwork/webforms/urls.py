from django.urls import path

from fieldwork.webforms import views

app_name = "webforms"
urlpatterns = [
    path("", views.form_list, name="form-list"),
    path("correct/<uuid:interview_id>/", views.form_edit, name="form-edit"),
    path(
        "correct/<uuid:interview_id>/instance.xml",
        views.form_edit_instance,
        name="form-edit-instance",
    ),
    path("<str:xform_id>/", views.form_fill, name="form-fill"),
]
