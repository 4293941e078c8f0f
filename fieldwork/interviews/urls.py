from django.urls import path

from fieldwork.interviews import views

app_name = "interviews"
urlpatterns = [
    path("", views.interview_list_view, name="interview-list"),
    path("<uuid:interview_id>/", views.interview_detail, name="interview-detail"),
    path("<uuid:interview_id>/review/", views.interview_review_view, name="interview-review"),
    path("<uuid:interview_id>/comment/", views.interview_comment_view, name="interview-comment"),
]
