"""`python manage.py slawatch_drain`: do, synchronously, everything that is due now —
process the inbox, run the escalation sweep, send the due escalations. It lives in ops
because it spans the capabilities.

Each capability contributes one step: a label and a dotted path to a callable that
takes no arguments and returns a dict of counts. The command prints them all on one
line, e.g. `drain: events processed=3 failed=0; sweep claimed=2`, and exits 0 even
when some work failed (failures stay visible in the admin)."""

from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

# Add a capability's step here: (label, "dotted.path.to.callable").
STEPS = [
    ("events", "slawatch.ingest.services.process_due_events"),
    ("sweep", "slawatch.escalation.sweep.sweep_counts"),
    ("deliveries", "slawatch.escalation.deliver.deliver_all_due"),
]


def run_steps(steps=STEPS) -> str:
    parts = []
    for label, path in steps:
        counts = import_string(path)()
        parts.append(" ".join([label] + [f"{name}={value}" for name, value in counts.items()]))
    return "drain: " + "; ".join(parts)


class Command(BaseCommand):
    help = ("Synchronously process every due inbox event, run the escalation sweep and "
            "send every due escalation.")

    def handle(self, *args, **options):
        self.stdout.write(run_steps())
