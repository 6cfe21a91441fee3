"""Prometheus metrics read from the database at scrape time.

Web, worker and beat are separate processes (and containers); in-process
counters would each see a fraction of the truth. A custom collector that asks the
database on every scrape gives one consistent answer whichever web replica the
scraper reaches.
"""

from __future__ import annotations

from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from slawatch.escalation.models import EscalationStatus
from slawatch.leads.events import HEATS
from slawatch.ops import selectors
from slawatch.telemetry import EVENTS_DUPLICATE, SWEEP


class SlawatchCollector:
    def collect(self):
        now = timezone.now()
        yield from self._inbox()
        yield from self._sweep(now)
        yield from self._escalations()
        yield self._open_handoffs()
        yield self._poll_cursors(now)

    def _inbox(self):
        by_source = selectors.inbox_by_source()
        duplicates = selectors.counters(EVENTS_DUPLICATE)
        families = {
            key: CounterMetricFamily(f"slawatch_events_{key}", help_text, labels=["source"])
            for key, help_text in (
                ("received", "CRM events stored in the inbox"),
                ("duplicate", "CRM deliveries ignored as duplicates of a stored event"),
                ("processed", "CRM events processed into domain events"),
                ("failed", "CRM events that failed after their last retry"),
            )
        }
        for source in sorted(set(by_source) | set(duplicates)):
            row = by_source.get(source, {})
            for key in ("received", "processed", "failed"):
                families[key].add_metric([source], row.get(key, 0))
            families["duplicate"].add_metric([source], duplicates.get(source, 0))
        yield from families.values()
        backlog = GaugeMetricFamily("slawatch_inbox_backlog",
                                    "CRM events received and not yet processed")
        backlog.add_metric([], sum(row["pending"] for row in by_source.values()))
        yield backlog

    def _sweep(self, now):
        lag = GaugeMetricFamily("slawatch_sweep_lag_seconds",
                                "now minus the oldest due time not yet swept (0 when none)")
        lag.add_metric([], selectors.sweep_lag_seconds(now))
        yield lag
        beat = selectors.heartbeat(SWEEP)
        duration = GaugeMetricFamily("slawatch_sweep_duration_seconds",
                                     "how long the last sweep took")
        last_run = GaugeMetricFamily("slawatch_sweep_last_run_timestamp_seconds",
                                     "when the last sweep started (unix time)")
        if beat is not None:
            duration.add_metric([], beat.last_duration_seconds)
            last_run.add_metric([], beat.last_started_at.timestamp())
        yield duration
        yield last_run

    def _escalations(self):
        counts = selectors.escalations_by_channel_status()
        families = {
            status: CounterMetricFamily(f"slawatch_escalations_{status}", help_text,
                                        labels=["channel"])
            for status, help_text in (
                (EscalationStatus.SENT, "escalation messages delivered"),
                (EscalationStatus.FAILED, "escalation messages that failed for good"))
        }
        pending = GaugeMetricFamily("slawatch_escalations_pending",
                                    "escalation messages waiting to be sent", labels=["channel"])
        for channel in sorted({channel for channel, _ in counts}):
            for status, family in families.items():
                family.add_metric([channel], counts.get((channel, status), 0))
            pending.add_metric([channel], counts.get((channel, EscalationStatus.PENDING), 0)
                               + counts.get((channel, EscalationStatus.SENDING), 0))
        yield from families.values()
        yield pending

    def _open_handoffs(self):
        family = GaugeMetricFamily("slawatch_open_handoffs", "handoffs not yet closed, by heat",
                                   labels=["heat"])
        counts = selectors.open_handoffs_by_heat()
        for heat in HEATS:
            family.add_metric([heat], counts.get(heat, 0))
        return family

    def _poll_cursors(self, now):
        family = GaugeMetricFamily(
            "slawatch_poll_cursor_age_seconds",
            "seconds since the newest CRM change an incremental poll has stored",
            labels=["crm", "stream"])
        for stream, age in sorted(selectors.poll_cursor_ages(now).items()):
            family.add_metric([stream.split(":", 1)[0], stream], age)
        return family


def render() -> bytes:
    """The exposition text; a fresh registry so nothing process-local leaks in."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SlawatchCollector())
    return generate_latest(registry)
