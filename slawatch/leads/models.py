from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from slawatch.leads import ladder
from slawatch.leads.events import (
    CLOSE_REASONS,
    HANDOFF_STATUSES,
    HEATS,
    LEAD_STATUSES,
    OPPORTUNITY_STATUSES,
    TOUCH_KINDS,
)
from slawatch.people.models import Calendar, Person, Team


# The values are the domain events' (events.py, pure, used by the pure modules);
# these are their Django choices: Heat.HOT == "hot", TouchKind.SMS == "sms".
def _choices(name, values):
    return models.TextChoices(name, [(value.upper(), value) for value in values])


Heat = _choices("Heat", HEATS)
TouchKind = models.TextChoices(
    "TouchKind", [(kind.upper(), (kind, "SMS" if kind == "sms" else kind.title()))
                  for kind in TOUCH_KINDS])


def validate_touch_kinds(value):
    if not isinstance(value, list) or any(k not in TouchKind.values for k in value):
        raise ValidationError(f"touch_kinds must be a list drawn from {', '.join(TouchKind.values)}")


def validate_steps(value):
    try:
        ladder.validate_steps(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class SlaPolicy(models.Model):
    """How fast a lead of one heat must be touched, and who hears about it when it is not."""

    heat = models.CharField(max_length=8, choices=Heat.choices)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="policies",
                             help_text="empty: the default for every team")
    first_touch_minutes = models.PositiveIntegerField()
    follow_up_touches = models.PositiveSmallIntegerField(default=0)
    follow_up_window_minutes = models.PositiveIntegerField(
        default=0, help_text="each follow-up is due this many business minutes after the previous touch")
    calendar = models.ForeignKey(Calendar, null=True, blank=True, on_delete=models.PROTECT,
                                 help_text="empty: always open (24x7)")
    touch_kinds = models.JSONField(default=list, blank=True, validators=[validate_touch_kinds],
                                   help_text="activity kinds that count as a touch; empty: all")
    steps = models.JSONField(default=list, blank=True, validators=[validate_steps],
                             help_text="the escalation ladder")
    history = HistoricalRecords()

    class Meta:
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        ordering = ["heat", "team__name"]
        constraints = [
            models.UniqueConstraint(fields=["heat", "team"], name="policy_unique_heat_team"),
            models.UniqueConstraint(fields=["heat"], condition=Q(team__isnull=True),
                                    name="policy_unique_default_heat"),
        ]

    def __str__(self):
        scope = self.team.name if self.team_id else "default"
        return f"{self.get_heat_display()} ({scope})"

    def clean(self):
        if self.follow_up_touches and not self.follow_up_window_minutes:
            raise ValidationError({"follow_up_window_minutes": "required when follow-ups are required"})

    def snapshot(self):
        """Everything the clock needs, frozen onto a handoff so later edits do not rewrite history."""
        return {
            "policy_id": self.pk,
            "heat": self.heat,
            "first_touch_minutes": self.first_touch_minutes,
            "follow_up_touches": self.follow_up_touches,
            "follow_up_window_minutes": self.follow_up_window_minutes,
            "touch_kinds": list(self.touch_kinds),
            "steps": ladder.normalize_steps(self.steps),
            "calendar": self.calendar.spec() if self.calendar_id else None,
        }


LeadStatus = _choices("LeadStatus", LEAD_STATUSES)


class SourcedBy(models.TextChoices):
    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales"


class Lead(models.Model):
    """A CRM record as slawatch knows it. CRM-owned fields are derived from LeadEvents."""

    crm = models.CharField(max_length=50)
    external_id = models.CharField(max_length=100)
    email = models.CharField(max_length=254, blank=True)
    name = models.CharField(max_length=200, blank=True)
    company = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    source = models.CharField(max_length=100, blank=True)
    campaign = models.CharField(max_length=200, blank=True)
    heat = models.CharField(max_length=8, choices=Heat.choices, blank=True,
                            help_text="as the lead definition in force decides (else the CRM's)")
    crm_heat = models.CharField(max_length=8, choices=Heat.choices, blank=True,
                                help_text="the heat the CRM itself last sent, if any")
    score = models.IntegerField(null=True, blank=True)
    properties = models.JSONField(default=dict, blank=True,
                                  help_text="CRM field name -> value, as last seen")
    sourced_by = models.CharField(max_length=10, choices=SourcedBy.choices,
                                  default=SourcedBy.MARKETING)
    status = models.CharField(max_length=16, choices=LeadStatus.choices, default=LeadStatus.OPEN)
    owner = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="owned_leads")
    owner_crm_id = models.CharField(max_length=100, blank=True,
                                    help_text="the CRM's owner id, mapped or not")
    created_in_crm_at = models.DateTimeField(null=True, blank=True)
    converted_at = models.DateTimeField(null=True, blank=True)
    disqualified_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    derivation = models.JSONField(
        null=True, blank=True, editable=False,
        help_text="what applying newer events needs to continue from this state "
                  "(leads/incremental.py); empty: the next event re-derives from all of them")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["crm", "external_id"], name="lead_unique_crm_id"),
        ]

    def __str__(self):
        return self.name or self.email or f"{self.crm}:{self.external_id}"

    @property
    def owner_unmapped(self):
        return bool(self.owner_crm_id) and self.owner_id is None


