"""The what-if page in the admin (/admin/whatif/whatif/): pick a range, edit the proposed
policy per heat (prefilled with the current one), optionally pick a draft lead
definition, see actual against proposed as a
table and a chart, the totals and the pager load. The same serializer and selector as
`POST /api/v1/what-if/`; nothing is stored."""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import mark_safe

from slawatch.definitions.models import LeadDefinition, Status
from slawatch.leads.events import TOUCH_KINDS
from slawatch.leads.models import Heat, SlaPolicy
from slawatch.people.models import Calendar
from slawatch.access import roles, scoping
from slawatch.reports import charts
from slawatch.whatif.selectors import FIGURES, GROUP_BYS, TooBig, what_if_within_limits
from slawatch.whatif.serializers import DEFAULT_DAYS, WhatIfSerializer

POLICY_FIELDS = ("first_touch_minutes", "follow_up_touches", "follow_up_window_minutes")


def may_use(user) -> bool:
    """Managers (and directors), RevOps and superusers: the people who sign a policy."""
    if not (user.is_active and user.is_staff):
        return False
    scope = scoping.scope_of(user)
    return user.is_superuser or scope.role == roles.MANAGER or roles.REVOPS in scope.groups


def page(request):
    if not may_use(request.user):
        raise PermissionDenied("the what-if page is for managers and RevOps")
    context = {**admin.site.each_context(request), "title": "What-if: replay a past range",
               "group_bys": GROUP_BYS, "calendars": list(Calendar.objects.all()),
               "touch_kinds": TOUCH_KINDS,
               "drafts": list(LeadDefinition.objects.filter(status=Status.DRAFT).order_by("name"))}
    if request.method == "POST":
        form = _posted(request.POST)
        payload, errors = _payload(form)
        serializer = WhatIfSerializer(data=payload)
        if not errors and serializer.is_valid():
            question = serializer.question(scope=scoping.handoff_scope(request.user))
            try:
                context["result"] = _result(what_if_within_limits(question))
            except TooBig as exc:
                errors.append(f"end: {exc}")
        else:
            errors += _messages(serializer.errors) if not errors else []
        context.update(form=form, errors=errors)
        return TemplateResponse(request, "whatif/whatif.html", context,
                                status=400 if errors else 200)
    context["form"] = _initial(request.GET, scoping.policies_for(request.user))
    return TemplateResponse(request, "whatif/whatif.html", context)


# --- the form: plain named inputs, one block per heat ----------------------------------

def _policy_form(heat, policy, propose=False) -> dict:
    if policy is None:
        return {"heat": heat, "label": Heat(heat).label, "propose": propose,
                "first_touch_minutes": "", "follow_up_touches": "0",
                "follow_up_window_minutes": "0", "calendar": "", "touch_kinds": [],
                "steps": "[]", "current": False}
    return {"heat": heat, "label": Heat(heat).label, "propose": propose,
            **{name: str(getattr(policy, name)) for name in POLICY_FIELDS},
            "calendar": str(policy.calendar_id or ""), "touch_kinds": list(policy.touch_kinds),
            "steps": json.dumps(policy.steps, indent=1), "current": True}


def _initial(query, policies) -> dict:
    """Each heat prefilled with its current default policy; `?policy=<id>` (the link on a
    policy's page) fills that policy's heat with it and ticks it, if it is among
    `policies` (those the user may see)."""
    end = timezone.localdate()
    chosen = policies.filter(pk=query.get("policy")).first() \
        if (query.get("policy") or "").isdigit() else None
    defaults = {p.heat: p for p in SlaPolicy.objects.filter(team__isnull=True)}
    heats = []
    for heat in Heat.values:
        if chosen is not None and chosen.heat == heat:
            heats.append(_policy_form(heat, chosen, propose=True))
        else:
            heats.append(_policy_form(heat, defaults.get(heat)))
    return {"start": (end - timedelta(days=DEFAULT_DAYS)).isoformat(), "end": end.isoformat(),
            "group_by": query.get("group_by") or "rep", "heats": heats,
            "definition": query.get("definition", "")}


def _posted(post) -> dict:
    heats = []
    for heat in Heat.values:
        heats.append({"heat": heat, "label": Heat(heat).label,
                      "propose": post.get(f"{heat}-propose") == "on",
                      **{name: post.get(f"{heat}-{name}", "") for name in POLICY_FIELDS},
                      "calendar": post.get(f"{heat}-calendar", ""),
                      "touch_kinds": post.getlist(f"{heat}-touch_kinds"),
                      "steps": post.get(f"{heat}-steps", "[]"), "current": True})
    return {"start": post.get("start", ""), "end": post.get("end", ""),
            "group_by": post.get("group_by", "rep"), "heats": heats,
            "definition": post.get("definition", "")}


def _payload(form) -> tuple[dict, list[str]]:
    payload = {"group_by": form["group_by"], "policies": []}
    if form["definition"]:
        payload["definition"] = form["definition"]
    for name in ("start", "end"):
        if form[name].strip():
            payload[name] = form[name].strip()
    errors = []
    for block in form["heats"]:
        if not block["propose"]:
            continue
        try:
            steps = json.loads(block["steps"] or "[]")
        except ValueError as exc:
            errors.append(f"{block['label']} steps: not JSON ({exc})")
            continue
        payload["policies"].append({
            "heat": block["heat"], **{name: block[name] for name in POLICY_FIELDS},
            "calendar": block["calendar"] or None, "touch_kinds": block["touch_kinds"],
            "steps": steps})
    return payload, errors


def _messages(errors, prefix="") -> list[str]:
    """DRF's nested error structure as flat 'where: message' lines ("policies[0]: …")."""
    if isinstance(errors, dict):
        out = []
        for name, value in errors.items():
            if isinstance(name, int) or str(name).isdigit():
                where = f"{prefix.rstrip(': ')}[{name}]: "
            else:
                where = prefix if name == "non_field_errors" else f"{prefix}{name}: "
            out += _messages(value, where)
        return out
    if isinstance(errors, list) and errors and not isinstance(errors[0], str):
        return _messages(dict(enumerate(errors)), prefix)
    return [f"{prefix}{message}" for message in errors]


# --- the answer ------------------------------------------------------------------------

def _result(data) -> dict:
    rows = data["rows"]
    labels = [row["label"] for row in rows]
    compliance = charts.grouped_bars(
        "Compliance: actual vs proposed", labels,
        {side: [row[side]["compliance"] for row in rows] for side in ("actual", "proposed")},
        percent=True)
    escalations = charts.grouped_bars(
        "Escalations: actual vs proposed", labels,
        {side: [row[side]["escalations"] for row in rows] for side in ("actual", "proposed")})
    return {"rows": [_cells(row) for row in rows], "totals": _cells({"label": "Total",
                                                                     **data["totals"]}),
            "figures": FIGURES, "pager_load": data["pager_load"], "weeks": data["weeks"],
            "chart": mark_safe(compliance + escalations)}


def _cells(row) -> dict:
    return {"label": row["label"],
            **{side: [_shown(name, row[side][name]) for name in FIGURES]
               for side in ("actual", "proposed")}}


def _shown(name, value):
    if value is None:
        return "-"
    return f"{value * 100:.1f}%" if name == "compliance" else value
