"""Demo mode only: a local stand-in for Slack, and a page that shows escalations live.

`make run` points SLACK_API_BASE at /demo/slack-sink/ and the demo teams' incoming
webhooks at /demo/slack-sink/webhook/<team>/, so the escalation code runs its real
slack_sdk path and the operator reads the messages on /demo/ instead of in Slack.
Outside demo mode (SLAWATCH_DEMO unset) every view here is a 404.
"""

import json
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from slawatch.demo.models import SlackSinkMessage
from slawatch.escalation.models import Escalation, EscalationKind, EscalationStatus
from slawatch.leads.models import Handoff, HandoffStatus, Heat, SlaPolicy

MAX_SINK_BODY = 256 * 1024


def demo_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.SLAWATCH_DEMO:
            raise Http404("demo mode is off")
        return view(request, *args, **kwargs)
    return wrapper


def _body(request) -> dict:
    if len(request.body) > MAX_SINK_BODY:
        return {}
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    data = {key: request.POST.get(key) for key in request.POST}
    for key in ("blocks", "attachments"):  # form-encoded Web API calls send these as JSON text
        if isinstance(data.get(key), str):
            try:
                data[key] = json.loads(data[key])
            except ValueError:
                pass
    return data


@csrf_exempt
@require_POST
@demo_only
def slack_api(request, method):
    """Answers like Slack's Web API: {"ok": true, ...}; a missing token is `not_authed`."""
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        return JsonResponse({"ok": False, "error": "not_authed"})
    data = _body(request)
    message = SlackSinkMessage.objects.create(
        method=method[:64], channel=str(data.get("channel", ""))[:100],
        text=str(data.get("text", "")), payload=data)
    return JsonResponse({"ok": True, "channel": message.channel,
                         "ts": f"{message.received_at.timestamp():.6f}",
                         "message": {"text": message.text}})


@csrf_exempt
@require_POST
@demo_only
def slack_webhook(request, name):
    """Answers like an incoming webhook: 200 with the plain-text body `ok`."""
    data = _body(request)
    if not data.get("text") and not data.get("blocks"):
        return HttpResponse("no_text", status=400, content_type="text/plain")
    SlackSinkMessage.objects.create(method="webhook", channel=f"#{name}"[:100],
                                    text=str(data.get("text", "")), payload=data)
    return HttpResponse("ok", content_type="text/plain")


def _recent_mail(limit=10):
    folder = Path(getattr(settings, "EMAIL_FILE_PATH", "") or "")
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)[:limit]
    mails = []
    for path in files:
        head = path.read_text(errors="replace")[:4000]
        subject = next((line[9:] for line in head.splitlines() if line.startswith("Subject: ")),
                       "(no subject)")
        to = next((line[4:] for line in head.splitlines() if line.startswith("To: ")), "")
        mails.append({"file": path.name, "subject": subject, "to": to})
    return mails


def _live_counts():
    """One aggregate query per table, not one count per figure."""
    return {
        **Escalation.objects.filter(kind=EscalationKind.ESCALATION).aggregate(
            escalations=Count("id"),
            escalations_sent=Count("id", filter=Q(status=EscalationStatus.SENT)),
            escalations_failed=Count("id", filter=Q(status=EscalationStatus.FAILED))),
        "slack_messages": SlackSinkMessage.objects.count(),
        **Handoff.objects.filter(closed_at__isnull=True).aggregate(
            open_handoffs=Count("id"), breached_open=Count(
                "id", filter=Q(status=HandoffStatus.BREACHED))),
    }


def step_label(escalation) -> str:
    """"warning at 50 %", "breach", "1 min after breach" (+ repeat) for the demo table."""
    snapshot = escalation.handoff.snapshot if escalation.handoff_id else None
    steps = (snapshot or {}).get("steps") or []
    if escalation.step is None or escalation.step >= len(steps):
        return escalation.kind
    step = steps[escalation.step]
    percent, after = step.get("at_percent"), step.get("after_breach_minutes")
    if percent is not None and percent < 100:
        label = f"warning at {percent:g} %"
    elif after:
        label = f"{after:g} min after breach"
    else:
        label = "breach"
    return label + (f", repeat {escalation.occurrence}" if escalation.occurrence else "")


def _hot_minutes():
    policy = SlaPolicy.objects.filter(heat=Heat.HOT, team__isnull=True).first()
    return policy.first_touch_minutes if policy else None


@never_cache
@require_GET
@demo_only
def index(request):
    escalations = list(Escalation.objects.select_related(
        "handoff__lead", "handoff__rep", "recipient_person", "recipient_team",
    ).order_by("-created_at")[:40])
    for escalation in escalations:
        escalation.step_label = step_label(escalation)
    return render(request, "demo/index.html", {
        "counts": _live_counts(), "escalations": escalations, "hot_minutes": _hot_minutes(),
        "slack": SlackSinkMessage.objects.all()[:30], "mail": _recent_mail(),
        "mail_folder": getattr(settings, "EMAIL_FILE_PATH", ""), "now": timezone.now(),
    })


@never_cache
@require_GET
@demo_only
def status(request):
    """The same counts as JSON, for scripts (bench/demo_check.sh, tests)."""
    return JsonResponse(_live_counts())


@never_cache
@require_GET
@demo_only
def slack_sink_messages(request):
    """What the sink received, newest first (also shown on /demo/)."""
    rows = SlackSinkMessage.objects.all()[:100]
    return JsonResponse({"messages": [
        {"received_at": m.received_at.isoformat(), "method": m.method, "channel": m.channel,
         "text": m.text, "payload": m.payload} for m in rows]})
