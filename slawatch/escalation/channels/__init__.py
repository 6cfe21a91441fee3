"""Delivery channels. Each one turns facts into a message (pure `payload()`), sends it, and
says how a failure should be treated: transient (retry with backoff) or permanent (fail now).
No Django here; deliver.py is the one choke point that records outcomes."""

from slawatch.retry import retry_after_seconds

# What a ladder message says happened (facts.py decides, the channels title it): the
# deadline is near, it passed, or it passed and the message is a repeat.
WARNING, BREACH, REMINDER = "warning", "breach", "reminder"
STAGE_TITLE = {WARNING: "Lead SLA at risk", BREACH: "Lead SLA breached",
               REMINDER: "Lead SLA still breached"}


class DeliveryError(Exception):
    """A send that did not succeed. `permanent` decides retry versus fail-now;
    `maybe_sent` says the message may have arrived all the same (no answer was read)."""

    permanent = False

    def __init__(self, message, *, status_code=None, retry_after=None, maybe_sent=False):
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent


class TransientError(DeliveryError):
    permanent = False


class PermanentError(DeliveryError):
    permanent = True


def classify_http(status_code: int, message: str, headers=None) -> DeliveryError:
    """HTTP status to error kind: 408, 429 and 5xx are worth retrying; other 4xx are not."""
    if status_code in (408, 429) or status_code >= 500:
        return TransientError(message, status_code=status_code,
                              retry_after=retry_after_seconds(headers))
    return PermanentError(message, status_code=status_code)
