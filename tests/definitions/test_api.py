"""definitions/: drafting, bad input, two-sided approval, superuser activation, retirement,
freezing, and the notices to the people whose approval is awaited."""

import pytest
import time_machine

from slawatch.definitions.models import DefinitionApproval, LeadDefinition
from slawatch.escalation import deliver
from slawatch.escalation.models import Escalation
from tests.factories import at
from tests.quality.world import api

pytestmark = pytest.mark.django_db
URL = "/api/v1/definitions/"


def _draft(client, body):
    response = client.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_revops_drafts_and_the_awaited_approvers_are_told(org, draft_body):
    draft = _draft(api(org.revops_user), draft_body)
    assert draft["status"] == "draft" and draft["version"] is None
    assert draft["rules"] == draft_body["rules"] and draft["approvals"] == []
    notices = Escalation.objects.filter(kind="definition")
    told = {e.recipient_person for e in notices}
    # sales side: managers and directors; marketing side: marketing and RevOps (not reps)
    assert told == {org.manager, org.director, org.west_manager, org.marketer, org.revops}
    assert {e.channel for e in notices if e.recipient_person == org.manager} == {"slack"}
    assert {e.channel for e in notices if e.recipient_person == org.director} == {"email"}
    assert all("awaits sales and marketing approval" in e.payload["subject"] for e in notices)


@pytest.mark.parametrize("rules,index,field", [
    ([{"heat": "hot", "when": [{"field": "score", "op": "above", "value": 80}]}], 0, "score"),
    ([{"heat": "hot", "when": [{"field": "x", "op": "exists", "value": True}]},
      {"heat": "hot", "when": [{"field": "score", "op": "gte", "value": "eighty"}]}], 1, "score"),
    ([{"heat": "hot", "when": []}], 0, "when"),
    ([{"heat": "scorching", "when": [{"field": "x", "op": "exists", "value": True}]}], 0, "heat"),
])
def test_bad_rules_are_a_400_naming_rule_index_and_field(org, draft_body, rules, index, field):
    response = api(org.revops_user).post(URL, {**draft_body, "rules": rules}, format="json")
    assert response.status_code == 400
    message = response.json()["rules"][0]
    assert f"rule {index}" in message and f"'{field}'" in message
    assert not LeadDefinition.objects.exists()
    assert not Escalation.objects.exists()


def test_a_bad_default_heat_is_a_400(org, draft_body):
    response = api(org.revops_user).post(URL, {**draft_body, "default_heat": "tepid"},
                                         format="json")
    assert response.status_code == 400 and "default_heat" in response.json()


def test_one_sales_and_one_marketing_approval_activate_and_retire_the_previous(org, draft_body):
    with time_machine.travel(at("2026-11-01 09:00"), tick=False):
        first = _draft(api(org.revops_user), draft_body)
        api(org.manager_user).post(f"{URL}{first['id']}/approve/")
        done = api(org.marketer_user).post(f"{URL}{first['id']}/approve/").json()
    assert done["status"] == "active" and done["version"] == 1
    assert done["effective_from"] == "2026-11-01T09:00:00Z"
    with time_machine.travel(at("2026-11-20 10:00"), tick=False):
        second = _draft(api(org.marketer_user), {**draft_body, "name": "v2"})
        one = api(org.revops_user).post(f"{URL}{second['id']}/approve/").json()
        assert one["status"] == "draft"
        # the marketing side has approved: only the sales side is asked now
        last = Escalation.objects.filter(kind="definition").order_by("-pk")[0]
        assert "awaits sales approval" in last.payload["subject"]
        two = api(org.rep_user).post(f"{URL}{second['id']}/approve/").json()
    assert two["status"] == "active" and two["version"] == 2 and not two["activated_alone"]
    assert [(a["person_name"], a["side"]) for a in two["approvals"]] == [
        ("Rex Revops", "marketing"), ("Rita Rep", "sales")]
    retired = api(org.rep_user).get(f"{URL}{first['id']}/").json()
    assert retired["status"] == "retired" and retired["retired_at"] == "2026-11-20T10:00:00Z"
    assert LeadDefinition.objects.filter(status="active").count() == 1


