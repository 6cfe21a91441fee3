"""The lead definition both teams sign: a versioned row of ordered heat rules.

draft -> approved by one sales-side and one marketing-side person -> active at
effective_from (the previous active one is retired) -> retired. The rules are frozen
once a definition leaves draft; a change is a new draft. Every change is in history.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from slawatch.leads import heat_rules
from slawatch.leads.models import Heat
from slawatch.people.models import Person, Role


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class CrmHeat(models.TextChoices):
    PREFER = heat_rules.PREFER, "Prefer the CRM's heat"
    IGNORE = heat_rules.IGNORE, "Ignore the CRM's heat (rules always decide)"


class Side(models.TextChoices):
    SALES = "sales", "Sales"
    MARKETING = "marketing", "Marketing"


SIDE_OF_ROLE = {Role.REP: Side.SALES, Role.MANAGER: Side.SALES, Role.DIRECTOR: Side.SALES,
                Role.MARKETING: Side.MARKETING, Role.REVOPS: Side.MARKETING}


def side_of(person: Person | None) -> str | None:
    if person is None or not person.is_active:
        return None
    return SIDE_OF_ROLE.get(person.role)


def validate_rules(value):
    try:
        heat_rules.validate_rules(value)
    except heat_rules.RuleError as exc:
        raise ValidationError(str(exc)) from None


class LeadDefinition(models.Model):
    name = models.CharField(max_length=200)
    default_heat = models.CharField(max_length=8, choices=Heat.choices, default=Heat.WARM,
                                    help_text="the heat of a lead no rule matches")
    crm_heat = models.CharField("CRM heat", max_length=8, choices=CrmHeat.choices,
                                default=CrmHeat.PREFER)
    rules = models.JSONField(default=list, blank=True, validators=[validate_rules],
                             help_text="ordered; the first rule whose conditions all hold decides")
    effective_from = models.DateTimeField(
        null=True, blank=True, help_text="when it starts deciding once approved (empty: at once)")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(null=True, blank=True, unique=True,
                                          help_text="given at activation: 1, 2, 3 …")
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    activated_alone = models.BooleanField(
        default=False, help_text="a superuser activated it without both approvals")
    retired_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status="active"),
                                    name="definition_one_active"),
        ]

    def __str__(self):
        label = f"v{self.version}" if self.version else self.get_status_display().lower()
        return f"{self.name} ({label})"

    @property
    def is_draft(self):
        return self.status == Status.DRAFT

    def as_rules(self) -> heat_rules.Definition:
        return heat_rules.Definition.build(
            version=self.version, default_heat=self.default_heat, crm_heat=self.crm_heat,
            rules=self.rules, effective_from=self.effective_from)


class DefinitionApproval(models.Model):
    """One person's signature on one definition, with the side they signed for."""

    definition = models.ForeignKey(LeadDefinition, on_delete=models.CASCADE,
                                   related_name="approvals")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=10, choices=Side.choices)
    approved_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(
        null=True, blank=True, help_text="the draft changed after this approval")

    class Meta:
        ordering = ["approved_at"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "person"],
                                    condition=Q(withdrawn_at__isnull=True),
                                    name="approval_once_per_person"),
        ]

    def __str__(self):
        return f"{self.person} ({self.get_side_display()}) @ {self.approved_at:%Y-%m-%d %H:%M}"
