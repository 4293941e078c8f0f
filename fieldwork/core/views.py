from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache

from fieldwork.core.health import service_status


@never_cache
def health(request):
    """For load balancers and `make demo`: no data, only whether services answer."""
    status = service_status()
    return JsonResponse(
        {"database": status.database, "cache": status.cache, "broker": status.broker},
        status=200 if status.ok else 503,
    )


def not_found(request, exception=None):
    """A 404: JSON under /api/ (a path no endpoint matches, such as an interview ID that is
    not a UUID), as the API's own 404s are; the site's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("No such endpoint or object.")}, status=404)
    return defaults.page_not_found(request, exception)
