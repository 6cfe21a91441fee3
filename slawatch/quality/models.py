from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from slawatch.leads.models import Handoff, Lead
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
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="1 (poor) to 5 (excellent), optional")
    comment = models.TextField(blank=True, help_text='required when the reason is "other"')
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "lead feedback"
        verbose_name_plural = "lead feedback"
        ordering = ["-created_at"]
        constraints = [
            # One verdict per rep per lead: a second one replaces the first (history keeps it).
            models.UniqueConstraint(fields=["lead", "given_by"], name="feedback_one_per_rep",
                                    condition=Q(given_by__isnull=False)),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="feedback_rating_1_to_5"),
            models.CheckConstraint(
                condition=(Q(verdict=Verdict.REJECTED) & ~Q(reason=""))
                | (Q(verdict=Verdict.ACCEPTED) & Q(reason="")),
                name="feedback_reason_iff_rejected"),
        ]

    def __str__(self):
        return f"{self.get_verdict_display()}: {self.lead}"

    def clean(self):
        if self.verdict == Verdict.REJECTED and not self.reason:
            raise ValidationError({"reason": "a rejection needs a reason"})
        if self.verdict == Verdict.ACCEPTED and self.reason:
            raise ValidationError({"reason": "an accepted lead takes no rejection reason"})
        if self.reason == RejectReason.OTHER and not (self.comment or "").strip():
            raise ValidationError({"comment": 'say why when the reason is "other"'})


class DisputeOutcome(models.TextChoices):
    OPEN = "open", "Open"
    UPHELD = "upheld", "Upheld (rejection stands)"
    OVERTURNED = "overturned", "Overturned (lead accepted)"
    WITHDRAWN = "withdrawn", "Withdrawn"


RESOLUTIONS = (DisputeOutcome.UPHELD, DisputeOutcome.OVERTURNED)
# open is the only state a dispute leaves; every other state is final.
TRANSITIONS = {DisputeOutcome.OPEN: {DisputeOutcome.UPHELD, DisputeOutcome.OVERTURNED,
                                     DisputeOutcome.WITHDRAWN}}


class IllegalTransition(ValidationError):
    """A dispute was asked to move in a way its lifecycle does not allow."""


class QualityDispute(models.Model):
    """Marketing contests a rejection; a manager or RevOps resolves it.

    The lifecycle (open -> upheld | overturned | withdrawn, nothing after) is checked in
    save() against the stored row, so the admin, the API and the shell all obey it;
    the check constraints keep a resolution's fields consistent even for raw updates.
    """

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
        permissions = [("resolve_qualitydispute", "Can resolve (uphold or overturn) a dispute")]
        constraints = [
            models.UniqueConstraint(fields=["feedback"], condition=Q(outcome="open"),
                                    name="dispute_one_open_per_feedback"),
            models.CheckConstraint(
                condition=Q(outcome="open", resolved_at__isnull=True)
                | Q(outcome="withdrawn", resolved_at__isnull=False)
                | (Q(outcome__in=["upheld", "overturned"], resolved_at__isnull=False)
                   & ~Q(resolution_comment="")),
                name="dispute_resolution_complete"),
        ]

    def __str__(self):
        return f"Dispute on {self.feedback.lead} ({self.outcome})"

    def save(self, *args, **kwargs):
        self.check_transition()
        super().save(*args, **kwargs)

    def check_transition(self):
        stored = (type(self).objects.filter(pk=self.pk).values_list("outcome", flat=True).first()
                  if self.pk else None)
        if stored is None:
            self._check_new()
        elif stored != self.outcome and self.outcome not in TRANSITIONS.get(stored, ()):
            raise IllegalTransition(f"a dispute that is {stored} cannot become {self.outcome}")
        if self.outcome in RESOLUTIONS and not (self.resolution_comment or "").strip():
            raise IllegalTransition("a resolution needs a comment")

    def _check_new(self):
        if self.outcome != DisputeOutcome.OPEN:
            raise IllegalTransition("a new dispute starts open")
        if self.feedback.verdict != Verdict.REJECTED:
            raise IllegalTransition("only a rejection can be disputed")


class DisputeComment(models.Model):
    """The conversation on a dispute: marketing, the rep and the resolver add to it."""

    dispute = models.ForeignKey(QualityDispute, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.author or 'someone'}: {self.body[:40]}"


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


class MyLead(Lead):
    """The rep's own work list in the admin ("My leads"): a view of Lead, no table of its own."""

    class Meta:
        proxy = True
        default_permissions = ("view",)
        verbose_name = "my lead"
        verbose_name_plural = "my leads"

