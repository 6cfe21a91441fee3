"""`manage.py slawatch_drain` (slawatch/ops/management/commands): every capability's
step on one line. What each step does is tested with its capability
(tests/ingest/test_inbox.py, tests/escalation/test_drain.py)."""

from io import StringIO

from django.core.management import call_command

from slawatch.ops.management.commands.slawatch_drain import STEPS, run_steps


def test_drain_runs_every_registered_step_on_one_line(db):
    line = run_steps([("events", "slawatch.ingest.services.process_due_events"),
                      ("again", "slawatch.ingest.services.process_due_events")])
    assert line == "drain: events processed=0 failed=0; again processed=0 failed=0"


def test_the_command_runs_the_inbox_the_sweep_and_the_deliveries_in_that_order(db):
    assert [label for label, _ in STEPS] == ["events", "sweep", "deliveries"]
    out = StringIO()
    call_command("slawatch_drain", stdout=out)
    assert out.getvalue().strip() == (
        "drain: events processed=0 failed=0; sweep claimed=0 escalations=0 errors=0; "
        "deliveries sent=0 retrying=0 failed=0")
