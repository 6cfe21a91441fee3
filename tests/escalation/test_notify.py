"""notify_people: the one way a feature app tells people something (dispute notices,
definitions awaiting approval) through the escalation outbox."""

import logging

from slawatch.escalation.models import Escalation
from slawatch.escalation.services import notify_people
from tests.factories import PersonFactory

NOTICE = {"event": "dispute.filed", "subject": "Marketing disputes a rejection",
          "text": "Marketing disputes a rejection\n\nthey have budget",
          "url": "https://slawatch.example.com/admin/"}


def test_each_person_gets_one_notice_by_slack_or_email_delivered_after_commit(
        cast, slack, mailoutbox, caplog, django_capture_on_commit_callbacks):
    unreachable = PersonFactory(name="Una Reachable", email="")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rows = notify_people([cast.manager, cast.marketer, unreachable], kind="dispute",
                             payload=NOTICE, about="dispute 7")
        # Written in the caller's transaction; nothing is sent before it commits.
        assert Escalation.objects.filter(status="pending").count() == 2
        assert slack.requests == [] and mailoutbox == []
    assert len(callbacks) == 1
    assert [(row.recipient_person, row.channel) for row in rows] == [
        (cast.manager, "slack"), (cast.marketer, "email")]
    stored = Escalation.objects.order_by("pk")
    assert [(e.kind, e.handoff_id, e.recipient, e.payload) for e in stored] == [
        ("dispute", None, f"person:{cast.manager.pk}", NOTICE),
        ("dispute", None, f"person:{cast.marketer.pk}", NOTICE)]
    assert set(stored.values_list("status", flat=True)) == {"sent"}
    [post] = slack.to("/api/chat.postMessage")
    assert post.json()["channel"] == "UMANAGER"
    assert [(m.to, m.subject) for m in mailoutbox] == [
        ([cast.marketer.email], "Marketing disputes a rejection")]
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING
                 and "neither Slack nor email" in r.getMessage()]
    assert warning.getMessage().startswith("dispute 7: ")


def test_nobody_to_tell_writes_and_queues_nothing(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert notify_people([], kind="definition", payload=NOTICE, about="definition 1") == []
    assert callbacks == [] and not Escalation.objects.exists()
