"""Home pages as an insider would try them (docs/SECURITY.md): the rows shown are the
user's, and the one-click feedback is a rep's, as in feedback/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from slawatch.quality.models import LeadFeedback
from tests.quality.world import assign, make_org, policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(cast, django_user_model):
    return make_org(cast, django_user_model)


def ago(minutes):
    return (timezone.now() - timedelta(minutes=minutes)).isoformat()


@pytest.mark.parametrize("who", ["marketer_user", "manager_user", "revops_user"])
def test_only_a_rep_gives_feedback_with_one_click(org, client, who):
    """feedback/ needs quality.add_leadfeedback (reps); the home page's POST did not ask,
    so marketing could 'accept' every lead it sees (all of them) and lift acceptance."""
    policy()
    lead = assign("L-1", "rep-7", at=ago(5))
    client.force_login(getattr(org, who))
    response = client.post("/admin/home/feedback/", {"lead": lead.pk, "verdict": "accepted"},
                           follow=True)
    assert response.status_code == 200
    assert not LeadFeedback.objects.exists(), who
    assert "Only a rep" in response.content.decode()


def test_the_landing_pages_show_no_other_teams_rows(org, client):
    policy()
    assign("L-E", "rep-7", at=ago(5), name="East Lead")
    assign("L-W", "rep-9", at=ago(5), name="West Secret")
    for user in (org.rep_user, org.rep2_user, org.west_rep_user):
        client.force_login(user)
        html = client.get("/admin/").content.decode()
        assert ("West Secret" in html) == (user == org.west_rep_user), user
        assert ("East Lead" in html) == (user == org.rep_user), user
    client.force_login(org.west_manager_user)
    board = client.get("/admin/", follow=True).content.decode()  # lands on the board
    assert "West Secret" in board and "East Lead" not in board
