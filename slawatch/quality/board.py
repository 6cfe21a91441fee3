"""The SLA board: open handoffs by time left, actions on them, 30-day charts.

Reads are scoped with scoping.handoffs_for (a manager sees the team); the charts
are database aggregates rendered as inline SVG by charts.py.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Avg, Case, Count, IntegerField, Min, Q, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.safestring import mark_safe

from slawatch.leads.models import Heat, HandoffStatus
from slawatch.leads.services import handoff_acknowledge
from slawatch.people.models import Role
from slawatch.quality import charts, scoping, services

WINDOW_DAYS = 30
MAX_ROWS = 200
WARN_FRACTION = 0.5  # amber once half the time to a milestone has gone


def open_handoffs(user):
    """Handoffs with a milestone still owed: unacknowledged breaches first, then by due time."""
    pending = Q(milestones__met_at__isnull=True)
    return (scoping.handoffs_for(user)
            .filter(closed_at__isnull=True)
            .annotate(due=Min("milestones__due_at", filter=pending),
                      window_start=Min("milestones__started_at", filter=pending))
            .filter(due__isnull=False)
            .annotate(rank=Case(When(status=HandoffStatus.BREACHED, acknowledged_at__isnull=True,
                                     then=Value(0)), default=Value(1),
                                output_field=IntegerField()))
            .select_related("lead", "rep", "team")
            .order_by("rank", "due", "pk")[:MAX_ROWS])


def _row(handoff, now, candidates):
    warn_at = handoff.window_start + (handoff.due - handoff.window_start) * WARN_FRACTION
    state = "breach" if handoff.due <= now else "warn" if warn_at <= now else "ok"
    return {"handoff": handoff, "due": handoff.due, "warn_at": warn_at, "state": state,
            "unacked_breach": handoff.rank == 0,
            "reassign_to": [p for p in candidates.get(handoff.lead.crm, ())
                            if p.pk != handoff.rep_id]}


def _candidates(user):
    """Reps the user may hand a lead to, by CRM (a rep needs an owner id in the lead's CRM)."""
    by_crm: dict[str, list] = {}
    people = scoping.people_for(user).filter(is_active=True, role=Role.REP) \
        .prefetch_related("crm_identities").order_by("name")
    for person in people:
        for identity in person.crm_identities.all():
            by_crm.setdefault(identity.crm, []).append(person)
    return by_crm


def chart_data(user, now):
    since = now - timedelta(days=WINDOW_DAYS)
    recent = scoping.handoffs_for(user).filter(handed_off_at__gte=since)
    per_day = recent.annotate(day=TruncDate("handed_off_at")).values("day").annotate(
        met=Count("pk", filter=Q(status=HandoffStatus.MET)),
        breached=Count("pk", filter=Q(status=HandoffStatus.BREACHED)))
    by_day = {row["day"]: row for row in per_day}
    days = [(now - timedelta(days=n)).date() for n in range(WINDOW_DAYS - 1, -1, -1)]
    compliance = []
    for day in days:
        row = by_day.get(day, {"met": 0, "breached": 0})
        decided = row["met"] + row["breached"]
        compliance.append((day.strftime("%d %b"), row["met"] / decided if decided else None))
    speed = dict(recent.filter(speed_to_lead_seconds__isnull=False).values("heat")
                 .annotate(avg=Avg("speed_to_lead_seconds")).values_list("heat", "avg"))
    speed_by_heat = [(label, speed[heat] / 60 if heat in speed else None)
                     for heat, label in Heat.choices]
    breaches = list(recent.filter(status=HandoffStatus.BREACHED).values("rep__name")
                    .annotate(n=Count("pk")).order_by("-n", "rep__name")
                    .values_list("rep__name", "n")[:10])
    return {"compliance": compliance, "speed_by_heat": speed_by_heat, "breaches_by_rep": breaches}


def context(user) -> dict:
    now = timezone.now()
    candidates = _candidates(user)
    data = chart_data(user, now)
    return {
        "rows": [_row(h, now, candidates) for h in open_handoffs(user)],
        "now": now,
        "can_act": scoping.may_act_on_handoffs(user),
        "charts": [
            mark_safe(charts.bar_chart("SLA compliance by day (last 30 days)",
                                       data["compliance"], unit="%", max_value=1.0,
                                       colour="#2e7d32", label_every=5)),
            mark_safe(charts.bar_chart("Average speed-to-lead by heat (minutes)",
                                       data["speed_by_heat"], unit=" min")),
            mark_safe(charts.bar_chart("Breaches by rep (last 30 days)",
                                       data["breaches_by_rep"], colour="#c62828")),
        ],
        "chart_data": data,
    }


def act(request) -> None:
    """Acknowledge or reassign one handoff from the board (a POST); reports via messages."""
    user, post = request.user, request.POST
    if not scoping.may_act_on_handoffs(user):
        messages.error(request, "You can read the board but not act on handoffs.")
        return
    handoff_id = post.get("handoff", "")
    handoff = scoping.handoffs_for(user).filter(pk=int(handoff_id)).select_related(
        "lead", "rep").first() if handoff_id.isdigit() else None
    if handoff is None:
        messages.error(request, "That handoff does not exist or is not yours to act on.")
        return
    who = scoping.actor_name(user)
    if post.get("action") == "acknowledge":
        done = handoff_acknowledge(handoff=handoff, by=who)
        messages.success(request, f"Acknowledged {handoff.lead}." if done else
                         f"{handoff.lead} had nothing waiting for acknowledgement.")
    elif post.get("action") == "reassign":
        _reassign(request, handoff, post.get("rep", ""), who)
    else:
        messages.error(request, "Unknown action.")


def _reassign(request, handoff, rep_id, who):
    to = scoping.people_for(request.user).filter(pk=int(rep_id)).first() \
        if rep_id.isdigit() else None
    if to is None:
        messages.error(request, "Choose a rep from your team to reassign to.")
        return
    try:
        services.handoff_reassign(handoff=handoff, to=to, by=who)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return
    messages.success(request, f"{handoff.lead} reassigned to {to}. Update the owner in the "
                              "CRM as well, or its next assignment will win.")
