"""The SLA board: open handoffs by time left, actions on them, 30-day charts.

Rows are scoped with access.scoping (a manager sees the team). The figures come from
the report selectors, so the board and the reports show the same compliance and the
same (median) speed-to-lead for the same days; charts are drawn by reports.charts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.db.models import Case, IntegerField, Min, Q, Value, When
from django.utils import timezone
from django.utils.safestring import mark_safe

from slawatch.access import handoff_rules, scoping
from slawatch.leads.models import Handoff, HandoffStatus, Heat
from slawatch.leads.reassign import ReassignRefused, eligible_owners, handoff_reassign
from slawatch.leads.services import handoff_acknowledge
from slawatch.people.models import Person
from slawatch.reports import charts
from slawatch.reports.selectors import ReportWindow, sla_report

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
            .select_related("lead", "rep__team", "team")
            .order_by("rank", "due", "pk")[:MAX_ROWS])


def _row(handoff, now, candidates, user):
    warn_at = handoff.window_start + (handoff.due - handoff.window_start) * WARN_FRACTION
    state = "breach" if handoff.due <= now else "warn" if warn_at <= now else "ok"
    allowed = handoff_rules.allowed_actions(user, handoff)  # the same rule as Slack and the API
    return {"handoff": handoff, "due": handoff.due, "warn_at": warn_at, "state": state,
            "unacked_breach": handoff.rank == 0,
            "may_acknowledge": handoff_rules.ACKNOWLEDGE in allowed,
            "reassign_to": candidates(handoff) if handoff_rules.REASSIGN in allowed else []}


def _candidates(handoffs):
    """handoff -> the reps it may be handed to (the reassign service's own rule)."""
    cache: dict[tuple[int, str], list] = {}

    def for_handoff(handoff: Handoff):
        team = handoff.team_now()
        if team is None:
            return []
        key = (team.pk, handoff.lead.crm)
        if key not in cache:
            owners = eligible_owners(team, handoff.lead.crm)
            cache[key] = list(Person.objects.filter(pk__in=owners).order_by("name"))
        return [p for p in cache[key] if p.pk != handoff.rep_id]
    return for_handoff


def chart_data(user, now: datetime) -> dict:
    """The last 30 days through the report selectors (the same figures as /admin/reports/)."""
    def report(group_by):
        window = ReportWindow(now - timedelta(days=WINDOW_DAYS), now, group_by,
                              scoping.handoff_scope(user))
        return sla_report(window)

    by_day = {row["key"]: row["compliance"] for row in report("day")}
    days = [(now - timedelta(days=n)).date() for n in range(WINDOW_DAYS - 1, -1, -1)]
    compliance = [(day.strftime("%d %b"), by_day.get(day.isoformat())) for day in days]
    speed = {row["key"]: row["speed_to_lead_median_minutes"] for row in report("heat")}
    speed_by_heat = [(label, speed.get(heat)) for heat, label in Heat.choices]
    breaches = sorted(((row["label"], row["breached"]) for row in report("rep") if row["breached"]),
                      key=lambda item: (-item[1], item[0]))[:10]
    return {"compliance": compliance, "speed_by_heat": speed_by_heat, "breaches_by_rep": breaches}


def _chart(title, pairs, *, percent=False, series="value"):
    return mark_safe(charts.grouped_bars(title, [label for label, _ in pairs],
                                         {series: [value for _, value in pairs]},
                                         percent=percent))


def context(user) -> dict:
    now = timezone.now()
    data = chart_data(user, now)
    handoffs = list(open_handoffs(user))
    candidates = _candidates(handoffs)
    return {
        "rows": [_row(h, now, candidates, user) for h in handoffs],
        "now": now,
        "can_act": handoff_rules.may_act_on_some_handoff(user),
        "charts": [
            _chart("SLA compliance by day (last 30 days)", data["compliance"], percent=True,
                   series="compliance"),
            _chart("Median speed-to-lead by heat (minutes)", data["speed_by_heat"],
                   series="median minutes"),
            _chart("Breaches by rep (last 30 days)", data["breaches_by_rep"], series="breaches"),
        ],
        "chart_data": data,
    }


def act(request) -> None:
    """Acknowledge or reassign one handoff from the board (a POST); reports via messages."""
    user, post = request.user, request.POST
    handoff_id = post.get("handoff", "")
    handoff = scoping.handoffs_for(user).filter(pk=int(handoff_id)).select_related(
        "lead", "rep__team", "team").first() if handoff_id.isdigit() else None
    if handoff is None:
        messages.error(request, "That handoff does not exist or is not yours to act on.")
        return
    action = post.get("action")
    if action not in (handoff_rules.ACKNOWLEDGE, handoff_rules.REASSIGN):
        messages.error(request, "Unknown action.")
        return
    why = handoff_rules.refusal(user, handoff, action)
    if why is not None:
        messages.error(request, why)
        return
    who = scoping.actor_name(user)
    if action == handoff_rules.ACKNOWLEDGE:
        done = handoff_acknowledge(handoff=handoff, by=who)
        messages.success(request, f"Acknowledged {handoff.lead}." if done else
                         f"{handoff.lead} had nothing waiting for acknowledgement.")
    else:
        _reassign(request, handoff, post.get("rep", ""), who)


def _reassign(request, handoff, rep_id, who):
    # A person the user sees (people/): the refusal names the person. The reassignment
    # service then accepts only an active rep of the handoff's team.
    to = scoping.people_for(request.user).filter(pk=int(rep_id)).first() \
        if rep_id.isdigit() else None
    if to is None:
        messages.error(request, "Choose a rep of the handoff's team to reassign to.")
        return
    try:
        handoff_reassign(handoff=handoff, to=to, by=who)
    except ReassignRefused as exc:
        messages.error(request, " ".join(exc.messages))
        return
    messages.success(request, f"{handoff.lead} reassigned to {to}.")
