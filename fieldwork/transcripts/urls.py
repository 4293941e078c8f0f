from django.urls import path

from fieldwork.transcripts import views

app_name = "transcripts"
urlpatterns = [
    path("", views.transcript_detail, name="transcript-detail"),
    path("edit/", views.transcript_edit, name="transcript-edit"),
]
