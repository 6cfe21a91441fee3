"""The ceiling's table: the inbox's columns, constraint and indexes, nothing else.

Only installed by bench.settings, so it exists in the bench database alone.
"""

from django.db import models
from django.db.models import Q


class CeilingEvent(models.Model):
    """Same shape as slawatch.ingest.models.CrmEvent (so the insert costs the same)."""

    source = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, default="pending")
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    domain_events = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "event_id"], name="ceiling_unique_id"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="ceiling_pending",
                         condition=Q(status="pending")),
            models.Index(fields=["status", "received_at"]),
        ]
