"""What operators and orchestrators ask the web: is it ready, and its metrics."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from dashboard import metrics, readiness


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database, Redis and migrations, with the version; 503 when not ready."""
    answer = readiness.report("web")
    return JsonResponse(answer, status=200 if answer["ready"] else 503)


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for `Authorization: Bearer <METRICS_TOKEN>` only.

    No token configured: the route does not exist (404). No credentials: 401; wrong: 403.
    """
    expected = settings.METRICS_TOKEN
    if not expected:
        raise Http404
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        response = HttpResponse("metrics need a bearer token\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if not hmac.compare_digest(given.strip().encode(), expected.encode()):
        return HttpResponse("wrong metrics token\n", status=403)
    return HttpResponse(metrics.render(), content_type=metrics.CONTENT_TYPE)
