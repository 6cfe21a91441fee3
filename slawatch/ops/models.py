from django.db import models


class Heartbeat(models.Model):
    """The last run of a periodic job (the sweep, the inbox re-queue, a poll).

    Kept in the database, not in process memory, so /metrics and /readyz see what
    a worker in another process or container did.
    """

    name = models.CharField(max_length=64, unique=True)
    last_started_at = models.DateTimeField()
    last_duration_seconds = models.FloatField()
    runs = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} @ {self.last_started_at:%Y-%m-%d %H:%M:%S}"


class Counter(models.Model):
    """A monotonically increasing count that lives in the database (e.g. duplicate
    deliveries, which leave no row of their own), shared by every process."""

    name = models.CharField(max_length=64)
    label = models.CharField(max_length=64, blank=True, help_text="e.g. the event source")
    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["name", "label"]
        constraints = [
            models.UniqueConstraint(fields=["name", "label"], name="ops_counter_unique"),
        ]

    def __str__(self):
        return f"{self.name}{{{self.label}}} = {self.value}"
