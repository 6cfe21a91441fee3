"""The inbox: every CRM delivery stored raw before it is answered, and poll cursors."""

from django.db import models
from django.db.models import Q


class Source(models.TextChoices):
    HUBSPOT = "hubspot", "HubSpot webhook"
    HUBSPOT_POLL = "hubspot-poll", "HubSpot poll"
    SALESFORCE = "salesforce", "Salesforce outbound message"
    SALESFORCE_POLL = "salesforce-poll", "Salesforce poll"
    PIPEDRIVE = "pipedrive", "Pipedrive webhook"
    GENERIC = "generic", "Generic signed event"


class CrmEventStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Failed (retries exhausted)"


class CrmEvent(models.Model):
    """One CRM notification as received. Processing turns it into domain events."""

    source = models.CharField(max_length=20, choices=Source.choices)
    event_id = models.CharField(max_length=255, help_text="the CRM's id for this delivery")
    headers = models.JSONField(default=dict, blank=True,
                               help_text="the delivery headers that matter (never credentials)")
    body = models.TextField(help_text="the event as received (one element of a batch)")
    received_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=CrmEventStatus.choices,
                              default=CrmEventStatus.PENDING)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True,
        help_text="when the re-queue task may pick it up again (null once settled)")
    error = models.TextField(blank=True)
    domain_events = models.PositiveSmallIntegerField(
        default=0, help_text="how many domain events processing produced (0: ignored)")

    class Meta:
        verbose_name = "CRM event"
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "event_id"], name="crmevent_unique_id"),
        ]
        indexes = [
            # The re-queue task's index: only unsettled rows, so it stays small.
            models.Index(fields=["next_attempt_at"], name="crmevent_pending",
                         condition=Q(status="pending")),
            models.Index(fields=["status", "received_at"]),
        ]

    def __str__(self):
        return f"{self.source}:{self.event_id}"


class PollCursor(models.Model):
    """How far an incremental poll of one CRM stream has safely got."""

    stream = models.CharField(max_length=50, unique=True,
                              help_text="e.g. hubspot:contacts, salesforce:Lead")
    position = models.DateTimeField(null=True, blank=True,
                                    help_text="the newest modification time fully stored")
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sync_stored = models.PositiveIntegerField(
        default=0, help_text="records read and stored by the running (or last) poll")
    sync_total = models.PositiveIntegerField(
        null=True, blank=True, help_text="records the CRM said that poll would return")
    first_synced_at = models.DateTimeField(
        null=True, blank=True, help_text="when the first poll (from an empty cursor) completed")

    def __str__(self):
        return f"{self.stream} @ {self.position}"
