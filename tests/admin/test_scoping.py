"""Role boundaries in the admin: a row outside your scope is a 404, an action outside your
role a 403, never a 500 and never a silent redirect."""

import pytest

from slawatch.escalation.models import Escalation
from slawatch.leads.models import Handoff
from slawatch.quality import services
from slawatch.quality.models import DisputeComment, LeadFeedback, QualityDispute
from tests.quality.world import assign, policy, rejection


@pytest.fixture
def leads(org):
    policy()
    return {"east": assign("L-E", "rep-7", company="Acme East"),
            "east2": assign("L-E2", "rep-8"), "west": assign("L-W", "rep-9")}


def lead_url(lead):
    return f"/admin/leads/lead/{lead.pk}/change/"


def test_rep_cannot_open_another_teams_lead_by_url(org, leads, login):
    client = login(org.rep_user)
    assert client.get(lead_url(leads["west"])).status_code == 404
    assert client.get(lead_url(leads["east2"])).status_code == 404
    assert client.get(f"/admin/leads/lead/{leads['west'].pk}/history/").status_code == 404
    assert client.get("/admin/leads/lead/not-a-number/change/").status_code == 404
    assert client.get(lead_url(leads["east"])).status_code == 200
    west_handoff = Handoff.objects.get(lead=leads["west"])
    assert client.get(f"/admin/leads/handoff/{west_handoff.pk}/change/").status_code == 404


def test_rep_lists_only_their_own_leads_and_handoffs(org, leads, login):
    client = login(org.rep_user)
    page = client.get("/admin/leads/lead/").content.decode()
    assert "Lead L-E" in page and "Lead L-W" not in page and "Lead L-E2" not in page
    handoffs = client.get("/admin/leads/handoff/")
    listed = handoffs.context["cl"].queryset.values_list("lead__external_id", flat=True)
    assert list(listed) == ["L-E"]


def test_manager_sees_the_team_but_not_the_other_team(org, leads, login):
    client = login(org.manager_user)
    result = client.get("/admin/leads/lead/").context["cl"].queryset
    assert set(result.values_list("external_id", flat=True)) == {"L-E", "L-E2"}
    assert client.get(lead_url(leads["west"])).status_code == 404


def test_rep_rejects_a_lead_inline_and_history_records_who(org, leads, login):
    client = login(org.rep_user)
    form = {"feedback-TOTAL_FORMS": "1", "feedback-INITIAL_FORMS": "0",
            "feedback-MIN_NUM_FORMS": "0", "feedback-MAX_NUM_FORMS": "1",
            "feedback-0-verdict": "rejected", "feedback-0-reason": "no_budget",
            "feedback-0-rating": "2", "feedback-0-comment": "tiny shop",
            "feedback-0-lead": str(leads["east"].pk), "_save": "Save"}
    form.update(_inline_management(client, leads["east"], exclude="feedback"))
    response = client.post(lead_url(leads["east"]), form)
    assert response.status_code == 302, _errors(response)
    feedback = LeadFeedback.objects.get()
    assert (feedback.given_by, feedback.verdict, feedback.reason) == \
        (org.rep, "rejected", "no_budget")
    assert feedback.history.get().history_user == org.rep_user
    history = client.get(f"/admin/quality/leadfeedback/{feedback.pk}/history/")
    assert history.status_code == 200 and "rep" in history.content.decode()


def test_inline_rejection_without_reason_shows_the_error(org, leads, login):
    client = login(org.rep_user)
    form = {"feedback-TOTAL_FORMS": "1", "feedback-INITIAL_FORMS": "0",
            "feedback-MIN_NUM_FORMS": "0", "feedback-MAX_NUM_FORMS": "1",
            "feedback-0-verdict": "rejected", "feedback-0-lead": str(leads["east"].pk)}
    form.update(_inline_management(client, leads["east"], exclude="feedback"))
    response = client.post(lead_url(leads["east"]), form)
    assert response.status_code == 200
    assert "a rejection needs a reason" in response.content.decode()
    assert not LeadFeedback.objects.exists()


def test_marketing_reads_leads_but_cannot_change_them(org, leads, login):
    client = login(org.marketer_user)
    assert client.get(lead_url(leads["west"])).status_code == 200
    assert client.post(lead_url(leads["west"]), {"name": "x"}).status_code == 403