def test_two_approvals_from_one_side_do_not_activate(org, draft_body):
    draft = _draft(api(org.revops_user), draft_body)
    api(org.marketer_user).post(f"{URL}{draft['id']}/approve/")
    again = api(org.revops_user).post(f"{URL}{draft['id']}/approve/").json()
    assert again["status"] == "draft" and len(again["approvals"]) == 2


def test_approval_without_a_person_with_a_side_is_403(org, draft_body, django_user_model):
    draft = _draft(api(org.revops_user), draft_body)
    nobody = django_user_model.objects.create_user("nobody", "n@example.com", "pw")
    response = api(nobody).post(f"{URL}{draft['id']}/approve/")
    assert response.status_code == 403 and "sales-side" in response.json()["detail"]
    org.manager.is_active = False
    org.manager.save()
    assert api(org.manager_user).post(f"{URL}{draft['id']}/approve/").status_code == 403
    assert api(org.root).post(f"{URL}{draft['id']}/approve/").status_code == 403  # no person
    anonymous = api(None).post(f"{URL}{draft['id']}/approve/")
    assert anonymous.status_code in (401, 403)
    assert not DefinitionApproval.objects.exists()


def test_a_superuser_may_activate_alone_and_it_is_recorded(org, draft_body):
    draft = _draft(api(org.revops_user), draft_body)
    assert api(org.manager_user).post(f"{URL}{draft['id']}/activate/").status_code == 403
    response = api(org.root).post(f"{URL}{draft['id']}/activate/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "active" and body["activated_alone"] is True
    assert body["activated_by"] == org.root.pk and body["version"] == 1
    row = LeadDefinition.objects.get(pk=draft["id"])
    assert row.history.filter(status="active", activated_alone=True).exists()


def test_changing_an_active_definition_is_409_and_changes_nothing(org, draft_body):
    draft = _draft(api(org.revops_user), draft_body)
    api(org.root).post(f"{URL}{draft['id']}/activate/")
    client = api(org.revops_user)
    response = client.patch(f"{URL}{draft['id']}/", {"rules": []}, format="json")
    assert response.status_code == 409 and "draft a new version" in response.json()["detail"].lower()
    assert client.patch(f"{URL}{draft['id']}/", {"default_heat": "cold"},
                        format="json").status_code == 409
    assert client.delete(f"{URL}{draft['id']}/").status_code == 409
    row = LeadDefinition.objects.get(pk=draft["id"])
    assert row.rules == draft_body["rules"] and row.default_heat == "warm"
    assert api(org.marketer_user).post(f"{URL}{draft['id']}/approve/").status_code == 409


def test_editing_a_draft_withdraws_its_approvals(org, draft_body):
    draft = _draft(api(org.revops_user), draft_body)
    api(org.manager_user).post(f"{URL}{draft['id']}/approve/")
    response = api(org.revops_user).patch(f"{URL}{draft['id']}/", {"default_heat": "cold"},
                                          format="json")
    assert response.status_code == 200
    approval = DefinitionApproval.objects.get()
    assert approval.withdrawn_at is not None  # kept on record, no longer counts
    api(org.marketer_user).post(f"{URL}{draft['id']}/approve/")
    assert LeadDefinition.objects.get(pk=draft["id"]).status == "draft"


def test_a_rep_cannot_draft(org, draft_body):
    assert api(org.rep_user).post(URL, draft_body, format="json").status_code == 403


def test_the_notice_is_delivered_through_the_outbox(org, draft_body, mailoutbox):
    draft = _draft(api(org.revops_user), draft_body)
    notice = Escalation.objects.get(kind="definition", recipient_person=org.director)
    assert deliver.deliver(notice.pk) == "sent"
    [mail] = mailoutbox
    assert mail.to == [org.director.email]
    assert mail.subject == "Lead definition 'Hot means a demo request' awaits sales and " \
                           "marketing approval"
    assert f"/admin/definitions/leaddefinition/{draft['id']}/change/" in mail.body