class LeadEvent(models.Model):
    """A normalized domain event; a lead's state is derived from the set of these."""

    class Type(models.TextChoices):
        CREATED = "lead.created"
        ASSIGNED = "lead.assigned"
        HEAT_CHANGED = "lead.heat_changed"
        TOUCHED = "lead.touched"
        CONVERTED = "lead.converted"
        DISQUALIFIED = "lead.disqualified"
        UPDATED = "lead.updated"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events")
    key = models.CharField(max_length=255, unique=True,
                           help_text="source-qualified id; a second copy is ignored")
    type = models.CharField(max_length=32, choices=Type.choices)
    occurred_at = models.DateTimeField()
    data = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "key"]
        indexes = [models.Index(fields=["lead", "occurred_at"])]

    def __str__(self):
        return f"{self.type} @ {self.occurred_at:%Y-%m-%d %H:%M}"


HandoffStatus = _choices("HandoffStatus", HANDOFF_STATUSES)
CloseReason = _choices("CloseReason", CLOSE_REASONS)


class Handoff(models.Model):
    """One lead held by one rep from handed_off_at until it is closed."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="handoffs")
    rep = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="handoffs")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="handoffs", help_text="the rep's team at handoff")
    heat = models.CharField(max_length=8, choices=Heat.choices)
    policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="handoffs")
    policy_snapshots = models.JSONField(
        default=dict, help_text="heat -> policy as it was when this handoff first used it")
    handed_off_at = models.DateTimeField()
    first_touch_due_at = models.DateTimeField(null=True, blank=True)
    first_touched_at = models.DateTimeField(null=True, blank=True)
    speed_to_lead_seconds = models.FloatField(null=True, blank=True)
    speed_to_lead_business_seconds = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=HandoffStatus.choices,
                              default=HandoffStatus.OPEN)
    breached_at = models.DateTimeField(null=True, blank=True,
                                       help_text="the due time that was missed")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=200, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=16, choices=CloseReason.choices, blank=True)
    next_due_at = models.DateTimeField(null=True, blank=True)
    definition_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="the lead definition version that decided the heat")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["next_due_at", "updated_at"])

    class Meta:
        ordering = ["-handed_off_at"]
        constraints = [
            models.UniqueConstraint(fields=["lead", "handed_off_at"], name="handoff_unique_start"),
        ]
        indexes = [
            # The sweep's index: only rows with a timer, so its cost follows the due rows.
            models.Index(fields=["next_due_at"], name="handoff_next_due",
                         condition=Q(next_due_at__isnull=False)),
            models.Index(fields=["rep", "handed_off_at"]),
            models.Index(fields=["team", "handed_off_at"]),
            models.Index(fields=["handed_off_at"]),
            models.Index(fields=["status"]),
        ]

    def __str__(self):
        return f"{self.lead} → {self.rep} ({self.status})"

    def team_now(self):
        """The team responsible now: the team at handoff, else the rep's team (a rep
        who had none then may have joined one since)."""
        return self.team or self.rep.team

    @property
    def snapshot(self):
        return self.policy_snapshots.get(self.heat)


class MilestoneKind(models.TextChoices):
    FIRST_TOUCH = "first_touch", "First touch"
    FOLLOW_UP = "follow_up", "Follow-up"


class Milestone(models.Model):
    """One touch the rep owes: the first, then each required follow-up."""

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="milestones")
    seq = models.PositiveSmallIntegerField(help_text="0 = first touch, then follow-ups")
    kind = models.CharField(max_length=16, choices=MilestoneKind.choices)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    met_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    fired = models.JSONField(default=dict, blank=True,
                             help_text="ladder step index -> occurrences already escalated")

    class Meta:
        ordering = ["handoff", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["handoff", "seq"], name="milestone_unique_seq"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.seq} due {self.due_at:%Y-%m-%d %H:%M}"


class Touch(models.Model):
    """A sales activity on a lead, with the CRM's own timestamp."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="touches")
    handoff = models.ForeignKey(Handoff, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="touches")
    key = models.CharField(max_length=255, help_text="CRM activity id (or the event's)")
    kind = models.CharField(max_length=10, choices=TouchKind.choices, default=TouchKind.OTHER)
    at = models.DateTimeField()
    by_crm_id = models.CharField(max_length=100, blank=True)
    by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="touches")
    counted = models.BooleanField(default=False, help_text="met or advanced a milestone")

    class Meta:
        ordering = ["at"]
        constraints = [models.UniqueConstraint(fields=["lead", "key"], name="touch_unique_key")]
        verbose_name_plural = "touches"

    def __str__(self):
        return f"{self.get_kind_display()} @ {self.at:%Y-%m-%d %H:%M}"


OpportunityStatus = _choices("OpportunityStatus", OPPORTUNITY_STATUSES)


class Opportunity(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="opportunities")
    external_id = models.CharField(max_length=100)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    status = models.CharField(max_length=8, choices=OpportunityStatus.choices,
                              default=OpportunityStatus.OPEN)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "opportunities"
        constraints = [models.UniqueConstraint(fields=["lead", "external_id"],
                                               name="opportunity_unique_external")]

    def __str__(self):
        return f"{self.external_id} {self.amount or ''} {self.currency}"


class SlaBoard(Handoff):
    """The SLA board's entry in the admin index and its permission (managers and RevOps)."""

    class Meta:
        proxy = True
        default_permissions = ("view",)
        verbose_name = "SLA board"
        verbose_name_plural = "SLA board"
