"""The one rule for acting on a handoff, for users (admin, API) and people (Slack)."""

import pytest

from slawatch.access.handoff_rules import (
    ACKNOWLEDGE,
    REASSIGN,
    SNOOZE,
    allowed_actions,
    may_acknowledge,
    person_for_slack_user,
    refusal,
)
from slawatch.leads.models import Handoff
from tests.quality.world import assign, policy

ALL = {ACKNOWLEDGE, SNOOZE, REASSIGN}


@pytest.fixture
def handoff(org):
    policy()
    assign("L-1", "rep-7")  # Rita Rep, team East (manager Maya, escalation contact Dan)
    return Handoff.objects.get(lead__external_id="L-1")


def test_the_rep_acknowledges_and_snoozes_but_does_not_reassign(org, handoff):
    for actor in (org.rep, org.rep_user):
        assert allowed_actions(actor, handoff) == {ACKNOWLEDGE, SNOOZE}
    assert may_acknowledge(org.rep, handoff)
    assert "manager or escalation contact" in refusal(org.rep, handoff, REASSIGN)


def test_manager_escalation_contact_revops_and_superuser_may_do_everything(org, handoff):
    for actor in (org.manager, org.manager_user, org.director, org.revops, org.revops_user,
                  org.root):
        assert allowed_actions(actor, handoff) == ALL, actor
        assert refusal(actor, handoff, REASSIGN) is None


def test_nobody_else_may_act(org, handoff):
    for actor in (org.rep2, org.rep2_user, org.marketer, org.marketer_user, org.west_manager,
                  org.west_manager_user, org.west_rep, None):
        assert allowed_actions(actor, handoff) == frozenset(), actor
    assert refusal(org.rep2, handoff, ACKNOWLEDGE).startswith("Only the handoff's rep")


def test_an_inactive_person_may_do_nothing(org, handoff):
    org.manager.is_active = False
    org.manager.save()
    assert allowed_actions(org.manager, handoff) == frozenset()
    org.rep.is_active = False
    org.rep.save()
    org.rep_user.refresh_from_db()
    assert allowed_actions(org.rep_user, handoff) == frozenset()


def test_a_slack_user_resolves_to_one_active_person_only(org):
    assert person_for_slack_user("UREP1") == org.rep
    assert person_for_slack_user("UNKNOWN") is None
    org.rep2.slack_user_id = "UREP1"  # two people claim the id: nobody is trusted
    org.rep2.save()
    assert person_for_slack_user("UREP1") is None
    org.rep2.is_active = False
    org.rep2.save()
    assert person_for_slack_user("UREP1") == org.rep
