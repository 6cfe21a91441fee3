"""`python manage.py slawatch_drain`: do, synchronously, everything that is due now.

Each capability contributes one step: a label and a dotted path to a callable that
takes no arguments and returns a dict of counts. The command prints them all on one
line, e.g. `drain: events processed=3 failed=0; sweep claimed=2`, and exits 0 even
when some work failed (failures stay visible in the admin)."""

from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

# Add a capability's step here: (label, "dotted.path.to.callable").
STEPS = [
    ("events", "slawatch.ingest.services.drain_inbox"),
    ("sweep", "slawatch.escalation.drain.sweep_now"),
    ("deliveries", "slawatch.escalation.drain.deliver_now"),
]


def run_steps(steps=STEPS) -> str:
    parts = []
    for label, path in steps:
        counts = import_string(path)()
        parts.append(" ".join([label] + [f"{name}={value}" for name, value in counts.items()]))
    return "drain: " + "; ".join(parts)


class Command(BaseCommand):
    help = "Process every pending inbox event (and every other due step) synchronously."

    def handle(self, *args, **options):
        self.stdout.write(run_steps())
