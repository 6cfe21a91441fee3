from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from slawatch.leads.models import Lead
from slawatch.people.models import Person, Team


class Verdict(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class RejectReason(models.TextChoices):
    BAD_CONTACT_DATA = "bad_contact_data", "Bad contact data"
    NOT_TARGET_MARKET = "not_target_market", "Not in target market"
    NO_BUDGET = "no_budget", "No budget"
    NO_NEED = "no_need", "No need"
    STUDENT_OR_JOB_SEEKER = "student_or_job_seeker", "Student or job seeker"
    COMPETITOR = "competitor", "Competitor"
    DUPLICATE = "duplicate", "Duplicate"
    OTHER = "other", "Other"


class LeadFeedback(models.Model):
    """A rep's formal verdict on a lead's quality."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="feedback")
    given_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="feedback_given")
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    reason = models.CharField(max_length=32, choices=RejectReason.choices, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "lead feedback"
        verbose_name_plural = "lead feedback"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_verdict_display()}: {self.lead}"


class DisputeOutcome(models.TextChoices):
    OPEN = "open", "Open"
    UPHELD = "upheld", "Upheld (rejection stands)"
    OVERTURNED = "overturned", "Overturned (lead accepted)"
    WITHDRAWN = "withdrawn", "Withdrawn"


class QualityDispute(models.Model):
    """Marketing contests a rejection; a manager or RevOps resolves it."""

    feedback = models.ForeignKey(LeadFeedback, on_delete=models.CASCADE, related_name="disputes")
    filed_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="disputes_filed")
    reason = models.TextField()
    outcome = models.CharField(max_length=12, choices=DisputeOutcome.choices,
                               default=DisputeOutcome.OPEN)
    resolved_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="disputes_resolved")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Dispute on {self.feedback.lead} ({self.outcome})"


class Commitment(models.Model):
    """Marketing's promise: this many leads for a rep (or a team) in a quarter."""

    rep = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE,
                            related_name="commitments")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="commitments")
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField(choices=[(q, f"Q{q}") for q in range(1, 5)])
    leads_committed = models.PositiveIntegerField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-year", "-quarter"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rep__isnull=False) ^ models.Q(team__isnull=False),
                name="commitment_rep_xor_team"),
            models.UniqueConstraint(fields=["rep", "year", "quarter"],
                                    name="commitment_unique_rep_quarter"),
            models.UniqueConstraint(fields=["team", "year", "quarter"],
                                    name="commitment_unique_team_quarter"),
        ]

    def __str__(self):
        return f"{self.rep or self.team} {self.year} Q{self.quarter}: {self.leads_committed}"
