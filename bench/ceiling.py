"""The ceiling: bare Django views that store what the webhooks store, minus slawatch.

No signature check, no validation, no task enqueue: `json.loads`, the insert(s), 204.
One row for a generic event; one bulk insert (conflict-ignore on the dedupe key,
like the inbox) for a batch. Served by the same gunicorn processes as slawatch.
"""

import json

from celery import shared_task
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bench.models import CeilingEvent


@csrf_exempt
@require_POST
def one_event(request):
    obj = json.loads(request.body)
    CeilingEvent.objects.create(source="generic", event_id=obj["event_id"],
                                body=request.body.decode(), next_attempt_at=timezone.now())
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def batch(request):
    items = json.loads(request.body)
    now = timezone.now()
    CeilingEvent.objects.bulk_create(
        [CeilingEvent(source="hubspot", event_id=f"{i['eventId']}", body=json.dumps(i),
                      next_attempt_at=now) for i in items],
        ignore_conflicts=True)
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def one_event_plus(request):
    """The ceiling plus one of slawatch's per-request costs (`?with=enqueue|count`), to
    attribute the gap between the two (docs/BENCHMARKS.md)."""
    obj = json.loads(request.body)
    extra = request.GET.get("with", "")
    with transaction.atomic():
        if "count" in extra:  # the duplicate counter's pre-insert SELECT
            CeilingEvent.objects.filter(source="generic", event_id__in=[obj["event_id"]]).count()
        CeilingEvent.objects.create(source="generic", event_id=obj["event_id"],
                                    body=request.body.decode(), next_attempt_at=timezone.now())
        if "enqueue" in extra:  # one Celery publish per request, after commit
            transaction.on_commit(lambda: _noop.delay(obj["event_id"]))
    return HttpResponse(status=204)


@shared_task(ignore_result=True, name="bench.ceiling.noop")
def _noop(event_id):
    return event_id
