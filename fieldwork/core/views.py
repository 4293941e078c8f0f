from django.http import JsonResponse
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
