from django.contrib.auth import views as auth_views
from django.urls import path

from fieldwork.accounts.views import LoginView

app_name = "accounts"
urlpatterns = [
    path(
        "login/",
        LoginView.as_view(),
        name="login",
    ),
    # Django's LogoutView answers POST only (405 on GET): a link cannot sign anyone out.
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
