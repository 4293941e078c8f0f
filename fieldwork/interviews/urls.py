from django.urls import path

from fieldwork.interviews import views

app_name = "interviews"
urlpatterns = [
    path("", views.interview_list_view, name="interview-list"),
    path("<uuid:interview_id>/", views.interview_detail, name="interview-detail"),
    path("<uuid:interview_id>/submit/", views.interview_submit_view, name="interview-submit"),
    path("<uuid:interview_id>/review/", views.interview_review_view, name="interview-review"),
    path("<uuid:interview_id>/comment/", views.interview_comment_view, name="interview-comment"),
    path(
        "<uuid:interview_id>/versions/<int:version_number>/files/<str:filename>",
        views.interview_attachment_view,
        name="interview-attachment",
    ),
    path(
        "<uuid:interview_id>/conflicts/<int:conflict_id>/",
        views.interview_conflict_view,
        name="interview-conflict",
    ),
]
