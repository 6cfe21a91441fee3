from django.db import models

from slawatch.leads.models import Handoff, Milestone
from slawatch.people.models import Person, Team


class EscalationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    # A step whose time had long passed when the sweep first saw it (a backfilled lead):
    # kept on record, never sent (SLAWATCH_ESCALATION_MAX_LATENESS_MINUTES).
    SKIPPED = "skipped", "Skipped (too late)"


class Channel(models.TextChoices):
    SLACK = "slack", "Slack"
    EMAIL = "email", "Email"


class EscalationKind(models.TextChoices):
    ESCALATION = "escalation", "Ladder step"
    DIGEST = "digest", "Daily digest"
    CATCH_UP = "catch_up", "Catch-up (steps found late)"
    DISPUTE = "dispute", "Lead-quality dispute notice"
    DEFINITION = "definition", "Lead definition notice"


# Kinds that carry other escalations as their items (Escalation.digest).
BUNDLES = (EscalationKind.DIGEST, EscalationKind.CATCH_UP)
# Kinds whose payload holds their own subject and text.
NOTICES = (EscalationKind.DISPUTE, EscalationKind.DEFINITION)

# `Escalation.recipient`, built and read only here: "person:<id>", "team:<id>" (the team's
# Slack channel) or "nobody:<notify>" (a ladder step that found no one; failed). The
# foreign keys say who; the string keeps one row per recipient (escalation_once_per_step)
# and is the API's `recipient` field.
PERSON, TEAM, NOBODY = "person", "team", "nobody"


def person_recipient(person_id: int) -> str:
    return f"{PERSON}:{person_id}"


def team_recipient(team_id: int) -> str:
    return f"{TEAM}:{team_id}"


def nobody_recipient(notify: str) -> str:
    return f"{NOBODY}:{notify}"


def recipient_parts(recipient: str) -> tuple[str, str]:
    """("person", "<id>"), ("team", "<id>") or ("nobody", "<notify>")."""
    kind, _, value = recipient.partition(":")
    return kind, value


class Escalation(models.Model):
    """The outbox: one message to one recipient on one channel, written before it is sent."""

    handoff = models.ForeignKey(Handoff, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="escalations")
    milestone = models.ForeignKey(Milestone, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="escalations")
    step = models.PositiveSmallIntegerField(null=True, blank=True,
                                            help_text="the step's index in the ladder")
    occurrence = models.PositiveIntegerField(default=0, help_text="0, then each repeat")
    kind = models.CharField(max_length=16, choices=EscalationKind.choices,
                            default=EscalationKind.ESCALATION)
    recipient = models.CharField(max_length=64,
                                 help_text="person:<id>, team:<id> or nobody:<notify>")
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
    unconfirmed_since = models.DateTimeField(
        null=True, blank=True,
        help_text="an earlier attempt, begun then, may have reached Slack without our knowing: "
                  "the conversation's history is checked before it is sent again")
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField(null=True, blank=True,
                                  help_text="when the ladder step was due")
    held_for_digest = models.BooleanField(
        default=False, help_text="waits for the recipient's daily digest instead of being sent")
    digest = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="items", help_text="the digest that carried it")

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
            models.Index(fields=["sending_since"], name="escalation_sending",
                         condition=models.Q(status="sending")),
        ]

    def __str__(self):
        return f"{self.kind} → {self.recipient} via {self.channel} ({self.status})"

    @property
    def to_team_channel(self) -> bool:
        """Addressed to a team's Slack channel (else to a person, or to nobody)."""
        return recipient_parts(self.recipient)[0] == TEAM


class AttemptOutcome(models.TextChoices):
    SENT = "sent", "Sent"
    TRANSIENT = "transient", "Transient failure (retried)"
    PERMANENT = "permanent", "Permanent failure"


class EscalationAttempt(models.Model):
    """One try at sending an escalation: what happened, kept for the admin."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=AttemptOutcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    retry_after_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["escalation", "number"]

    def __str__(self):
        return f"attempt {self.number}: {self.outcome}"


class SlackAction(models.Model):
    """A button clicked in Slack, recorded by the clicking Slack user id (who may be unknown)."""

    slack_user_id = models.CharField(max_length=40)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    action_id = models.CharField(max_length=64)
    handoff = models.ForeignKey(Handoff, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="slack_actions")
    outcome = models.CharField(max_length=200, blank=True)
    refused = models.BooleanField(default=False,
                                  help_text="the clicker may not do this; nothing changed")
    click_id = models.CharField(max_length=100, blank=True,
                                help_text="Slack's action_ts (else trigger_id): a replay is a no-op")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["slack_user_id", "click_id"],
                                    name="slack_action_once_per_click",
                                    condition=~models.Q(click_id="")),
        ]

    def __str__(self):
        return f"{self.action_id} by {self.slack_user_id}"
