"""`python manage.py slawatch_poll [--crm hubspot|salesforce]`: one incremental poll.

On a terminal each stream gets a progress bar (a first sync of a large portal takes
minutes: the CRM's API is rate-limited); the log gets the counts either way."""

from contextlib import ExitStack

import click
from django.core.management.base import BaseCommand, CommandError

from slawatch.ingest import pollers


class _Terminal:
    """The command's stdout as a plain file for click (no newline added to each write)."""

    def __init__(self, out):
        self.out = out

    def write(self, text):
        self.out.write(text, ending="")

    def flush(self):
        self.out.flush()

    def isatty(self):
        return self.out.isatty()


class ProgressBars:
    """One click progress bar per stream, on the command's terminal."""

    def __init__(self, out):
        self.out, self.stack, self.stream, self.bar = out, ExitStack(), None, None

    def __call__(self, stream, stored, total):
        pollers.log_progress(stream, stored, total)
        if stream != self.stream:
            self.close()
            self.stream = stream
            self.bar = self.stack.enter_context(click.progressbar(
                length=max(total, 1), label=stream.ljust(20), file=self.out, show_pos=True,
                show_percent=True))
        self.bar.length = max(total, stored, 1)
        self.bar.update(stored - self.bar.pos)

    def close(self):
        self.stack.close()
        self.stack, self.bar = ExitStack(), None


class Command(BaseCommand):
    help = "Poll the configured CRMs once for changes since the stored cursor."

    def add_arguments(self, parser):
        parser.add_argument("--crm", choices=sorted(pollers.POLLERS))

    def handle(self, *args, crm=None, **options):
        configured = pollers.configured_clients()
        if crm and crm not in configured:
            raise CommandError(f"{crm} is not configured (see docs/INGEST.md for its settings)")
        bars = ProgressBars(_Terminal(self.stdout)) if self.stdout.isatty() else None
        try:
            results = pollers.poll_all(only=crm, progress=bars or pollers.log_progress)
        finally:
            if bars:
                bars.close()
        summary = " ".join(f"{name}={value}" for name, value in results.items()) or "nothing configured"
        self.stdout.write(f"poll: {summary}")
        if any(isinstance(value, str) for value in results.values()):
            raise CommandError("a poll failed; it resumes from its last committed cursor")
