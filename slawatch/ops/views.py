"""Liveness, readiness and metrics. No authentication: expose on the internal network only."""

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


@never_cache
@require_GET
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
def metrics_view(request):
    return HttpResponse(metrics.render(), content_type=CONTENT_TYPE_LATEST)
