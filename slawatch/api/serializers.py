from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import serializers

from slawatch.escalation.models import Escalation
from slawatch.leads import ladder
from slawatch.leads.models import Handoff, Lead, SlaPolicy, TouchKind
from slawatch.leads.owners import OwnerIdTaken, person_set_crm_ids
from slawatch.people.models import Calendar, Person, Team, validate_outbound_url


def django_errors(exc: DjangoValidationError) -> serializers.ValidationError:
    """Django's ValidationError as DRF's: per field when it names fields, else non_field_errors."""
    detail = getattr(exc, "message_dict", None) or {"non_field_errors": exc.messages}
    return serializers.ValidationError(detail)


class CleanModelSerializer(serializers.ModelSerializer):
    """Runs the model's own field validators and clean(), so the API and the admin agree."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        instance = self.Meta.model(**{k: v for k, v in self._merged(attrs).items()
                                      if k in self._concrete_names()})
        try:
            instance.clean()
        except DjangoValidationError as exc:
            raise django_errors(exc) from None
        return attrs

    def _concrete_names(self):
        return {f.name for f in self.Meta.model._meta.concrete_fields}

    def _merged(self, attrs):
        merged = {}
        if self.instance is not None:
            for name in self._concrete_names():
                merged[name] = getattr(self.instance, name)
        merged.update(attrs)
        return merged


class TeamSerializer(serializers.ModelSerializer):
    # The webhook URL is a credential (whoever has it posts into the channel): write-only.
    slack_webhook_url = serializers.URLField(
        max_length=500, required=False, allow_blank=True, write_only=True,
        validators=[validate_outbound_url],
        help_text="https://hooks.slack.com/… (or a host in SLAWATCH_OUTBOUND_ALLOWED_HOSTS); "
                  "write-only")
    slack_webhook_url_set = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = ["id", "name", "manager", "escalation_contact", "slack_webhook_url",
                  "slack_webhook_url_set", "slack_channel", "max_reroutes_per_lead"]

    def get_slack_webhook_url_set(self, team) -> bool:
        return bool(team.slack_webhook_url)


class CrmIdsField(serializers.DictField):
    child = serializers.CharField(max_length=100)

    def to_representation(self, value):
        return {identity.crm: identity.owner_id for identity in value.all()}


class PersonSerializer(serializers.ModelSerializer):
    crm_ids = CrmIdsField(source="crm_identities", required=False,
                          help_text='CRM name -> owner id, e.g. {"hubspot": "111"}')

    class Meta:
        model = Person
        fields = ["id", "name", "email", "role", "team", "time_zone", "slack_user_id",
                  "crm_ids", "user", "is_active", "digest_enabled", "digest_time"]

    def validate_crm_ids(self, value):
        for crm, owner_id in value.items():
            if not crm or len(crm) > 50:
                raise serializers.ValidationError(f"CRM name {crm!r} must be 1-50 characters")
            if "\x00" in crm:  # PostgreSQL text cannot hold NUL (owner ids: CharField checks)
                raise serializers.ValidationError("a CRM name cannot contain NUL (\\u0000)")
        return value  # an owner id held by another person: the mapping service says so

    @transaction.atomic
    def create(self, validated_data):
        crm_ids = validated_data.pop("crm_identities", {})
        person = super().create(validated_data)
        self._save_crm_ids(person, crm_ids)
        return person

    @transaction.atomic
    def update(self, instance, validated_data):
        crm_ids = validated_data.pop("crm_identities", None)
        person = super().update(instance, validated_data)
        if crm_ids is not None:
            self._save_crm_ids(person, crm_ids, replace=True)
        return person

    def _save_crm_ids(self, person, crm_ids, replace=False):
        try:
            person_set_crm_ids(person=person, crm_ids=crm_ids, replace=replace)
        except OwnerIdTaken as exc:
            raise serializers.ValidationError({"crm_ids": exc.messages}) from None


class HourSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="Monday=0")
    start = serializers.RegexField(r"^([01]\d|2[0-3]):[0-5]\d$", help_text="HH:MM")
    end = serializers.RegexField(r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$", help_text="HH:MM, up to 24:00")

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError(
                f"end {attrs['end']} must be after start {attrs['start']}")
        return attrs


class CalendarSerializer(CleanModelSerializer):
    hours = HourSerializer(many=True, required=False)
    holidays = serializers.ListField(child=serializers.DateField(), required=False)

    class Meta:
        model = Calendar
        fields = ["id", "name", "time_zone", "always_open", "hours", "holidays", "country"]
        extra_kwargs = {"country": {"allow_null": True}}

    def validate_holidays(self, value):
        return [d.isoformat() for d in value]

    def validate_country(self, value):
        return (value or "").upper()  # optional: null and "" both mean no public holidays


class StepSerializer(serializers.Serializer):
    at_percent = serializers.FloatField(required=False, allow_null=True, min_value=0.01,
                                        max_value=100)
    after_breach_minutes = serializers.FloatField(required=False, allow_null=True, min_value=0)
    notify = serializers.ChoiceField(ladder.NOTIFY, required=False)
    channel = serializers.ChoiceField(ladder.CHANNELS, required=False)
    repeat_minutes = serializers.FloatField(required=False, allow_null=True, min_value=1)
    action = serializers.ChoiceField(ladder.ACTIONS, default="notify")

    def validate(self, attrs):
        try:
            ladder.validate_steps([{k: v for k, v in attrs.items()}])
        except ValueError as exc:
            raise serializers.ValidationError(str(exc).replace("steps[0]", "step")) from None
        return attrs


class PolicySerializer(CleanModelSerializer):
    steps = StepSerializer(many=True, required=False)
    touch_kinds = serializers.ListField(
        child=serializers.ChoiceField(TouchKind.values),
        required=False)

    class Meta:
        model = SlaPolicy
        fields = ["id", "heat", "team", "first_touch_minutes", "follow_up_touches",
                  "follow_up_window_minutes", "calendar", "touch_kinds", "steps"]
        extra_kwargs = {"first_touch_minutes": {"min_value": 1}}
        validators = []  # the unique (heat, team) check is done below with a clear message

    def validate(self, attrs):
        attrs = super().validate(attrs)
        heat = attrs.get("heat", getattr(self.instance, "heat", None))
        team = attrs.get("team", getattr(self.instance, "team", None))
        clash = SlaPolicy.objects.filter(heat=heat, team=team)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            scope = f"team {team}" if team else "the default (no team)"
            raise serializers.ValidationError(
                {"heat": f"a {heat} policy for {scope} already exists"})
        return attrs


class LeadSerializer(serializers.ModelSerializer):
    owner_unmapped = serializers.BooleanField(read_only=True)

    class Meta:
        model = Lead
        fields = ["id", "crm", "external_id", "email", "name", "company", "phone", "source",
                  "campaign", "heat", "score", "sourced_by", "status", "owner", "owner_crm_id",
                  "owner_unmapped", "created_in_crm_at", "converted_at", "disqualified_at",
                  "created_at", "crm_heat", "properties"]
        read_only_fields = fields


class LeadBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lead
        fields = ["id", "external_id", "crm", "heat", "source", "campaign", "name", "email"]
        read_only_fields = fields


class EscalationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Escalation
        fields = ["id", "step", "occurrence", "kind", "recipient", "channel", "status",
                  "attempts", "sent_at", "last_error", "created_at"]
        read_only_fields = fields


class HandoffSerializer(serializers.ModelSerializer):
    lead = LeadBriefSerializer(read_only=True)
    escalations = EscalationSerializer(many=True, read_only=True)

    class Meta:
        model = Handoff
        fields = ["id", "lead", "rep", "team", "heat", "handed_off_at", "first_touch_due_at",
                  "first_touched_at", "speed_to_lead_seconds", "status", "breached_at",
                  "acknowledged_at", "acknowledged_by", "snoozed_until", "closed_at",
                  "close_reason", "next_due_at", "escalations", "definition_version"]
        read_only_fields = fields


class ReassignSerializer(serializers.Serializer):
    to = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.all(), required=False, allow_null=True,
        help_text="the person to hand the lead to; omitted: the team's round robin")


class SnoozeSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(min_value=1, max_value=7 * 24 * 60,
                                       help_text="how long to hold the ladder's messages")
