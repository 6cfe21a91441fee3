"""The ceiling: bare Django views that store what the webhooks store, minus slawatch.

No signature check, no validation, no task enqueue: `json.loads`, the insert(s), 204.
One row for a generic event; one bulk insert (conflict-ignore on the dedupe key,
like the inbox) for a batch. Served by the same gunicorn processes as slawatch.
"""

import json

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
