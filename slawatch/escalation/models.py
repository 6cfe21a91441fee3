from django.db import models

from slawatch.leads.models import Handoff, Milestone
from slawatch.people.models import Person, Team


class EscalationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Channel(models.TextChoices):
    SLACK = "slack", "Slack"
    EMAIL = "email", "Email"


class Escalation(models.Model):
    """The outbox: one message to one recipient on one channel, written before it is sent."""

    handoff = models.ForeignKey(Handoff, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="escalations")
    milestone = models.ForeignKey(Milestone, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="escalations")
    step = models.PositiveSmallIntegerField(null=True, blank=True,
                                            help_text="the step's index in the ladder")
    occurrence = models.PositiveIntegerField(default=0, help_text="0, then each repeat")
    kind = models.CharField(max_length=16, default="escalation",
                            help_text="escalation, dispute, digest")
    recipient = models.CharField(max_length=64, help_text="person:<id> or team:<id>")
    recipient_person = models.ForeignKey(Person, null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")
    recipient_team = models.ForeignKey(Team, null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=8, choices=EscalationStatus.choices,
                              default=EscalationStatus.PENDING)
    payload = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sending_since = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone", "step", "occurrence", "recipient", "channel"],
                name="escalation_once_per_step", condition=models.Q(milestone__isnull=False)),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="escalation_pending",
                         condition=models.Q(status="pending")),
        ]

    def __str__(self):
        return f"{self.kind} → {self.recipient} via {self.channel} ({self.status})"
