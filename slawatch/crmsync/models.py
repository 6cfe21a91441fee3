from django.db import models
from django.db.models import Q

from slawatch.leads.models import Handoff, Lead


class WriteKind(models.TextChoices):
    OWNER = "owner", "Owner"
    SLA = "sla", "SLA fields"


class WriteStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class CrmWrite(models.Model):
    """The outbox toward the CRMs: one intended write to one CRM record, stored in the
    transaction that decided it and sent afterwards (claimed, retried, never twice)."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="crm_writes")
    handoff = models.ForeignKey(Handoff, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", help_text="the handoff whose change caused it")
    crm = models.CharField(max_length=50)
    external_id = models.CharField(max_length=100, help_text="the record's id in the CRM")
    kind = models.CharField(max_length=16, choices=WriteKind.choices)
    values = models.JSONField(default=dict, help_text="what the CRM record must show")
    status = models.CharField(max_length=8, choices=WriteStatus.choices,
                              default=WriteStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sending_since = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "CRM write"
        constraints = [
            # Coalescing: a newer decision replaces the values of the one still waiting.
            models.UniqueConstraint(fields=["lead", "kind"], condition=Q(status="pending"),
                                    name="crm_write_one_pending_per_lead_kind"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="crm_write_pending",
                         condition=Q(status="pending")),
            models.Index(fields=["sending_since"], name="crm_write_sending",
                         condition=Q(status="sending")),
        ]

    def __str__(self):
        return f"{self.crm} {self.kind} of {self.external_id} ({self.status})"


class OwnerState(models.TextChoices):
    MAPPED = "mapped", "Mapped to a person"
    UNMATCHED = "unmatched", "No person with this email"
    CONFLICT = "conflict", "Conflict (left alone)"


class CrmOwner(models.Model):
    """A CRM user who can own records, as the last owner sync saw them."""

    crm = models.CharField(max_length=50)
    owner_id = models.CharField(max_length=100)
    email = models.CharField(max_length=254, blank=True)
    name = models.CharField(max_length=200, blank=True)
    person = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    state = models.CharField(max_length=10, choices=OwnerState.choices)
    note = models.CharField(max_length=300, blank=True)
    seen_at = models.DateTimeField()

    class Meta:
        ordering = ["crm", "name"]
        verbose_name = "CRM owner"
        constraints = [models.UniqueConstraint(fields=["crm", "owner_id"],
                                               name="crm_owner_unique")]

    def __str__(self):
        return f"{self.name or self.email or self.owner_id} ({self.crm})"
