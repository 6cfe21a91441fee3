"""Acknowledging a handoff that disappears under the request is a clear 404, not a 500:
through the service, the API and the Slack button.

Two ways a handoff vanishes mid-request: its lead is deleted once the request has read
the handoff, or the acknowledgement's own re-derivation finds that the lead's events no
longer give that handoff (the case the API fuzzing drill hit, docs/RELIABILITY.md)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from slawatch.escalation.models import SlackAction
from slawatch.leads.models import Handoff, Lead, LeadEvent
from slawatch.leads.services import HandoffGone, handoff_acknowledge
from tests.escalation.conftest import assign, slack_headers
from tests.escalation.test_interactions import URL, _form
from tests.factories import PolicyFactory


@pytest.fixture
def breached(cast):
    PolicyFactory(heat="hot", first_touch_minutes=15)
    return assign(at=(timezone.now() - timedelta(minutes=20)).isoformat())


def _events_no_longer_give_it(handoff):
    LeadEvent.objects.filter(lead_id=handoff.lead_id).delete()


def test_service_raises_handoff_gone_when_the_lead_was_deleted_after_the_read(breached):
    stale = Handoff.objects.get(pk=breached.pk)  # the request has read it...
    Lead.objects.filter(pk=breached.lead_id).delete()  # ...then the lead goes
    with pytest.raises(HandoffGone, match=f"handoff {breached.pk} no longer exists"):
        handoff_acknowledge(handoff=stale, by="someone")


def test_service_raises_handoff_gone_when_rederiving_removes_it(breached):
    _events_no_longer_give_it(breached)
    with pytest.raises(HandoffGone):
        handoff_acknowledge(handoff=breached, by="someone")
    assert not Handoff.objects.filter(pk=breached.pk).exists()


def test_api_acknowledge_of_a_handoff_removed_meanwhile_is_a_404(admin_api, breached):
    _events_no_longer_give_it(breached)
    response = admin_api.post(f"/api/v1/handoffs/{breached.pk}/acknowledge/")
    assert response.status_code == 404
    assert response.json() == {"detail": f"handoff {breached.pk} no longer exists: it was "
                                         "removed while it was being acted on"}


def test_slack_acknowledge_of_a_handoff_removed_meanwhile_is_a_404(client, breached, slack,
                                                                   cast):
    _events_no_longer_give_it(breached)
    body = _form("slawatch_ack", breached.pk, user=cast.manager.slack_user_id)
    response = client.post(URL, data=body, content_type="application/x-www-form-urlencoded",
                           **slack_headers(body))
    assert response.status_code == 404
    assert response.json() == {"error": f"handoff {breached.pk} no longer exists: it was "
                                        "removed while it was being acted on"}
    assert not SlackAction.objects.exists()
