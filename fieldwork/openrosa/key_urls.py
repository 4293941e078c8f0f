from django.urls import path

from fieldwork.openrosa import key_views

app_name = "formkeys"
urlpatterns = [
    path("", key_views.form_keys_view, name="key-list"),
    path("generate/", key_views.form_key_generate_view, name="key-generate"),
    path("upload/", key_views.form_key_upload_view, name="key-upload"),
    path("decrypt/", key_views.submissions_decrypt_view, name="submissions-decrypt"),
]
