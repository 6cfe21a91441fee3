"""Lead definitions as an insider would try them (docs/SECURITY.md): reads need the view
permission, the preview lists only leads the reader may see, a side is the person's."""

import pytest

from slawatch.definitions.models import DefinitionApproval, LeadDefinition
from tests.quality.world import api, assign, policy

pytestmark = pytest.mark.django_db
URL = "/api/v1/definitions/"


@pytest.fixture
def draft(org, draft_body):
    response = api(org.revops_user).post(URL, draft_body, format="json")
    assert response.status_code == 201, response.content
    return LeadDefinition.objects.get(pk=response.json()["id"])


def test_a_user_with_no_role_reads_no_definition(org, draft, django_user_model):
    """Rules and who signed them are for the four roles (view_leaddefinition), like the
    other configuration resources; a signed-in user with no role got them all."""
    nobody = django_user_model.objects.create_user("nobody", "nobody@example.com", "pw-x-1")
    client = api(nobody)
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{draft.pk}/").status_code == 403
    assert api(org.rep_user).get(f"{URL}{draft.pk}/").status_code == 200


def test_the_preview_samples_only_leads_the_reader_may_see(org, draft, client):
    """The preview tiers every lead of the last 90 days (the definition is company-wide),
    but the sample leads it names and links are rows: a rep sees their own only."""
    policy()
    mine = assign("L-MINE", "rep-7", at="2026-11-23T09:00:00Z", name="Mine Lead", score=90)
    west = assign("L-WEST", "rep-9", at="2026-11-23T09:00:00Z", name="West Secret", score=90)
    from django.utils import timezone
    from slawatch.leads.models import Lead
    Lead.objects.update(created_in_crm_at=timezone.now())
    url = f"/admin/definitions/leaddefinition/{draft.pk}/change/"
    client.force_login(org.rep_user)
    page = client.get(url).content.decode()
    assert "the 2 leads of the last 90 days" in page  # the counts stay company-wide
    assert str(mine) in page and "West Secret" not in page and west.external_id not in page
    client.force_login(org.revops_user)
    page = client.get(url).content.decode()
    assert str(mine) in page and "West Secret" in page


def test_a_rep_approves_for_the_sales_side_only(org, draft):
    """A rep's approval never counts for marketing, whatever they send."""
    client = api(org.rep_user)
    response = client.post(f"{URL}{draft.pk}/approve/", {"side": "marketing"}, format="json")
    assert response.status_code == 200
    assert [(a["side"], a["person"]) for a in response.json()["approvals"]] == \
        [("sales", org.rep.pk)]
    draft.refresh_from_db()
    assert draft.status == "draft"  # marketing has not signed
    # a second sales-side person does not complete it either
    api(org.manager_user).post(f"{URL}{draft.pk}/approve/")
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert set(DefinitionApproval.objects.values_list("side", flat=True)) == {"sales"}


@pytest.mark.parametrize("condition", [
    {"field": "source", "op": "eq", "value": "a\x00b"},
    {"field": "source", "op": "in", "value": ["web", "a\x00b"]},
    {"field": "sou\x00rce", "op": "exists", "value": True},
])
def test_a_nul_in_the_rules_is_a_400_not_a_database_error(org, draft_body, condition):
    """PostgreSQL's jsonb refuses \\u0000: the draft was a 500 there."""
    body = {**draft_body, "rules": [{"heat": "hot", "when": [condition]}]}
    response = api(org.revops_user).post(URL, body, format="json")
    assert response.status_code == 400
    assert "NUL" in str(response.json()["rules"])
    assert not LeadDefinition.objects.exists()