def test_marketing_files_a_dispute_in_the_admin_and_cannot_resolve_it(org, leads, login):
    feedback = rejection(leads["east"], org.rep)
    LeadFeedback.objects.create(lead=leads["east2"], given_by=org.rep2, verdict="accepted")
    client = login(org.marketer_user)
    add = client.get("/admin/quality/qualitydispute/add/")
    choices = [c for c, _ in add.context["adminform"].form.fields["feedback"].choices if c]
    assert [int(str(c)) for c in choices] == [feedback.pk]  # acceptances cannot be disputed
    response = client.post("/admin/quality/qualitydispute/add/",
                           {"feedback": feedback.pk, "reason": "They have a budget"})
    assert response.status_code == 302
    dispute = QualityDispute.objects.get()
    assert dispute.filed_by == org.marketer and dispute.outcome == "open"
    resolve = f"/admin/quality/qualitydispute/{dispute.pk}/resolve/"
    assert client.get(resolve).status_code == 403
    assert client.post(resolve, {"outcome": "overturned", "comment": "mine"}).status_code == 403
    dispute.refresh_from_db()
    assert dispute.outcome == "open"


def test_posting_an_outcome_to_the_change_form_changes_nothing(org, leads, login):
    dispute = services.dispute_file(feedback=rejection(leads["east"], org.rep), by=org.marketer,
                                    reason="budget")
    client = login(org.marketer_user)
    response = client.post(f"/admin/quality/qualitydispute/{dispute.pk}/change/", {
        "outcome": "overturned", "resolution_comment": "sneaky",
        "comments-TOTAL_FORMS": "1", "comments-INITIAL_FORMS": "0",
        "comments-MIN_NUM_FORMS": "0", "comments-MAX_NUM_FORMS": "1000",
        "comments-0-body": "Please look again", "comments-0-dispute": str(dispute.pk)})
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.outcome == "open" and dispute.resolution_comment == ""
    comment = DisputeComment.objects.get()
    assert (comment.author, comment.body) == (org.marketer, "Please look again")


def test_manager_resolves_from_the_admin_with_a_comment(org, leads, login):
    dispute = services.dispute_file(feedback=rejection(leads["east"], org.rep), by=org.marketer,
                                    reason="budget")
    resolve = f"/admin/quality/qualitydispute/{dispute.pk}/resolve/"
    assert login(org.west_manager_user).get(resolve).status_code == 404
    client = login(org.manager_user)
    change = client.get(f"/admin/quality/qualitydispute/{dispute.pk}/change/").content.decode()
    assert resolve in change
    missing = client.post(resolve, {"outcome": "overturned", "comment": ""})
    assert missing.status_code == 200 and "This field is required" in missing.content.decode()
    done = client.post(resolve, {"outcome": "overturned", "comment": "Budget confirmed"})
    assert done.status_code == 302
    dispute.refresh_from_db()
    assert (dispute.outcome, dispute.resolved_by) == ("overturned", org.manager)
    assert dispute.history.latest().history_user == org.manager_user
    assert client.post(resolve, {"outcome": "upheld", "comment": "again"}).status_code == 200
    dispute.refresh_from_db()
    assert dispute.outcome == "overturned"


def test_my_leads_lists_the_reps_current_leads_with_their_verdict(org, leads, login):
    rejection(leads["east"], org.rep)
    response = login(org.rep_user).get("/admin/quality/mylead/")
    rows = list(response.context["cl"].queryset)
    assert [lead.external_id for lead in rows] == ["L-E"]
    assert "Rejected" in response.content.decode()
    assert login(org.marketer_user).get("/admin/quality/mylead/").status_code == 403


def test_revops_configures_policies_and_people_reps_do_not(org, login):
    assert login(org.revops_user).get("/admin/leads/slapolicy/add/").status_code == 200
    assert login(org.revops_user).get("/admin/people/calendar/add/").status_code == 200
    assert login(org.rep_user).get("/admin/leads/slapolicy/add/").status_code == 403
    assert login(org.manager_user).get("/admin/people/person/add/").status_code == 403


def test_policy_history_is_visible_in_the_admin(org, login):
    policy_row = policy()
    client = login(org.revops_user)
    assert client.get(f"/admin/leads/slapolicy/{policy_row.pk}/history/").status_code == 200


def test_lead_filters_and_search(org, leads, login):
    services.dispute_file(feedback=rejection(leads["east"], org.rep), by=org.marketer,
                          reason="budget")
    Handoff.objects.update(status="open")
    Handoff.objects.filter(lead=leads["east2"]).update(status="breached")
    client = login(org.root)

    def ids(query):
        response = client.get(f"/admin/leads/lead/?{query}")
        assert response.status_code == 200
        return set(response.context["cl"].queryset.values_list("external_id", flat=True))
    assert ids("disputed=open") == {"L-E"}
    assert ids("disputed=no") == {"L-E2", "L-W"}
    assert ids("breached=yes") == {"L-E2"}
    assert ids("q=Acme+East") == {"L-E"}
    assert ids(f"owner__team__id__exact={org.west.pk}") == {"L-W"}


