from django.conf import settings
from django.contrib.auth import views as auth_views
from django.views.i18n import set_language

from fieldwork.accounts.services import user_set_language


class LoginView(auth_views.LoginView):
    """Sign-in that puts the interface in the language the user chose last time."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            form.get_user().language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
        )
        return response


def language_switch(request):
    """Django's set_language, which also remembers the choice on the user's account."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated:
        user_set_language(user=request.user, language=language)
    return response
