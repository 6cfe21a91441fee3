"""Liveness, readiness and metrics. Expose them on the internal network only; with
SLAWATCH_METRICS_TOKEN set, /readyz and /metrics also want `Authorization: Bearer <token>`
(/healthz stays open: orchestrators probe it without credentials)."""

import hmac
from functools import wraps

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from slawatch.ops import checks, metrics, selectors


@never_cache
@require_GET
def healthz(request):
    """The process answers. Touches nothing else, so a database outage does not get
    every web container restarted by the orchestrator."""
    return JsonResponse({"status": "ok"})


def bearer_token_if_configured(view):
    @wraps(view)
    def guarded(request, *args, **kwargs):
        token = settings.SLAWATCH_METRICS_TOKEN
        if token:
            sent = request.headers.get("Authorization", "")
            if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
                response = JsonResponse({"error": "a bearer token is required"}, status=401)
                response["WWW-Authenticate"] = "Bearer"
                return response
        return view(request, *args, **kwargs)
    return guarded


@never_cache
@require_GET
@bearer_token_if_configured
def readyz(request):
    detail = {"database": checks.database() or "ok", "broker": checks.broker() or "ok"}
    ok = detail["database"] == "ok" and detail["broker"] == "ok"
    if detail["database"] == "ok":
        lag = selectors.sweep_lag_seconds(timezone.now())
        limit = settings.SLAWATCH_READY_MAX_SWEEP_LAG_SECONDS
        detail["sweep_lag_seconds"] = round(lag, 1)
        detail["sweep_lag_limit_seconds"] = limit
        if lag > limit:
            detail["sweep"] = "lagging: due timers are waiting longer than the limit"
            ok = False
        else:
            detail["sweep"] = "ok"
    detail["status"] = "ok" if ok else "unavailable"
    return JsonResponse(detail, status=200 if ok else 503)


@never_cache
@require_GET
@bearer_token_if_configured
def metrics_view(request):
    return HttpResponse(metrics.render(), content_type=CONTENT_TYPE_LATEST)
