"""`python manage.py slawatch_sync_owners [--crm hubspot|salesforce|pipedrive]`."""

from django.core.management.base import BaseCommand, CommandError

from slawatch.crmsync import owners


class Command(BaseCommand):
    help = ("Read the CRMs' owners/users and give each person with the same e-mail that "
            "CRM id (never taking an id from another person). Prints one summary line.")

    def add_arguments(self, parser):
        parser.add_argument("--crm", choices=owners.SYNCABLE)

    def handle(self, *args, crm=None, **options):
        if crm and crm not in owners.configured_readers():
            raise CommandError(f"{crm} is not configured (see docs/CRM.md for its settings)")
        results = owners.sync_owners(only=crm)
        parts = [f"{name}: " + ", ".join(f"{counts[k]} {k}" for k in
                                         ("mapped", "already", "unmatched", "conflict"))
                 for name, counts in results.items()]
        self.stdout.write("sync owners: " + ("; ".join(parts) or "nothing configured"))
