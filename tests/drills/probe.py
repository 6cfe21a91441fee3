"""Run inside a drill's app database (python -m tests.drills.probe <command>): prints JSON.

Drills that need real web processes run slawatch under gunicorn against a database
of their own; this is how the test makes the cast there and counts rows afterwards."""

import json
import sys

import django


# The imports inside the functions stay there: models can be imported only after
# django.setup(), which __main__ runs first.
def counts() -> dict:
    from slawatch.ingest.models import CrmEvent, CrmEventStatus
    from slawatch.leads.models import Handoff, Lead, LeadEvent

    return {"crm_events": CrmEvent.objects.count(),
            "processed": CrmEvent.objects.filter(status=CrmEventStatus.PROCESSED).count(),
            "leads": Lead.objects.count(), "lead_events": LeadEvent.objects.count(),
            "handoffs": Handoff.objects.count()}


def cast() -> dict:
    from tests.factories import make_cast

    return {"rep": make_cast().rep.pk}


if __name__ == "__main__":
    django.setup()
    print(json.dumps({"cast": cast, "counts": counts}[sys.argv[1]]()))
