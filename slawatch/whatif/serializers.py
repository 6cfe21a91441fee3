"""The what-if question as the API and the admin page receive it, validated strictly.

A proposed policy is validated by the policies/ serializer itself (same fields, same
messages), minus `team` (a proposal applies to every team) and minus the (heat, team)
uniqueness check, since nothing is stored.
"""

from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from slawatch.api.serializers import CleanModelSerializer, PolicySerializer
from slawatch.definitions.models import LeadDefinition
from slawatch.leads.models import SlaPolicy
from slawatch.reports import params
from slawatch.whatif.selectors import GROUP_BYS, MAX_DAYS, WhatIf

DEFAULT_DAYS = 90


class InstantField(serializers.Field):
    """An ISO date (midnight in the site time zone) or datetime, as the reports take them."""

    def to_internal_value(self, data):
        try:
            return params.parse_instant(str(data), self.field_name)
        except params.BadParameter as exc:
            raise serializers.ValidationError(str(exc)) from None

    def to_representation(self, value):
        return value.isoformat()


class ProposedPolicySerializer(PolicySerializer):
    class Meta(PolicySerializer.Meta):
        fields = [name for name in PolicySerializer.Meta.fields if name not in ("id", "team")]

    def validate(self, attrs):
        # The model's own rules (CleanModelSerializer), not the uniqueness check of a
        # policy about to be saved: a proposal is never saved.
        return CleanModelSerializer.validate(self, attrs)


class WhatIfSerializer(serializers.Serializer):
    start = InstantField(required=False, help_text="ISO date or datetime, inclusive; "
                                                   "default 90 days before end")
    end = InstantField(required=False, help_text="ISO date or datetime, exclusive; default now")
    group_by = serializers.ChoiceField(
        GROUP_BYS, default="rep", error_messages={
            "invalid_choice": f"group_by must be one of {', '.join(GROUP_BYS)}, not {{input!r}}"})
    policies = ProposedPolicySerializer(
        many=True, required=False, help_text="proposed policies, at most one per heat; "
                                             "heats left out keep the policy in force")

    definition = serializers.PrimaryKeyRelatedField(
        queryset=LeadDefinition.objects.all(), required=False, allow_null=True,
        help_text="a draft lead definition whose rules decide every handoff's heat")

    def validate_definition(self, value):
        if value is not None and not value.is_draft:
            raise serializers.ValidationError(
                f"definition {value.pk} ({value}) is {value.status}; only a draft can be tried")
        return value

    def validate(self, attrs):
        end = attrs.get("end") or timezone.now()
        try:
            start = attrs.get("start") or end - timedelta(days=DEFAULT_DAYS)
        except OverflowError:
            raise serializers.ValidationError(
                {"end": f"end ({end.isoformat()}) is too early to replay the 90 days before "
                        "it"}) from None
        if end <= start:
            raise serializers.ValidationError(
                {"end": f"end ({end.isoformat()}) must be after start ({start.isoformat()})"})
        if end - start > timedelta(days=MAX_DAYS):
            raise serializers.ValidationError(
                {"end": f"the range is {(end - start).days} days; at most {MAX_DAYS} days "
                        "can be replayed at once"})
        heats = [policy["heat"] for policy in attrs.get("policies", [])]
        repeated = sorted({heat for heat in heats if heats.count(heat) > 1})
        if repeated:
            raise serializers.ValidationError(
                {"policies": f"one proposed policy per heat; {', '.join(repeated)} is given "
                             "more than once"})
        return {**attrs, "start": start, "end": end}

    def question(self, scope=None) -> WhatIf:
        data = self.validated_data
        proposal = {policy["heat"]: SlaPolicy(**policy).snapshot()
                    for policy in data.get("policies", [])}
        definition = data.get("definition")
        return WhatIf(start=data["start"], end=data["end"], group_by=data["group_by"],
                      policies=proposal, scope=scope,
                      definition=definition.as_rules() if definition is not None else None)
