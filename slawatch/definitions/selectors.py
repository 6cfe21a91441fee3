"""Reads of lead definitions: what the derivation needs, the diff and the preview."""

from __future__ import annotations

import difflib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from slawatch.definitions.models import CrmHeat, LeadDefinition, Side, Status
from slawatch.leads import heat_rules
from slawatch.leads.events import HEATS
from slawatch.leads.models import Lead


def definitions_in_force() -> tuple[heat_rules.Definition, ...]:
    """Every definition that has decided (or will decide) heat, by effective_from. One
    superseded before its effective_from never decided anything and is left out."""
    rows = LeadDefinition.objects.filter(version__isnull=False).exclude(
        retired_at__isnull=False, retired_at__lte=F("effective_from")).order_by(
        "effective_from", "version")
    return tuple(row.as_rules() for row in rows)


def active_definition() -> LeadDefinition | None:
    return LeadDefinition.objects.filter(status=Status.ACTIVE).first()


def approvals_by_side(definition: LeadDefinition) -> dict[str, list]:
    sides = {side: [] for side in Side.values}
    for approval in definition.approvals.filter(withdrawn_at__isnull=True).select_related(
            "person"):
        sides[approval.side].append(approval)
    return sides


def awaited_sides(definition: LeadDefinition) -> list[str]:
    return [side for side, approvals in approvals_by_side(definition).items() if not approvals]


def _text(definition: LeadDefinition | None) -> list[str]:
    if definition is None:
        return []
    shown = {"default_heat": definition.default_heat, "crm_heat": definition.crm_heat,
             "rules": definition.rules}
    return json.dumps(shown, indent=2, sort_keys=False).splitlines()


def diff_against_active(definition: LeadDefinition) -> list[str]:
    """A unified diff (lines) from the active definition to this one; empty when the same
    or when this is the active one."""
    active = active_definition()
    if active is not None and active.pk == definition.pk:
        return []
    before = f"active v{active.version}" if active else "no active definition"
    return list(difflib.unified_diff(_text(active), _text(definition), fromfile=before,
                                     tofile=str(definition), lineterm=""))


def describe(condition: dict) -> str:
    return f"{condition['field']} {condition['op']} {json.dumps(condition['value'])}"


PREVIEW_DAYS = 90
SAMPLES_PER_RULE = 5


@dataclass
class Preview:
    start: datetime
    leads: int = 0
    was: Counter = field(default_factory=Counter)        # heat -> leads, as stored
    would: Counter = field(default_factory=Counter)      # heat -> leads, under the draft
    moved: Counter = field(default_factory=Counter)      # (was, would) -> leads
    by_rule: Counter = field(default_factory=Counter)    # rule index or None -> leads
    samples: dict = field(default_factory=dict)          # rule index or None -> [Lead]

    def rule_rows(self, definition: LeadDefinition) -> list[dict]:
        """One row per rule in order, then the CRM's heat and the default, with counts."""
        rows = [{"key": index, "label": f"rule {index}: {rule['heat']} when "
                 + " and ".join(describe(c) for c in rule["when"])}
                for index, rule in enumerate(definition.rules)]
        if definition.crm_heat == CrmHeat.PREFER:
            rows.insert(0, {"key": "crm", "label": "the CRM's own heat (preferred)"})
        rows.append({"key": None, "label": f"no rule matched: {definition.default_heat}"})
        for row in rows:
            row["count"] = self.by_rule[row["key"]]
            row["samples"] = self.samples.get(row["key"], [])
            row["key"] = "default" if row["key"] is None else row["key"]
        return rows

    def rows(self):
        return [{"heat": heat, "was": self.was[heat], "would": self.would[heat],
                 "change": self.would[heat] - self.was[heat]} for heat in HEATS]


def preview(definition: LeadDefinition, *, days: int = PREVIEW_DAYS, now=None,
            visible=None) -> Preview:
    """How the leads first seen in the last `days` days would be tiered under `definition`
    against how they are now (their stored heat, else the default heat), from the stored
    leads and their properties. The CRM's own heat is used only when the definition
    prefers it.

    The counts cover every lead (the definition is company-wide); the sample leads, which
    name and link a lead, are taken only from `visible(leads)` (a row scope such as
    `partial(scoping.leads_for, user)`; None: every lead)."""
    now = now or timezone.now()
    result = Preview(start=now - timedelta(days=days))
    rules = heat_rules.validate_rules(definition.rules)
    fallback = settings.SLAWATCH_DEFAULT_HEAT
    leads = Lead.objects.annotate(seen=Coalesce("created_in_crm_at", "created_at")).filter(
        Q(seen__gte=result.start) & Q(seen__lt=now)).only(
        "id", "crm", "external_id", "name", "email", "source", "campaign", "score", "heat",
        "crm_heat", "properties").order_by("-seen", "pk")
    shown = None if visible is None else set(visible(leads).values_list("pk", flat=True))
    for lead in leads.iterator(chunk_size=2000):
        fields = heat_rules.lead_fields(source=lead.source, campaign=lead.campaign,
                                        score=lead.score, email=lead.email,
                                        properties=lead.properties)
        crm = lead.crm_heat or None
        if definition.crm_heat == CrmHeat.PREFER and crm:
            index, would = "crm", crm
        else:
            index = heat_rules.matching_rule(rules, fields)
            would = rules[index]["heat"] if index is not None else definition.default_heat
        was = lead.heat or fallback
        result.leads += 1
        result.was[was] += 1
        result.would[would] += 1
        result.moved[(was, would)] += 1
        result.by_rule[index] += 1
        samples = result.samples.setdefault(index, [])
        if len(samples) < SAMPLES_PER_RULE and (shown is None or lead.pk in shown):
            samples.append(lead)
    return result
