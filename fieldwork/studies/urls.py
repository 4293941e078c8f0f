from django.urls import path

from fieldwork.studies import views

app_name = "studies"
urlpatterns = [
    path("", views.study_list, name="study-list"),
    path("new/", views.study_create_view, name="study-create"),
    path("<slug:slug>/", views.study_home, name="study-home"),
    path("<slug:slug>/places/", views.place_list, name="place-list"),
    path("<slug:slug>/places/new/", views.place_create_view, name="place-create"),
    path("<slug:slug>/actors/", views.actor_list_view, name="actor-list"),
    path("<slug:slug>/actors/new/", views.actor_create_view, name="actor-create"),
    path("<slug:slug>/actors/<int:actor_id>/", views.actor_detail, name="actor-detail"),
    path("<slug:slug>/actors/<int:actor_id>/edit/", views.actor_edit, name="actor-edit"),
    path("<slug:slug>/members/", views.member_list_view, name="member-list"),
    path("<slug:slug>/members/add/", views.member_add_view, name="member-add"),
    path("<slug:slug>/members/<int:member_id>/role/", views.member_role_view, name="member-role"),
    path(
        "<slug:slug>/members/<int:member_id>/remove/",
        views.member_remove_view,
        name="member-remove",
    ),
]
