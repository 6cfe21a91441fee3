"""`python manage.py slawatch_poll [--crm hubspot|salesforce]`: one incremental poll."""

from django.core.management.base import BaseCommand, CommandError

from slawatch.ingest import pollers


class Command(BaseCommand):
    help = "Poll the configured CRMs once for changes since the stored cursor."

    def add_arguments(self, parser):
        parser.add_argument("--crm", choices=sorted(pollers.POLLERS))

    def handle(self, *args, crm=None, **options):
        configured = pollers.configured_clients()
        if crm and crm not in configured:
            raise CommandError(f"{crm} is not configured (see docs/INGEST.md for its settings)")
        results = pollers.poll_all(only=crm)
        summary = " ".join(f"{name}={value}" for name, value in results.items()) or "nothing configured"
        self.stdout.write(f"poll: {summary}")
        if any(isinstance(value, str) for value in results.values()):
            raise CommandError("a poll failed; it resumes from its last committed cursor")