def _inline_management(client, lead, exclude):
    """Management-form data for the lead page's other (read-only) inlines."""
    response = client.get(lead_url(lead))
    data = {}
    for formset in response.context["inline_admin_formsets"]:
        prefix = formset.formset.prefix
        if prefix == exclude:
            continue
        for key, value in formset.formset.management_form.initial.items():
            data[f"{prefix}-{key}"] = str(value)
        for i, form in enumerate(formset.formset.forms):
            if form.instance.pk:
                data[f"{prefix}-{i}-id"] = str(form.instance.pk)
                data[f"{prefix}-{i}-lead"] = str(lead.pk)
    return data


def _errors(response):
    context = getattr(response, "context", None) or {}
    return [getattr(f, "errors", None) for f in context.get("inline_admin_formsets", [])]


def test_manager_lists_the_teams_people_revops_everyone(org, login):
    names = set(login(org.manager_user).get("/admin/people/person/").context["cl"].queryset
                .values_list("name", flat=True))
    assert "Rita Rep" in names and "Wendy Westrep" not in names
    assert login(org.manager_user).get(
        f"/admin/people/person/{org.west_rep.pk}/change/").status_code == 404
    everyone = login(org.revops_user).get("/admin/people/person/").context["cl"].queryset
    assert everyone.filter(name="Wendy Westrep").exists()


def test_a_manager_reads_only_the_teams_escalations(org, leads, login):
    for key in ("east", "west"):
        handoff = Handoff.objects.get(lead=leads[key])
        Escalation.objects.create(handoff=handoff, recipient=f"person:{handoff.rep_id}",
                                  recipient_person=handoff.rep, channel="email")
    visible = login(org.manager_user).get("/admin/escalation/escalation/").context["cl"].queryset
    assert [e.handoff.lead.external_id for e in visible] == ["L-E"]


def test_the_rep_answers_a_dispute_in_the_admin(org, leads, login):
    dispute = services.dispute_file(feedback=rejection(leads["east"], org.rep), by=org.marketer,
                                    reason="budget")
    response = login(org.rep_user).post(f"/admin/quality/qualitydispute/{dispute.pk}/change/", {
        "comments-TOTAL_FORMS": "1", "comments-INITIAL_FORMS": "0",
        "comments-MIN_NUM_FORMS": "0", "comments-MAX_NUM_FORMS": "1000",
        "comments-0-body": "They said no budget twice", "comments-0-dispute": str(dispute.pk)})
    assert response.status_code == 302
    assert DisputeComment.objects.get().author == org.rep
    resolve = f"/admin/quality/qualitydispute/{dispute.pk}/resolve/"
    assert login(org.rep_user).get(resolve).status_code == 403


def test_rep_adds_feedback_from_the_feedback_list_through_the_service(org, leads, login):
    client = login(org.rep_user)
    add = client.get("/admin/quality/leadfeedback/add/")
    choices = {int(str(c)) for c, _ in add.context["adminform"].form.fields["lead"].choices if c}
    assert choices == {leads["east"].pk}
    response = client.post("/admin/quality/leadfeedback/add/",
                           {"lead": leads["east"].pk, "verdict": "accepted", "rating": "5"})
    assert response.status_code == 302
    feedback = LeadFeedback.objects.get()
    assert (feedback.given_by, feedback.verdict, feedback.rating) == (org.rep, "accepted", 5)
    other = LeadFeedback.objects.create(lead=leads["east2"], given_by=org.rep2, verdict="accepted")
    assert client.get(f"/admin/quality/leadfeedback/{other.pk}/change/").status_code == 404
    manager = login(org.manager_user)
    assert manager.get(f"/admin/quality/leadfeedback/{other.pk}/change/").status_code == 200
    assert manager.post(f"/admin/quality/leadfeedback/{other.pk}/change/",
                        {"verdict": "rejected", "reason": "duplicate"}).status_code == 403


def test_handoff_ownership_history_records_who_reassigned(org, leads, login):
    handoff = Handoff.objects.get(lead=leads["east"])
    client = login(org.manager_user)
    client.post("/admin/leads/slaboard/", {"action": "reassign", "handoff": handoff.pk,
                                             "rep": org.rep2.pk})
    latest = handoff.history.latest()
    assert (latest.close_reason, latest.history_user) == ("reassigned", org.manager_user)
    html = client.get(f"/admin/leads/handoff/{handoff.pk}/history/").content.decode()
    assert "2 entries" in html and "manager" in html


def test_lead_list_shows_the_verdict_as_reports_count_it(org, leads, login):
    dispute = services.dispute_file(feedback=rejection(leads["east"], org.rep), by=org.marketer,
                                    reason="budget")
    rejection(leads["east2"], org.rep2)
    services.dispute_resolve(dispute=dispute, by=org.manager, outcome="overturned", comment="ok")
    listed = login(org.manager_user).get("/admin/leads/lead/").context["cl"].result_list
    assert {lead.external_id: lead.verdict for lead in listed} == \
        {"L-E": "accepted", "L-E2": "rejected"}
