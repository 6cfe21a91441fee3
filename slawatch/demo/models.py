from django.db import models


class SlackSinkMessage(models.Model):
    """A Slack API call captured by the demo's local Slack sink (demo mode only)."""

    method = models.CharField(max_length=64, help_text="chat.postMessage, or webhook:<name>")
    channel = models.CharField(max_length=100, blank=True)
    text = models.TextField(blank=True)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "Slack message (demo sink)"

    def __str__(self):
        return f"{self.method} → {self.channel or '-'}"
