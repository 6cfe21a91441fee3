import pytest

from slawatch.leads.models import Handoff
from slawatch.quality.models import LeadFeedback, QualityDispute
from tests.quality.world import api, assign, policy, rejection


@pytest.fixture
def leads(org):
    policy()
    return {"east": assign("L-E", "rep-7"), "east2": assign("L-E2", "rep-8"),
            "west": assign("L-W", "rep-9")}


def test_rep_gives_feedback_and_a_second_post_replaces_it(org, leads):
    client = api(org.rep_user)
    first = client.post("/api/v1/feedback/", {"lead": leads["east"].pk, "verdict": "accepted",
                                              "rating": 4}, format="json")
    assert first.status_code == 201, first.content
    again = client.post("/api/v1/feedback/", {"lead": leads["east"].pk, "verdict": "rejected",
                                              "reason": "no_budget", "comment": "tiny"},
                        format="json")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["reason"] == "no_budget"
    assert LeadFeedback.objects.get().given_by == org.rep


@pytest.mark.parametrize("body, field", [
    ({"verdict": "rejected"}, "reason"),
    ({"verdict": "rejected", "reason": "other"}, "comment"),
    ({"verdict": "accepted", "rating": 6}, "rating"),
    ({"verdict": "maybe"}, "verdict"),
])
def test_incomplete_feedback_is_a_400_naming_the_field(org, leads, body, field):
    response = api(org.rep_user).post("/api/v1/feedback/", {"lead": leads["east"].pk, **body},
                                      format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not LeadFeedback.objects.exists()


def test_rep_cannot_reach_another_reps_lead(org, leads):
    client = api(org.rep_user)
    assert client.get(f"/api/v1/leads/{leads['west'].pk}/").status_code == 404
    assert client.get(f"/api/v1/leads/{leads['east2'].pk}/").status_code == 404
    assert client.get(f"/api/v1/leads/{leads['east'].pk}/").status_code == 200
    response = client.post("/api/v1/feedback/", {"lead": leads["west"].pk, "verdict": "accepted"},
                           format="json")
    assert response.status_code == 400 and "lead" in response.json()
    handoffs = client.get("/api/v1/handoffs/").json()["results"]
    assert [h["lead"]["external_id"] for h in handoffs] == ["L-E"]


def test_manager_sees_the_team_not_the_other_team(org, leads):
    client = api(org.manager_user)
    ids = {lead["external_id"] for lead in client.get("/api/v1/leads/").json()["results"]}
    assert ids == {"L-E", "L-E2"}
    west_handoff = Handoff.objects.get(lead=leads["west"])
    assert client.get(f"/api/v1/handoffs/{west_handoff.pk}/").status_code == 404


def test_a_user_without_role_sees_nothing(org, leads, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="x")
    assert api(nobody).get("/api/v1/leads/").json()["results"] == []


def test_marketing_reads_all_leads_but_cannot_give_feedback(org, leads):
    client = api(org.marketer_user)
    assert len(client.get("/api/v1/leads/").json()["results"]) == 3
    response = client.post("/api/v1/feedback/", {"lead": leads["east"].pk, "verdict": "accepted"},
                           format="json")
    assert response.status_code == 403


def test_dispute_flow_marketing_files_manager_resolves(org, leads):
    feedback = rejection(leads["east"], org.rep)
    filed = api(org.marketer_user).post("/api/v1/disputes/", {"feedback": feedback.pk,
                                                              "reason": "they have budget"},
                                        format="json")
    assert filed.status_code == 201, filed.content
    body = filed.json()
    assert body["outcome"] == "open" and body["resolved_by"] is None
    url = f"/api/v1/disputes/{body['id']}/resolve/"
    assert api(org.marketer_user).post(url, {"outcome": "overturned", "comment": "x"},
                                       format="json").status_code == 403
    assert api(org.west_manager_user).post(url, {"outcome": "overturned", "comment": "x"},
                                           format="json").status_code == 404
    no_comment = api(org.manager_user).post(url, {"outcome": "overturned"}, format="json")
    assert no_comment.status_code == 400 and "comment" in no_comment.json()
    resolved = api(org.manager_user).post(url, {"outcome": "overturned", "comment": "fair point"},
                                          format="json")
    assert resolved.status_code == 200
    assert resolved.json()["outcome"] == "overturned"
    assert resolved.json()["resolved_by"] == org.manager.pk
    assert resolved.json()["resolution_comment"] == "fair point"
    assert resolved.json()["resolved_at"]
    again = api(org.revops_user).post(url, {"outcome": "upheld", "comment": "no"}, format="json")
    assert again.status_code == 409
    assert QualityDispute.objects.get().outcome == "overturned"
    feedback_row = api(org.rep_user).get(f"/api/v1/feedback/{feedback.pk}/").json()
    assert feedback_row["effective_verdict"] == "accepted"


def test_a_dispute_against_an_acceptance_is_a_400(org, leads):
    accepted = LeadFeedback.objects.create(lead=leads["east"], given_by=org.rep, verdict="accepted")
    response = api(org.marketer_user).post("/api/v1/disputes/", {"feedback": accepted.pk,
                                                                 "reason": "x"}, format="json")
    assert response.status_code == 400
    assert "only a rejection" in str(response.json())
    assert not QualityDispute.objects.exists()


def test_reps_cannot_file_disputes_and_only_the_filer_withdraws(org, leads):
    feedback = rejection(leads["east"], org.rep)
    assert api(org.rep_user).post("/api/v1/disputes/", {"feedback": feedback.pk, "reason": "x"},
                                  format="json").status_code == 403
    dispute = api(org.marketer_user).post("/api/v1/disputes/", {"feedback": feedback.pk,
                                                                "reason": "x"}, format="json")
    url = f"/api/v1/disputes/{dispute.json()['id']}/withdraw/"
    assert api(org.manager_user).post(url).status_code == 403
    assert api(org.marketer_user).post(url).json()["outcome"] == "withdrawn"


def test_revops_configures_policies_and_reps_cannot(org):
    body = {"heat": "warm", "first_touch_minutes": 60}
    assert api(org.rep_user).post("/api/v1/policies/", body, format="json").status_code == 403
    assert api(org.marketer_user).post("/api/v1/policies/", body, format="json").status_code == 403
    assert api(org.revops_user).post("/api/v1/policies/", body, format="json").status_code == 201


def test_marketing_cannot_acknowledge_a_handoff_the_manager_can(org, leads):
    handoff = Handoff.objects.get(lead=leads["east"])
    url = f"/api/v1/handoffs/{handoff.pk}/acknowledge/"
    assert api(org.marketer_user).post(url).status_code == 403
    assert api(org.west_manager_user).post(url).status_code == 404
    response = api(org.manager_user).post(url)
    assert response.status_code == 200
    assert response.json()["acknowledged_by"] == org.manager.name  # the person, not the login


def test_people_are_scoped_like_the_admin(org):
    names = {p["name"] for p in api(org.manager_user).get("/api/v1/people/").json()["results"]}
    assert "Rita Rep" in names and "Wendy Westrep" not in names
    assert [p["name"] for p in api(org.rep_user).get("/api/v1/people/").json()["results"]] == \
        ["Rita Rep"]
    assert api(org.revops_user).get(f"/api/v1/people/{org.west_rep.pk}/").status_code == 200


def test_the_rep_and_marketing_discuss_a_dispute(org, leads):
    feedback = rejection(leads["east"], org.rep)
    dispute = api(org.marketer_user).post("/api/v1/disputes/", {"feedback": feedback.pk,
                                                                "reason": "x"}, format="json")
    url = f"/api/v1/disputes/{dispute.json()['id']}/comment/"
    reply = api(org.rep_user).post(url, {"body": "They told me no budget."}, format="json")
    assert reply.status_code == 201 and reply.json()["author"] == org.rep.pk
    assert api(org.rep_user).post(url, {"body": ""}, format="json").status_code == 400
    assert api(org.west_rep_user).post(url, {"body": "hi"}, format="json").status_code == 404
    thread = api(org.marketer_user).get(url.replace("comment/", ""))
    assert [c["body"] for c in thread.json()["comments"]] == ["They told me no budget."]


def test_rep_patches_own_feedback_but_not_its_lead_nor_anothers(org, leads):
    mine = LeadFeedback.objects.create(lead=leads["east"], given_by=org.rep, verdict="accepted")
    client = api(org.rep_user)
    changed = client.patch(f"/api/v1/feedback/{mine.pk}/", {"rating": 3}, format="json")
    assert changed.status_code == 200 and changed.json()["rating"] == 3
    other_own = assign("L-E3", "rep-7")
    moved = client.patch(f"/api/v1/feedback/{mine.pk}/", {"lead": other_own.pk}, format="json")
    assert moved.status_code == 400 and "stays on its lead" in str(moved.json())
    theirs = LeadFeedback.objects.create(lead=leads["east2"], given_by=org.rep2, verdict="accepted")
    assert client.patch(f"/api/v1/feedback/{theirs.pk}/", {"rating": 1},
                        format="json").status_code == 404
    assert api(org.manager_user).patch(f"/api/v1/feedback/{theirs.pk}/", {"rating": 1},
                                       format="json").status_code == 403
    assert LeadFeedback.objects.get(pk=theirs.pk).rating is None
